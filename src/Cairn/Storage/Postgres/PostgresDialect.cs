using System.Data;
using System.Data.Common;
using Npgsql;
using Npgsql.Schema;

namespace Cairn.Storage.Postgres;

/// <summary>
/// PostgreSQL's spelling of what <see cref="SqlDialect"/> abstracts (POCKETBASE_API.md 2.3, "Porting to PostgreSQL"):
/// typed columns with <c>jsonb</c> for JSON, <c>ILIKE</c> for SQLite's ASCII-case-insensitive <c>LIKE</c>,
/// <c>jsonb_array_elements_text</c> and SQL/JSON paths for <c>json_each</c> and <c>json_extract</c>, an identity
/// column for <c>@rowid</c>, and explicit casts where SQLite would convert values by column affinity.
/// </summary>
internal sealed partial class PostgresDialect : SqlDialect
{
    [System.Text.RegularExpressions.GeneratedRegex("'(?:[^']|'')*'")]
    private static partial System.Text.RegularExpressions.Regex Literal();

    public static readonly PostgresDialect Instance = new();

    public override string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public override string ColumnType(ColumnKind kind) => kind switch
    {
        ColumnKind.Number => "DOUBLE PRECISION NOT NULL DEFAULT 0",
        ColumnKind.Bool => "BOOLEAN NOT NULL DEFAULT FALSE",
        ColumnKind.JsonArray => "JSONB NOT NULL DEFAULT '[]'",
        ColumnKind.Json => "JSONB DEFAULT NULL",
        ColumnKind.GeoPoint => "JSONB NOT NULL DEFAULT '{\"lon\":0,\"lat\":0}'",
        _ => "TEXT NOT NULL DEFAULT ''",
    };

    public override bool TypedComparisons => true;

    public override string Convert(string sql, ColumnKind from, ColumnKind to) => (from, to) switch
    {
        (ColumnKind.JsonArray, ColumnKind.Text) => JsonArrayText(sql),
        (ColumnKind.Json, ColumnKind.Text) => $"({sql} #>> '{{}}')",
        (ColumnKind.Json, ColumnKind.Number) => $"(CASE WHEN jsonb_typeof({sql}) = 'number' THEN CAST({sql} #>> '{{}}' AS DOUBLE PRECISION) END)",
        (ColumnKind.Json, ColumnKind.Bool) => $"(CASE WHEN jsonb_typeof({sql}) = 'boolean' THEN CAST({sql} #>> '{{}}' AS BOOLEAN) END)",
        (ColumnKind.Bool, ColumnKind.Json) => $"to_jsonb(CAST({sql} AS INTEGER))", // SQLite has no booleans: true is 1
        (_, ColumnKind.Json) => $"to_jsonb({sql})",
        (ColumnKind.Bool, ColumnKind.Number) => $"CAST({sql} AS INTEGER)",
        (ColumnKind.Bool, ColumnKind.Text) => $"CAST(CAST({sql} AS INTEGER) AS TEXT)",
        (ColumnKind.Number, ColumnKind.Text) => $"CAST({sql} AS TEXT)",
        (ColumnKind.Number, ColumnKind.Bool) => $"({sql} <> 0)",
        // Text that reads as a number becomes one, as SQLite's numeric affinity converts it; other text gives NULL.
        (ColumnKind.Text, ColumnKind.Number) => $"(CASE WHEN {sql} ~ {NumberPattern} THEN CAST({sql} AS DOUBLE PRECISION) END)",
        (ColumnKind.Text, ColumnKind.Bool) => $"({sql} = '1')",
        _ => sql,
    };

    // jsonb orders strings before numbers; SQLite orders NULL (unknown), then numbers (booleans are 0/1), then text,
    // then the rest, so `n < ''` holds for every number. Each side is compared as (rank, value); a NULL rank keeps NULL.
    public override string Order(string left, string op, string right, ColumnKind? kind) => kind is ColumnKind.Json
        ? $"(ROW({JsonRank(left)}, {left}) {op} ROW({JsonRank(right)}, {right}))"
        : base.Order(left, op, right, kind);

    private static string JsonRank(string sql) =>
        $"(CASE jsonb_typeof({sql}) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 END)";

    // A multiple field's JSON text as Cairn writes it (and SQLite stores it): jsonb prints ", " between items, and in a
    // JSON array of strings `", "` only ever occurs between items (a quote inside a string is escaped).
    private static string JsonArrayText(string sql) => $"replace(CAST({ToJsonb(sql)} AS TEXT), '\", \"', '\",\"')";

    private const string NumberPattern = "'^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[[:space:]]*$'";

    public override string NumericJson(string sql, ColumnKind kind) => kind is ColumnKind.Json
        ? $"(CASE WHEN jsonb_typeof({sql}) = 'string' AND ({sql} #>> '{{}}') ~ {NumberPattern} THEN to_jsonb(CAST({sql} #>> '{{}}' AS DOUBLE PRECISION)) ELSE {sql} END)"
        : $"(CASE WHEN {sql} ~ {NumberPattern} THEN to_jsonb(CAST({sql} AS DOUBLE PRECISION)) ELSE to_jsonb({sql}) END)";

