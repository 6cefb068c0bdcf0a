using System.Diagnostics;

namespace Cairn.Tests.Cli;

/// <summary>The <c>cairn</c> program (Cairn.Server.dll, built next to the tests) run as a real process.</summary>
internal static class CairnProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Cairn.Server.dll");

    /// <summary>The start info of <c>cairn ARGS</c>, without the CAIRN_* variables of the test run, which would change its defaults.</summary>
    public static ProcessStartInfo Command(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("CAIRN_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(name);
        info.ArgumentList.Add(Dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>Runs <c>cairn ARGS</c> to its end (at most <paramref name="timeoutSeconds"/>); returns its exit code and output.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string[] args, int timeoutSeconds = 60)
    {
        using var process = Process.Start(Command(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken)
                .WaitAsync(TimeSpan.FromSeconds(timeoutSeconds), TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        return (process.ExitCode, await output, await error);
    }
}
