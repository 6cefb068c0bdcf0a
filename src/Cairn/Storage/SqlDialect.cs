using System.Data.Common;

namespace Cairn.Storage;

/// <summary>What differs between SQL engines. Everything above this class writes dialect-free SQL through it.</summary>
public abstract class SqlDialect
{
    /// <summary>SQLite, whose SQL the stored index and view definitions are written in (as PocketBase stores them).</summary>
    public virtual bool IsSqlite => false;

    /// <summary>Quotes an identifier. Identifiers are validated names, never user values, but are still quoted.</summary>
    public abstract string Quote(string identifier);

    /// <summary>The column type of a field kind.</summary>
    public abstract string ColumnType(ColumnKind kind);

    /// <summary>
    /// True when both sides of a comparison must have one type (PostgreSQL); SQLite converts by column affinity.
    /// See <c>Query/OperandTypes.cs</c>.
    /// </summary>
    public virtual bool TypedComparisons => false;

    /// <summary>An expression of one kind as a value of another (only asked for when <see cref="TypedComparisons"/>).</summary>
    public virtual string Convert(string sql, ColumnKind from, ColumnKind to) => sql;

    /// <summary>An ordering comparison (<c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>) of two values of <paramref name="kind"/>.</summary>
    public virtual string Order(string left, string op, string right, ColumnKind? kind) => $"{left} {op} {right}";

    /// <summary>
    /// A text or JSON value as JSON after SQLite's numeric affinity: text that reads as a number becomes a JSON number,
    /// other values stay as they are (only asked for when <see cref="TypedComparisons"/>).
    /// </summary>
    public virtual string NumericJson(string sql, ColumnKind kind) => sql;

    /// <summary><c>LOWER</c> of a value of any kind, as text.</summary>
    public virtual string Lower(string sql, ColumnKind kind) => $"LOWER({sql})";

    /// <summary>The value with NULL as <c>''</c>, for the null-and-empty-are-alike equality.</summary>
    public virtual string CoalesceEmpty(string sql, ColumnKind? kind) => $"COALESCE({sql}, '')";

    /// <summary>The value compared with <c>''</c> (<c>a = ''</c> or <c>a IS NOT ''</c>).</summary>
    public virtual string EmptyComparison(string sql, ColumnKind? kind, bool equal) => equal ? $"{sql} = ''" : Same(sql, "''", equal: false);

    /// <summary>The clause that locks the rows a SELECT reads until the transaction ends; SQLite's single writer needs none.</summary>
    public virtual string LockForUpdate => "";

    /// <summary>What to order by for a value of <paramref name="kind"/>, most significant first.</summary>
    public virtual IReadOnlyList<string> SortKeys(string sql, ColumnKind kind) => [sql];

    /// <summary>
    /// A view collection's column as its field's kind expects it. SQLite takes any value in any column; a typed
    /// engine needs the id as text and JSON-inferred columns (any expression) as JSON.
    /// </summary>
    public virtual string ViewColumn(string column, ColumnKind kind) => column;

    /// <summary>
    /// Whether a view's id column keeps the type its query gives it (SQLite: <c>ROW_NUMBER() OVER()</c> ids are integers,
    /// which never equal a text parameter); PostgreSQL views cast ids to text (<see cref="ViewColumn"/>).
    /// </summary>
    public virtual bool ViewIdsKeepTheirType => false;

    /// <summary>
    /// The condition that <paramref name="column"/> is record id <paramref name="id"/> (parameters <c>@id0</c>, <c>@id1</c>
    /// added to <paramref name="command"/>): for a view whose ids may be integers, an integer-looking id is tried as both;
    /// <c>x IN (a, b)</c> still uses an index.
    /// </summary>
    public string IdEquals(Collections.Collection collection, string column, string id, DbCommand command)
    {
        command.AddParameter("@id0", id);
        if (!collection.IsView || !ViewIdsKeepTheirType || !long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
            return $"{column} = @id0";
        command.AddParameter("@id1", number);
        return $"{column} IN (@id0, @id1)";
    }

    /// <summary>
    /// The result columns of a query with, where a column is a plain reference to a table's column, that table and
    /// column as <see cref="DbColumn.BaseTableName"/> and <see cref="DbColumn.BaseColumnName"/> (view field inference).
    /// </summary>
    public virtual List<DbColumn> WithOrigins(DbConnection connection, DbTransaction? transaction, List<DbColumn> columns) => columns;

    /// <summary>An ORDER BY term; NULL sorts first ascending and last descending, as in SQLite.</summary>
    public virtual string OrderBy(string sql, bool descending) => descending ? sql + " DESC" : sql;

    /// <summary>The expression for a random sort order.</summary>
    public abstract string RandomOrder { get; }

    /// <summary>The expression for insertion order (<c>@rowid</c>).</summary>
    public abstract string RowId { get; }

    /// <summary>The definition of a column holding <see cref="RowId"/>, for engines whose tables have none of their own.</summary>
    public virtual string? RowIdColumn => null;

    /// <summary>A bound parameter as a value of a column of <paramref name="kind"/> (JSON is sent as text).</summary>
    public virtual string Parameter(string name, ColumnKind kind) => name;

    /// <summary>The statement turning a single-value column into a JSON array of that value (a field becoming multiple).</summary>
    public abstract string ChangeToMultiple(string table, string column);

    /// <summary>The statement keeping the last item of a JSON array column (a field becoming single).</summary>
    public abstract string ChangeToSingle(string table, string column);

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

    /// <summary>The engine's plan for a query, one line per step (to check that indexes are used, and for the slow-query log).</summary>
    public IReadOnlyList<string> QueryPlan(DbCommand query)
    {
        var text = query.CommandText;
        query.CommandText = ExplainPrefix + text;
        try
        {
            using var reader = query.ExecuteReader();
            var lines = new List<string>();
            while (reader.Read()) lines.Add(PlanLine(reader));
            return lines;
        }
        finally
        {
            query.CommandText = text;
        }
    }

    /// <summary>What turns a query into a request for its plan (<c>EXPLAIN …</c>).</summary>
    protected abstract string ExplainPrefix { get; }

    /// <summary>One step of the plan from the current row of the EXPLAIN result.</summary>
    protected abstract string PlanLine(DbDataReader row);

    /// <summary>
    /// Starts a transaction for reads only, that never takes the write lock (a superuser's view query
    /// dry-run on a pooled read connection); the caller rolls it back.
    /// </summary>
    public abstract DbTransaction BeginReadOnlyTransaction(DbConnection connection);

    /// <summary>
    /// True when the error is a unique-constraint violation. <paramref name="columns"/> names the columns when the
    /// engine says (SQLite); otherwise <paramref name="index"/> names the violated index (PostgreSQL), whose
    /// columns the caller knows from the collection.
    /// </summary>
    public abstract bool IsUniqueViolation(DbException error, out IReadOnlyList<string> columns, out string? index);
}

/// <summary>How a field's value is stored.</summary>
public enum ColumnKind { Text, Number, Bool, JsonArray, Json, GeoPoint }
