using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage.Sqlite;

internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override bool IsSqlite => true;

    public override string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public override bool ViewIdsKeepTheirType => true;

    // JSON values are declared TEXT, not JSON: SQLite gives an unknown type name NUMERIC affinity,
    // which would silently turn a stored JSON "123" into an integer.
    public override string ColumnType(ColumnKind kind) => kind switch
    {
        ColumnKind.Number => "NUMERIC NOT NULL DEFAULT 0",
        ColumnKind.Bool => "BOOLEAN NOT NULL DEFAULT FALSE",
        ColumnKind.JsonArray => "TEXT NOT NULL DEFAULT '[]'",
        ColumnKind.Json => "TEXT DEFAULT NULL",
        ColumnKind.GeoPoint => "TEXT NOT NULL DEFAULT '{\"lon\":0,\"lat\":0}'",
        _ => "TEXT NOT NULL DEFAULT ''",
    };

    public override string RandomOrder => "RANDOM()";

    public override string RowId => "_rowid_";

    // SQLite columns take any value, so the column stays and its values are rewritten.
    public override string ChangeToMultiple(string table, string column) =>
        $"UPDATE {table} SET {column} = CASE WHEN {column} = '' OR {column} IS NULL THEN '[]' WHEN json_valid({column}) AND json_type({column}) = 'array' THEN {column} ELSE json_array({column}) END";

    public override string ChangeToSingle(string table, string column) =>
        $"UPDATE {table} SET {column} = CASE WHEN json_valid({column}) AND json_type({column}) = 'array' THEN COALESCE(json_extract({column}, '$[#-1]'), '') ELSE COALESCE({column}, '') END";

    public override string ArrayContains(string column, string parameter) =>
        $"EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({column}) THEN {column} ELSE '[]' END) WHERE json_each.value = {parameter})";

    public override string ArrayElements(string column, string alias) =>
        $"json_each(CASE WHEN json_valid({column}) THEN {column} ELSE '[]' END) AS {Quote(alias)}";

    public override string ArrayLength(string column) =>
        $"CASE WHEN json_valid({column}) AND json_type({column}) = 'array' THEN json_array_length({column}) ELSE 0 END";

    public override string JsonEach(string json) => $"json_each(CASE WHEN json_valid({json}) THEN {json} ELSE '[]' END)";

    public override string JsonEachValue(string alias) => alias + ".value";

    public override string JsonExtract(string json, string pathParameter) =>
        $"(CASE WHEN json_valid({json}) THEN json_extract({json}, {pathParameter}) ELSE NULL END)";

    public override string Same(string left, string right, bool equal) => $"{left} {(equal ? "IS" : "IS NOT")} {right}";

    public override string Like(string value, string pattern, bool negate) => $"{value} {(negate ? "NOT LIKE" : "LIKE")} {pattern} ESCAPE '\\'";

    public override string Concat(params string[] parts) => "(" + string.Join(" || ", parts) + ")";

    // acos is clamped to [-1, 1]: rounding can push identical points just past 1, which would give NULL.
    public override string GeoDistance(IReadOnlyList<string> p) =>
        $"(6371 * acos(min(1.0, max(-1.0, cos(radians({p[1]})) * cos(radians({p[3]})) * cos(radians({p[2]}) - radians({p[0]})) + sin(radians({p[1]})) * sin(radians({p[3]}))))))";

    public override string Strftime(IReadOnlyList<string> arguments) => $"COALESCE(strftime({string.Join(", ", arguments)}), '')";

    public override string Cast(string value, ColumnKind kind) => kind switch
    {
        ColumnKind.Number or ColumnKind.Bool => $"CAST({value} AS NUMERIC)",
        _ => $"CAST({value} AS TEXT)",
    };

    protected override string ExplainPrefix => "EXPLAIN QUERY PLAN ";

    protected override string PlanLine(DbDataReader row) => row.GetString(3);

    // Microsoft.Data.Sqlite begins IMMEDIATE transactions by default, which would queue behind the writer;
    // a deferred one only reads.
    public override DbTransaction BeginReadOnlyTransaction(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: true);

    public override bool IsUniqueViolation(DbException error, out IReadOnlyList<string> columns, out string? index)
    {
        columns = [];
        index = null;
        // SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555)
        if (error is not SqliteException { SqliteErrorCode: 19 } e || e.SqliteExtendedErrorCode is not (2067 or 1555)) return false;
        const string marker = "constraint failed: ";
        var at = e.Message.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            var list = e.Message[(at + marker.Length)..].Split('\'')[0];
            columns = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(c => c[(c.LastIndexOf('.') + 1)..]).ToList();
        }
        return true;
    }
}
