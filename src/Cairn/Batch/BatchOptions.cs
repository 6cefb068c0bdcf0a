namespace Cairn.Batch;

/// <summary>
/// Limits of <c>POST /api/batch</c>, <c>settings.batch</c> at run time (timeout in seconds there). PocketBase ships batch
/// disabled until enabled in its settings; Cairn's start-up default is on, and a superuser can turn it off.
/// </summary>
public sealed record BatchOptions
{
    public bool Enabled { get; init; } = true;
    public int MaxRequests { get; init; } = 50;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);
    public long MaxBodySize { get; init; } = 128L * 1024 * 1024;
}
