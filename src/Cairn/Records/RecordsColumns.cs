namespace Cairn.Records;

/// <summary>Columns every record table has besides its fields.</summary>
public static class RecordsColumns
{
    /// <summary>Incremented on every update; the record's ETag, and what <c>If-Match</c> is checked against.</summary>
    public const string Version = "_cairn_version";
}
