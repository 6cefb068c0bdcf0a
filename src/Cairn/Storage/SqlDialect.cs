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