    // SQLite's LOWER folds ASCII letters only, as PostgreSQL's does under the "C" collation.
    public override string Lower(string sql, ColumnKind kind) => kind switch
    {
        ColumnKind.Text => $"LOWER(({sql}) COLLATE \"C\")",
        ColumnKind.JsonArray => $"LOWER({JsonArrayText(sql)} COLLATE \"C\")",
        ColumnKind.Json or ColumnKind.GeoPoint => $"LOWER(({ToJsonb(sql)} #>> '{{}}') COLLATE \"C\")",
        _ => $"LOWER(CAST({sql} AS TEXT) COLLATE \"C\")",
    };

    public override string CoalesceEmpty(string sql, ColumnKind? kind) => kind switch
    {
        null or ColumnKind.Text => $"COALESCE({sql}, '')",
        ColumnKind.Json => $"COALESCE({sql}, '\"\"'::jsonb)", // values of two types, compared as JSON (OperandTypes)
        _ => $"COALESCE(CAST({sql} AS TEXT), '')",
    };

    // A number, a boolean or JSON is never the empty string.
    public override string EmptyComparison(string sql, ColumnKind? kind, bool equal) =>
        kind is null or ColumnKind.Text ? base.EmptyComparison(sql, kind, equal) : equal ? "FALSE" : "TRUE";

    // Sorted by the same (rank, value) as Order compares; a NULL rank sorts first ascending, as SQLite's NULL does (OrderBy).
    public override IReadOnlyList<string> SortKeys(string sql, ColumnKind kind) => kind is ColumnKind.Json ? [JsonRank(sql), sql] : [sql];

    public override string ViewColumn(string column, ColumnKind kind) => kind switch
    {
        ColumnKind.Text => $"CAST({column} AS TEXT) AS {column}",
        ColumnKind.Json => $"to_jsonb({column}) AS {column}",
        _ => column,
    };

    // The protocol gives each result column its origin table and column number; Npgsql turns them into names only
    // for committed tables, and a view is often created in the transaction that creates its source (an import).
    public override List<DbColumn> WithOrigins(DbConnection connection, DbTransaction? transaction, List<DbColumn> columns)
    {
        var tables = columns.OfType<NpgsqlDbColumn>().Where(c => c.TableOID != 0).Select(c => (long)c.TableOID).Distinct().ToArray();
        if (tables.Length == 0) return columns;
        // One catalog query for every table the columns come from.
        using var lookup = connection.CreateCommand(
            "SELECT CAST(c.oid AS bigint), a.attnum, c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid " +
            "WHERE c.oid = ANY(CAST(@p0 AS oid[])) AND a.attnum > 0", tables);
        lookup.Transaction = transaction;
        var origins = new Dictionary<(long Table, short Column), (string Table, string Column)>();
        using (var reader = lookup.ExecuteReader())
            while (reader.Read()) origins[(reader.GetInt64(0), reader.GetInt16(1))] = (reader.GetString(2), reader.GetString(3));
        return columns.Select(column =>
            column is NpgsqlDbColumn { ColumnAttributeNumber: { } number } npgsql && origins.TryGetValue(((long)npgsql.TableOID, number), out var origin)
                ? new OriginColumn(column.ColumnName, origin.Table, origin.Column)
                : column).ToList();
    }

    private sealed class OriginColumn : DbColumn
    {
        public OriginColumn(string name, string table, string column)
        {
            ColumnName = name;
            BaseTableName = table;
            BaseColumnName = column;
        }
    }

    public override string LockForUpdate => " FOR UPDATE";

    public override string OrderBy(string sql, bool descending) => descending ? sql + " DESC NULLS LAST" : sql + " ASC NULLS FIRST";

    public override string RandomOrder => "RANDOM()";

    // PostgreSQL rows have no stable rowid (ctid moves on update), so every table gets an identity column.
    public override string RowId => "_rowid_";

    // UNIQUE gives it an index, as SQLite's rowid is the table's key: a list page in the default order is then
    // an index scan of perPage rows, not a sort of the whole table.
    public override string? RowIdColumn => $"{RowId} BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE";

    public override string Parameter(string name, ColumnKind kind) => IsJson(kind) ? $"CAST({name} AS JSONB)" : name;

    public override string ChangeToMultiple(string table, string column) =>
        $"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT, ALTER COLUMN {column} TYPE JSONB USING " +
        $"(CASE WHEN {column} IS NULL OR {column} = '' THEN '[]'::jsonb ELSE jsonb_build_array({column}) END), " +
        $"ALTER COLUMN {column} SET DEFAULT '[]'";

    public override string ChangeToSingle(string table, string column) =>
        $"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT, ALTER COLUMN {column} TYPE TEXT USING " +
        $"(CASE WHEN jsonb_typeof({column}) = 'array' THEN COALESCE({column} ->> -1, '') ELSE COALESCE({column} #>> '{{}}', '') END), " +
        $"ALTER COLUMN {column} SET DEFAULT ''";

