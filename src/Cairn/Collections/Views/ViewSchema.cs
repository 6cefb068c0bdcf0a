using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Api;
using Cairn.Records;
using Cairn.Storage;

namespace Cairn.Collections.Views;

/// <summary>
/// View collections in the database (POCKETBASE_API.md 3.3). The superuser's query is checked by
/// <see cref="ViewQuerySyntax"/>, then prepared inside the schema change's transaction to learn its columns, and
/// stored as a SQL view that wraps it with the two columns every record query reads: a constant version
/// (views are read-only, so it never changes) and a row number standing in for the insertion order that
/// default sorting uses. Views depend on tables they cannot lock, so every other schema change drops all
/// views first and rebuilds them afterwards: a change that breaks a view fails with a 400 naming it,
/// instead of leaving a view that fails on every read.
/// </summary>
internal sealed partial class ViewSchema(SqlDialect dialect)
{
    [GeneratedRegex(@"^(?<name>\w+):\d+$")]
    private static partial Regex DuplicateSuffix();

    [GeneratedRegex(@"^\w+$")]
    private static partial Regex FieldName();

    public const int MaxDryRunQueryLength = 5000, DryRunRows = 10;

    /// <summary>
    /// Validates the view's query and infers its fields, within the transaction of <paramref name="context"/>
    /// (or a read connection for a dry run). Problems are added under <c>viewQuery</c>. When
    /// <paramref name="checkIds"/> is set the current rows must have unique, non-empty ids.
    /// </summary>
    public bool Prepare(DbConnection connection, DbTransaction? transaction, Collection view, IReadOnlyCollection<Collection> all, ValidationErrors errors, bool checkIds)
    {
        // Views have no write routes, so their write rules are meaningless; SQL views cannot be indexed.
        view.CreateRule = view.UpdateRule = view.DeleteRule = null;
        if (view.Indexes.Count > 0) errors.Add("indexes", "validation_view_indexes", "View collections cannot have indexes.");
        if (ViewQuerySyntax.Check(view.ViewQuery ?? "", out var statement, out var tokens) is { } problem)
        {
            errors.Add("viewQuery", problem.Code, problem.Message);
            return false;
        }
        view.ViewQuery = statement;
        List<DbColumn> columns;
        try
        {
            columns = Describe(connection, transaction, statement);
        }
        catch (DbException e)
        {
            errors.Add("viewQuery", "validation_invalid_view_query", "The database refused the query: " + e.Message);
            return false;
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var column in columns)
        {
            // SQLite renames a repeated column name "name:1" rather than failing.
            var repeated = DuplicateSuffix().Match(column.ColumnName);
            if (!names.Add(column.ColumnName) || (repeated.Success && names.Contains(repeated.Groups["name"].Value)))
            {
                var name = repeated.Success ? repeated.Groups["name"].Value : column.ColumnName;
                errors.Add("viewQuery", "validation_view_query_duplicate_column", $"The column name \"{name}\" is used more than once; give each column its own alias.");
                return false;
            }
            if (!FieldName().IsMatch(column.ColumnName))
            {
                errors.Add("viewQuery", "validation_view_query_invalid_column", $"The column name \"{column.ColumnName}\" is not a valid field name; give it an alias of letters, digits and underscores.");
                return false;
            }
        }
        if (!columns.Any(c => c.ColumnName == "id"))
        {
            errors.Add("viewQuery", "validation_view_query_missing_id", "The query must return an id column; (ROW_NUMBER() OVER()) AS id is a fallback.");
            return false;
        }
        if (checkIds && HasBadIds(connection, transaction, statement))
        {
            errors.Add("viewQuery", "validation_view_query_id_not_unique", "The id column must be unique and non-empty in every row.");
            return false;
        }
        var columnTokens = ViewQuerySyntax.ResultColumns(statement, tokens);
        var expressions = columnTokens.Count == columns.Count ? columnTokens.Select(c => ViewQuerySyntax.Expression(statement, c)).ToList() : null;
        view.Fields = ViewFieldInference.Infer(columns, expressions, all, view.Fields);
        return true;
    }

    /// <summary>Creates the SQL view of a prepared view collection.</summary>
    public void Create(WriteContext context, Collection view)
    {
        var columns = string.Join(", ", view.Fields.Select(f => dialect.ViewColumn(dialect.Quote(f.Name), f.Name == "id" ? ColumnKind.Text : FieldTypes.ColumnKind(f))));
        context.Execute($"CREATE VIEW {dialect.Quote(view.Name)} AS SELECT {columns}, 1 AS {dialect.Quote(RecordsColumns.Version)}, " +
                        $"ROW_NUMBER() OVER () AS {dialect.RowId} FROM (\n{view.ViewQuery}\n) AS {dialect.Quote("_view")}");
    }

    /// <summary>Drops the SQL views of <paramref name="collections"/>, the most recent first.</summary>
    public void DropAll(WriteContext context, IEnumerable<Collection> collections)
    {
        foreach (var view in collections.Where(c => c.IsView).Reverse())
            context.Execute($"DROP VIEW IF EXISTS {dialect.Quote(view.Name)}");
    }

