namespace Cairn.Batch;

/// <summary>
/// Limits of <c>POST /api/batch</c>. PocketBase ships batch disabled until enabled in its settings;
/// Cairn has no settings API yet, so batch is on by default and can be turned off here.
/// </summary>
public sealed record BatchOptions
{
    public bool Enabled { get; init; } = true;
    public int MaxRequests { get; init; } = 50;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);
    public long MaxBodySize { get; init; } = 128L * 1024 * 1024;
}
