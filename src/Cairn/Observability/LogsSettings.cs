namespace Cairn.Observability;

/// <summary><c>settings.logs</c>: how long request logs are kept and what they may record about the client.</summary>
public sealed record LogsSettings
{
    /// <summary>Days an entry is kept; 0 stores none (standard output still gets its line when enabled).</summary>
    public int MaxDays { get; init; } = 5;

    /// <summary>Entries below this slog level (-4 debug, 0 info, 4 warn, 8 error) are not stored.</summary>
    public int MinLevel { get; init; }

    /// <summary>Record <c>userIP</c> and <c>remoteIP</c>; off where IP addresses count as personal data that must not be kept.</summary>
    public bool LogIP { get; init; } = true;

    /// <summary>Record the <c>authId</c> of the signed-in record.</summary>
    public bool LogAuthId { get; init; } = true;
}
