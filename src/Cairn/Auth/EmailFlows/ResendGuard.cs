using Cairn.Records;

namespace Cairn.Auth.EmailFlows;

/// <summary>
/// At most one mail of a kind per account every two minutes (POCKETBASE_API.md 1.3), so the request routes, which
/// anyone may call, cannot be used to flood an inbox. A confirmation clears the guard: the flow is done.
/// </summary>
public sealed class ResendGuard(TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);

    private readonly AttemptCounter _counter = new(clock);

    /// <summary>True for the first request of the window (send the mail), false for the rest (send nothing).</summary>
    public bool TryStart(string kind, Record record, string? detail = null) => _counter.Increment(Key(kind, record, detail), Window) == 1;

    public void Clear(string kind, Record record, string? detail = null) => _counter.Reset(Key(kind, record, detail));

    private static string Key(string kind, Record record, string? detail) =>
        $"{kind}\n{record.Collection.Id}\n{record.Id}\n{detail?.ToLowerInvariant()}";
}
