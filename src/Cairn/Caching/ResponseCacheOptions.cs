namespace Cairn.Caching;

/// <summary>Which list and view responses are cached (<c>--cache</c>).</summary>
public enum ResponseCacheMode
{
    Off,

    /// <summary>Only collections whose list or view rule is <c>""</c> (anyone): the common read-mostly public data.</summary>
    Public,

    /// <summary>Every rule, each caller's responses apart: for read-heavy apps whose rules are per user.</summary>
    All,
}

public sealed record ResponseCacheOptions
{
    /// <summary>Null: <see cref="ResponseCacheMode.Public"/> on SQLite, off on PostgreSQL, where other processes may write (the scale-out issue shares invalidation).</summary>
    public ResponseCacheMode? Mode { get; init; }

    /// <summary>The longest an entry is kept; writes retire entries at once, so this only bounds memory held by retired ones.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Responses larger than this are served but not kept.</summary>
    public int MaxEntryBytes { get; init; } = 1024 * 1024;

    /// <summary>The memory all entries together may hold.</summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;
}
