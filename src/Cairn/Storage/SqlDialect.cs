using System.Data.Common;

namespace Cairn.Storage;

/// <summary>What differs between SQL engines. Everything above this class writes dialect-free SQL through it.</summary>
public abstract class SqlDialect
{
    /// <summary>Quotes an identifier. Identifiers are validated names, never user values, but are still quoted.</summary>
    public abstract string Quote(string identifier);

    /// <summary>The column type of a field kind.</summary>
    public abstract string ColumnType(ColumnKind kind);

    /// <summary>The expression for a random sort order.</summary>
    public abstract string RandomOrder { get; }

    /// <summary>The expression for insertion order (<c>@rowid</c>).</summary>
    public abstract string RowId { get; }

    /// <summary>Converts a single-value column to a JSON array of that value (a field becoming multiple).</summary>
    public abstract string ToMultiple(string column);

    /// <summary>Keeps the last item of a JSON array column (a field becoming single).</summary>
    public abstract string ToSingle(string column);

    /// <summary>A condition true when the JSON array column holds the bound value.</summary>
    public abstract string ArrayContains(string column, string parameter);

    /// <summary>
    /// A FROM item with one row per item of a JSON array column, the item's text in <c>{alias}.value</c>
    /// (a multiple relation walked backwards by expand).
    /// </summary>
    public abstract string ArrayElements(string column, string alias);

    /// <summary>The number of items of a JSON array column.</summary>
    public abstract string ArrayLength(string column);

    /// <summary>A FROM item that yields one row per item of a JSON array (its value in <see cref="JsonEachValue"/>); anything else yields no rows.</summary>
    public abstract string JsonEach(string json);

    /// <summary>The item value of a <see cref="JsonEach"/> row.</summary>
    public abstract string JsonEachValue(string alias);

    /// <summary>The value at a bound JSON path (<c>$."items"[0]</c>), NULL when the text is not JSON.</summary>
    public abstract string JsonExtract(string json, string pathParameter);

    /// <summary>Null-safe equality: <c>a IS b</c> or <c>a IS NOT b</c>.</summary>
    public abstract string Same(string left, string right, bool equal);

    /// <summary>A LIKE with <c>\</c> as escape character; matching ignores ASCII case, as SQLite's LIKE does.</summary>
    public abstract string Like(string value, string pattern, bool negate);

    /// <summary>String concatenation.</summary>
    public abstract string Concat(params string[] parts);

    /// <summary>The Haversine distance in km between two lon/lat points (<c>geoDistance</c>).</summary>
    public abstract string GeoDistance(IReadOnlyList<string> lonALatALonBLatB);

    /// <summary>SQLite-style <c>strftime(format, time, modifiers…)</c>, with NULL as <c>''</c>.</summary>
    public abstract string Strftime(IReadOnlyList<string> arguments);

    /// <summary>A value cast to a field kind's column type, so a bound row compares like a stored one.</summary>
    public abstract string Cast(string value, ColumnKind kind);

    /// <summary>The engine's plan for a query, one line per step (to check that indexes are used).</summary>
    public abstract IReadOnlyList<string> QueryPlan(DbCommand query);

    /// <summary>
    /// Starts a transaction for reads only, that never takes the write lock (a superuser's view query
    /// dry-run on a pooled read connection); the caller rolls it back.
    /// </summary>
    public abstract DbTransaction BeginReadOnlyTransaction(DbConnection connection);

    /// <summary>True when the error is a unique-constraint violation; <paramref name="columns"/> names the columns when known.</summary>
    public abstract bool IsUniqueViolation(DbException error, out IReadOnlyList<string> columns);
}

/// <summary>How a field's value is stored.</summary>
public enum ColumnKind { Text, Number, Bool, JsonArray, Json, GeoPoint }