    public override string ArrayContains(string column, string parameter) =>
        $"(jsonb_typeof({column}) = 'array' AND {column} @> jsonb_build_array(CAST({parameter} AS TEXT)))";

    public override string ArrayElements(string column, string alias) => $"{JsonEach(column)} AS {Quote(alias)}";

    public override string ArrayLength(string column) =>
        $"(CASE WHEN jsonb_typeof({column}) = 'array' THEN jsonb_array_length({column}) ELSE 0 END)";

    // The column name "value" matches SQLite's json_each, so callers read {alias}.value on both engines.
    public override string JsonEach(string json) =>
        $"LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof({ToJsonb(json)}) = 'array' THEN {ToJsonb(json)} ELSE '[]'::jsonb END)";

    public override string JsonEachValue(string alias) => alias + ".value";

    // As json_extract gives it: a JSON null is SQL NULL, true and false are 1 and 0, an array or object is its JSON text
    // (spelled by jsonb: ", " and ": " between items, keys in jsonb's order). The path is strict, with errors silenced
    // (NULL), because lax paths wrap and unwrap arrays: "$[0]" of an object would be the object, "$.k" of [{"k":1}] 1.
    public override string JsonExtract(string json, string pathParameter) =>
        $"(SELECT CASE jsonb_typeof(v) WHEN 'null' THEN NULL WHEN 'boolean' THEN to_jsonb(CAST(CAST(v AS BOOLEAN) AS INTEGER)) " +
        $"WHEN 'array' THEN to_jsonb(CAST(v AS TEXT)) WHEN 'object' THEN to_jsonb(CAST(v AS TEXT)) ELSE v END " +
        $"FROM jsonb_path_query_first({ToJsonb(json)}, CAST('strict ' || {pathParameter} AS JSONPATH), '{{}}', TRUE) AS v)";

    // Parenthesized: PostgreSQL cannot parse a IS DISTINCT FROM b IS NOT DISTINCT FROM c (a :changed check compared with a value).
    public override string Same(string left, string right, bool equal) => $"({left} {(equal ? "IS NOT DISTINCT FROM" : "IS DISTINCT FROM")} {right})";

    // Under the "C" collation ILIKE folds ASCII letters only, as SQLite's LIKE does.
    public override string Like(string value, string pattern, bool negate) =>
        $"CAST({value} AS TEXT) COLLATE \"C\" {(negate ? "NOT ILIKE" : "ILIKE")} {pattern} ESCAPE '\\'";

    public override string Concat(params string[] parts) => "(" + string.Join(" || ", parts.Select(p => $"CAST({p} AS TEXT)")) + ")";

    public override string GeoDistance(IReadOnlyList<string> p) =>
        $"(6371 * acos(LEAST(1.0, GREATEST(-1.0, cos(radians({p[1]})) * cos(radians({p[3]})) * cos(radians({p[2]}) - radians({p[0]})) + sin(radians({p[1]})) * sin(radians({p[3]}))))))";

    public override string Strftime(IReadOnlyList<string> arguments) => $"COALESCE(cairn_strftime({string.Join(", ", arguments.Select(a => $"CAST({a} AS TEXT)"))}), '')";

    public override string Cast(string value, ColumnKind kind) => kind switch
    {
        ColumnKind.Number => $"CAST({value} AS DOUBLE PRECISION)",
        ColumnKind.Bool => $"CAST({value} AS BOOLEAN)",
        ColumnKind.JsonArray or ColumnKind.Json or ColumnKind.GeoPoint => $"CAST({value} AS JSONB)",
        _ => $"CAST({value} AS TEXT)",
    };

    protected override string ExplainPrefix => "EXPLAIN ";

    // PostgreSQL plans show bound values as literals; they are masked so a plan can be logged.
    protected override string PlanLine(DbDataReader row) => Literal().Replace(row.GetString(0), "'?'");

    public override DbTransaction BeginReadOnlyTransaction(DbConnection connection)
    {
        var transaction = ((NpgsqlConnection)connection).BeginTransaction(IsolationLevel.ReadCommitted);
        using var readOnly = connection.CreateCommand("SET TRANSACTION READ ONLY");
        readOnly.Transaction = transaction;
        readOnly.ExecuteNonQuery();
        return transaction;
    }

    // The error detail (with the duplicate value) is left out by Npgsql unless asked for; the index name is enough.
    public override bool IsUniqueViolation(DbException error, out IReadOnlyList<string> columns, out string? index)
    {
        columns = [];
        index = null;
        if (error is not PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } e) return false;
        if (e.ConstraintName is { } name && name.EndsWith("_pkey", StringComparison.Ordinal)) columns = ["id"];
        else index = e.ConstraintName;
        return true;
    }

    private static bool IsJson(ColumnKind kind) => kind is ColumnKind.JsonArray or ColumnKind.Json or ColumnKind.GeoPoint;

    // Bound request values reach JSON functions as text; stored JSON fields are already jsonb.
    private static string ToJsonb(string json) => json.StartsWith('@') ? $"CAST({json} AS JSONB)" : json;
}
