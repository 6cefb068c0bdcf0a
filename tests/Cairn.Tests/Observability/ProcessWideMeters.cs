namespace Cairn.Tests.Observability;

/// <summary>
/// Tests that read exact metric values. OpenTelemetry listens to meters by name across the whole process, so every test
/// server's requests would show in every server's metrics: these run after the parallel tests, one class at a time.
/// (A real deployment has one server per process.)
/// </summary>
[CollectionDefinition(nameof(ProcessWideMeters), DisableParallelization = true)]
public sealed class ProcessWideMeters;
