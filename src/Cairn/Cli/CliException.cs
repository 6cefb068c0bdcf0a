namespace Cairn.Cli;

/// <summary>A failure the command line reports as one line on standard error (<c>cairn: …</c>), with exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