    /// <summary>
    /// Re-creates the views of <paramref name="all"/> in creation order (a view may select from an older one),
    /// re-inferring their fields so that a source field's changed options reach the view; returns the views
    /// whose fields changed, for the caller to save. A view whose query no longer works fails the change.
    /// </summary>
    public List<Collection> RebuildAll(WriteContext context, IReadOnlyList<Collection> all)
    {
        var changed = new List<Collection>();
        foreach (var view in all.Where(c => c.IsView))
        {
            var before = new JsonArray(view.Fields.Select(f => (JsonNode)f.ToJson()).ToArray());
            var errors = new ValidationErrors();
            if (!Prepare(context.Connection, context.Transaction, view, all, errors, checkIds: false))
            {
                var reason = errors.ToJson()["viewQuery"]?["message"]?.GetValue<string>() ?? "its query no longer works";
                throw ApiException.BadRequest($"The change would break the view collection \"{view.Name}\" ({reason.TrimEnd('.')}). Update or delete that view first.",
                    new JsonObject { ["viewQuery"] = errors.ToJson()["viewQuery"]?.DeepClone() });
            }
            AssignMissingFieldIds(view);
            Create(context, view);
            if (!JsonNode.DeepEquals(before, new JsonArray(view.Fields.Select(f => (JsonNode)f.ToJson()).ToArray()))) changed.Add(view);
        }
        return changed;
    }

    /// <summary><c>POST /api/collections/meta/dry-run-view</c>: the inferred fields and up to 10 rows, read in a transaction that is rolled back.</summary>
    public JsonObject DryRun(DbConnection connection, string query, IReadOnlyCollection<Collection> all)
    {
        var errors = new ValidationErrors();
        if (query.Length > MaxDryRunQueryLength)
            errors.Add("query", "validation_length_too_long", $"The length must be no more than {MaxDryRunQueryLength}.");
        errors.ThrowIfAny("Failed to run the view query.");
        using var transaction = dialect.BeginReadOnlyTransaction(connection);
        try
        {
            var view = new Collection { Name = "dry_run", Type = Collection.View, ViewQuery = query };
            if (!Prepare(connection, transaction, view, all, errors, checkIds: false))
                throw ApiException.BadRequest("Failed to run the view query.", new JsonObject { ["query"] = errors.ToJson()["viewQuery"]?.DeepClone() });
            AssignMissingFieldIds(view);
            using var command = connection.CreateCommand($"SELECT * FROM (\n{view.ViewQuery}\n) AS {dialect.Quote("_view")} LIMIT {DryRunRows}");
            command.Transaction = transaction;
            var rows = new JsonArray();
            using (var reader = command.ExecuteReader())
                while (reader.Read())
                {
                    var row = new JsonObject();
                    for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = RawValue(reader.IsDBNull(i) ? null : reader.GetValue(i));
                    rows.Add(row);
                }
            return new JsonObject
            {
                ["fields"] = new JsonArray(view.Fields.Select(f => (JsonNode)f.ToJson()).ToArray()),
                ["rows"] = rows,
            };
        }
        finally
        {
            transaction.Rollback();
        }
    }

    private static JsonNode? RawValue(object? value) => value switch
    {
        null => null,
        long l => l,
        double d => d,
        string s => s,
        byte[] b => Convert.ToBase64String(b),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    // LIMIT 0 prepares the query, reporting its columns and their origins, without reading a row.
    /// <summary>The collection table and column a view's result column reads directly, or null for a computed column.</summary>
    public (string Table, string Column)? Origin(DbConnection connection, Collection view, string column)
    {
        var described = Describe(connection, null, view.ViewQuery ?? "").FirstOrDefault(c => c.ColumnName == column);
        return described is { BaseTableName: { Length: > 0 } table, BaseColumnName: { Length: > 0 } origin } ? (table, origin) : null;
    }

    private List<DbColumn> Describe(DbConnection connection, DbTransaction? transaction, string statement)
    {
        using var command = connection.CreateCommand($"SELECT * FROM (\n{statement}\n) AS {dialect.Quote("_view")} LIMIT 0");
        command.Transaction = transaction;
        List<DbColumn> columns;
        using (var reader = command.ExecuteReader()) columns = reader.GetColumnSchema().ToList();
        return dialect.WithOrigins(connection, transaction, columns);
    }

    private bool HasBadIds(DbConnection connection, DbTransaction? transaction, string statement)
    {
        var id = dialect.Quote("id");
        using var command = connection.CreateCommand(
            $"SELECT 1 FROM (\n{statement}\n) AS {dialect.Quote("_view")} GROUP BY {id} HAVING COUNT(*) > 1 OR {id} IS NULL OR CAST({id} AS TEXT) = '' LIMIT 1");
        command.Transaction = transaction;
        return command.ExecuteScalar() is not null;
    }

    public static void AssignMissingFieldIds(Collection view)
    {
        foreach (var field in view.Fields.Where(f => f.Id.Length == 0))
        {
            var id = CollectionIds.ForField(field.Type, field.Name);
            while (view.Fields.Any(f => f.Id == id)) id = field.Type + CollectionIds.Random(10, "0123456789");
            field.Id = id;
        }
    }
}
