using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Observability;
using Cairn.Storage;

namespace Cairn.Records;

/// <summary>
/// SQL for records. Dynamic collections are why this is a small hand-written mapper over ADO.NET
/// rather than an ORM: tables and columns are defined at run time by the collection schema. Every
/// value is a bound parameter; identifiers come from validated collection and field names. Every insert,
/// update and delete, whichever API made it, is announced to realtime once its transaction commits.
/// </summary>
public sealed class RecordStore(SqlDialect dialect, SlowQueryLog? slowQueries = null, Realtime.IRealtimeBackplane? realtime = null, Caching.WriteGenerations? generations = null)
{
    /// <summary>The most ids bound in one <c>IN (...)</c> list; well under SQLite's and PostgreSQL's parameter limits.</summary>
    public const int IdsPerQuery = 1000;

    private long _queries;

    public SqlDialect Dialect => dialect;

    /// <summary>How many record queries this store has run: a cheap metric, and how tests prove that expand reads in batches.</summary>
    public long QueriesRun => Interlocked.Read(ref _queries);

    public string SelectColumns(Collection collection, string? alias = null)
    {
        var prefix = alias is null ? "" : dialect.Quote(alias) + ".";
        return string.Join(", ", new[] { "id", RecordsColumns.Version }
            .Concat(collection.Fields.Where(f => f.Name != "id").Select(f => f.Name))
            .Select(c => prefix + dialect.Quote(c)));
    }

    /// <summary>
    /// The record <paramref name="id"/>. Inside a write unit (a transaction) the row is also locked until the commit,
    /// so that a check on it (If-Match, a rule) still holds when the update lands, on engines with concurrent writers.
    /// </summary>
    public Record? FindById(DbConnection connection, DbTransaction? transaction, Collection collection, string id)
    {
        var lockRow = transaction is not null && !collection.IsView ? dialect.LockForUpdate : "";
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SelectColumns(collection)} FROM {dialect.Quote(collection.Name)} WHERE {dialect.IdEquals(collection, dialect.Quote("id"), id, command)} LIMIT 1{lockRow}";
        command.Transaction = transaction;
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader, collection) : null;
    }

    public Record? FindByField(DbConnection connection, Collection collection, string field, string value)
    {
        var column = collection.FindField(field) ?? throw new ArgumentException($"Unknown field {field}.", nameof(field));
        using var command = connection.CreateCommand(
            $"SELECT {SelectColumns(collection)} FROM {dialect.Quote(collection.Name)} WHERE {dialect.Quote(column.Name)} = @p0 LIMIT 1", value);
        return Query(command, collection).FirstOrDefault();
    }

    public List<Record> Query(DbCommand command, Collection collection) => Run(command, c =>
    {
        using var reader = c.ExecuteReader();
        var list = new List<Record>();
        while (reader.Read()) list.Add(Read(reader, collection));
        return list;
    });

    /// <summary>Runs a query whose first column is a record id (a rule check over many rows), and returns those ids.</summary>
    public HashSet<string> QueryIds(DbCommand command) => Run(command, c =>
    {
        using var reader = c.ExecuteReader();
        var ids = new HashSet<string>();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    });

    /// <summary>Runs a query for one value (a count, or a rule check's <c>SELECT 1</c>); null when it has no rows.</summary>
    public object? QueryScalar(DbCommand command) => Run(command, c => c.ExecuteScalar() is var value and not DBNull ? value : null);

    // Every record query goes through here: counted, and timed for the slow-query log.
    private T Run<T>(DbCommand command, Func<DbCommand, T> run)
    {
        Interlocked.Increment(ref _queries);
        return slowQueries is null ? run(command) : slowQueries.Run(command, run);
    }

    /// <summary>
    /// Runs a record query whose select list is <see cref="SelectColumns"/> followed by one text column, a key
    /// the caller groups the records by (the parent id a back-relation was read for).
    /// </summary>
    public List<(Record Record, string Key)> QueryKeyed(DbCommand command, Collection collection) => Run(command, c =>
    {
        using var reader = c.ExecuteReader();
        var list = new List<(Record, string)>();
        var key = collection.Fields.Count(f => f.Name != "id") + 2;
        while (reader.Read()) list.Add((Read(reader, collection), Convert.ToString(reader.GetValue(key), CultureInfo.InvariantCulture) ?? ""));
        return list;
    });

    /// <summary>The records of <paramref name="ids"/> that exist, one query per <see cref="IdsPerQuery"/> ids.</summary>
    public List<Record> FindByIds(DbConnection connection, DbTransaction? transaction, Collection collection, IReadOnlyCollection<string> ids)
    {
        var found = new List<Record>();
        foreach (var chunk in ids.Distinct().Chunk(IdsPerQuery))
        {
            var parameters = string.Join(", ", chunk.Select((_, i) => "@p" + i));
            using var command = connection.CreateCommand(
                $"SELECT {SelectColumns(collection)} FROM {dialect.Quote(collection.Name)} WHERE {dialect.Quote("id")} IN ({parameters})", chunk.Cast<object?>().ToArray());
            command.Transaction = transaction;
            found.AddRange(Query(command, collection));
        }
        return found;
    }

    public Record Read(DbDataReader reader, Collection collection)
    {
        var record = new Record(collection)
        {
            Id = reader.GetString(0),
            Version = reader.GetInt64(1),
        };
        var i = 2;
        foreach (var field in collection.Fields)
        {
            if (field.Name == "id") continue;
            record[field.Name] = ReadValue(field, reader.IsDBNull(i) ? null : reader.GetValue(i));
            i++;
        }
        return record;
    }

    private static object? ReadValue(Field field, object? raw)
    {
        switch (FieldTypes.ColumnKind(field))
        {
            case ColumnKind.Number:
                return raw switch
                {
                    double d => d,
                    string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
                    // A view's column can be any numeric type the engine has (PostgreSQL: integer, bigint, numeric).
                    int or long or short or decimal or float => Convert.ToDouble(raw, CultureInfo.InvariantCulture),
                    _ => 0d,
                };
            case ColumnKind.Bool:
                return raw switch { long l => l != 0, bool b => b, string s => s is "1" or "true", _ => false };
            case ColumnKind.JsonArray:
                return ParseList(raw as string);
            case ColumnKind.Json:
            case ColumnKind.GeoPoint:
                // Stored json is always text; a number comes from a view's expression column (MAX(n), n + 1).
                if (raw is long integer) return JsonValue.Create(integer);
                if (raw is double real) return JsonValue.Create(real);
                if (raw is not string json) return raw is null ? FieldValues.Zero(field) : JsonValue.Create(raw.ToString());
                try { return JsonNode.Parse(json); }
                catch (JsonException) { return JsonValue.Create(json); }
            default:
                return raw switch { null => "", string s => s, _ => Convert.ToString(raw, CultureInfo.InvariantCulture) ?? "" };
        }
    }

    private static List<string> ParseList(string? json)
    {
        if (string.IsNullOrEmpty(json)) return [];
        try
        {
            return JsonNode.Parse(json) is JsonArray a ? a.Select(FieldValues.ToText).ToList() : [json];
        }
        catch (JsonException)
        {
            return [json];
        }
    }

    public static object? ToDbValue(Field field, object? value) => FieldTypes.ColumnKind(field) switch
    {
        ColumnKind.Number => value is double d ? d : 0d,
        ColumnKind.Bool => value is true,
        ColumnKind.JsonArray => JsonSerializer.Serialize(value as List<string> ?? [], CairnJson.Options),
        ColumnKind.Json => value is JsonNode node ? node.ToJsonString(CairnJson.Options) : null,
        ColumnKind.GeoPoint => (value as JsonNode ?? new JsonObject { ["lon"] = 0, ["lat"] = 0 }).ToJsonString(CairnJson.Options),
        _ => value as string ?? "",
    };

    public void Insert(WriteContext context, Record record)
    {
        generations?.Wrote(context, record.Collection);
        Insert(context, record, version: 1);
        record.Version = 1;
        Announce(context, "create", record.Clone());
    }

    // After the commit only: a rolled-back write is never seen. The snapshot is taken now, as written.
    private void Announce(WriteContext context, string action, Record snapshot)
    {
        if (realtime is { } backplane) context.OnCommitted(() => backplane.Publish(new Realtime.RecordChanged(action, snapshot)));
    }

    /// <summary>Inserts a record read from another database as it is, its version included (<c>cairn migrate-to-postgres</c>).</summary>
    public void InsertCopy(WriteContext context, Record record)
    {
        generations?.Wrote(context, record.Collection);
        Insert(context, record, record.Version);
    }

    private void Insert(WriteContext context, Record record, long version)
    {
        var fields = record.Collection.Fields;
        var columns = string.Join(", ", fields.Select(f => dialect.Quote(f.Name)).Append(dialect.Quote(RecordsColumns.Version)));
        var parameters = string.Join(", ", fields.Select((f, i) => dialect.Parameter("@p" + i, FieldTypes.ColumnKind(f))).Append("@p" + fields.Count));
        using var command = context.Command($"INSERT INTO {dialect.Quote(record.Collection.Name)} ({columns}) VALUES ({parameters})",
            fields.Select(f => ToDbValue(f, record[f.Name])).Append(version).ToArray());
        ExecuteMappingUnique(command, record.Collection);
    }

    /// <summary>
    /// Writes the changed fields. Numeric <c>+</c>/<c>-</c> modifiers are sent as increments
    /// (<c>n = n + @delta</c>) so that concurrent updates never lose one, whatever the engine.
    /// </summary>
    public void Update(WriteContext context, Record record, IReadOnlyCollection<string> changed, IReadOnlyDictionary<string, double> increments)
    {
        generations?.Wrote(context, record.Collection);
        var sets = new List<string> { $"{dialect.Quote(RecordsColumns.Version)} = {dialect.Quote(RecordsColumns.Version)} + 1" };
        var values = new List<object?>();
        foreach (var field in record.Collection.Fields.Where(f => changed.Contains(f.Name) && f.Name != "id"))
        {
            var column = dialect.Quote(field.Name);
            if (increments.TryGetValue(field.Name, out var delta))
                sets.Add($"{column} = {column} + @p{values.Count}");
            else
                sets.Add($"{column} = {dialect.Parameter("@p" + values.Count, FieldTypes.ColumnKind(field))}");
            values.Add(increments.TryGetValue(field.Name, out var d) ? d : ToDbValue(field, record[field.Name]));
        }
        values.Add(record.Id);
        using var command = context.Command(
            $"UPDATE {dialect.Quote(record.Collection.Name)} SET {string.Join(", ", sets)} WHERE {dialect.Quote("id")} = @p{values.Count - 1}",
            values.ToArray());
        ExecuteMappingUnique(command, record.Collection);
        record.Version++;
        if (realtime is null) return;
        // Increments were computed by the database: the announced record is read back as it now stands.
        var snapshot = increments.Count > 0 ? FindById(context.Connection, context.Transaction, record.Collection, record.Id) ?? record.Clone() : record.Clone();
        Announce(context, "update", snapshot);
    }

    public void Delete(WriteContext context, Record record)
    {
        generations?.Wrote(context, record.Collection);
        using var command = context.Command($"DELETE FROM {dialect.Quote(record.Collection.Name)} WHERE {dialect.Quote("id")} = @p0", record.Id);
        if (command.ExecuteNonQuery() > 0) Announce(context, "delete", record.Clone());
    }

    /// <summary>Ids of <paramref name="ids"/> that exist in the collection.</summary>
    public HashSet<string> ExistingIds(DbConnection connection, DbTransaction? transaction, Collection collection, IReadOnlyCollection<string> ids)
    {
        var found = new HashSet<string>();
        foreach (var chunk in ids.Distinct().Chunk(500))
        {
            var parameters = string.Join(", ", chunk.Select((_, i) => "@p" + i));
            using var command = connection.CreateCommand(
                $"SELECT {dialect.Quote("id")} FROM {dialect.Quote(collection.Name)} WHERE {dialect.Quote("id")} IN ({parameters})", chunk.Cast<object?>().ToArray());
            command.Transaction = transaction;
            using var reader = command.ExecuteReader();
            while (reader.Read()) found.Add(reader.GetString(0));
        }
        return found;
    }

    /// <summary>Records of <paramref name="collection"/> whose relation field references <paramref name="id"/>.</summary>
    public List<Record> Referencing(WriteContext context, Collection collection, Field field, string id)
    {
        var column = dialect.Quote(field.Name);
        var condition = field.IsMultiple ? dialect.ArrayContains(column, "@p0") : $"{column} = @p0";
        using var command = context.Command($"SELECT {SelectColumns(collection)} FROM {dialect.Quote(collection.Name)} WHERE {condition}", id);
        return Query(command, collection);
    }

    private void ExecuteMappingUnique(DbCommand command, Collection collection)
    {
        try
        {
            command.ExecuteNonQuery();
        }
        catch (DbException e) when (dialect.IsUniqueViolation(e, out var columns, out var index))
        {
            if (index is not null)
                columns = collection.Indexes.Select(IndexDefinition.TryParse).FirstOrDefault(i => i?.Name == index)?.Columns.Select(c => c.Name).ToList() ?? [];
            var errors = new ValidationErrors();
            foreach (var column in columns.DefaultIfEmpty("id"))
                errors.Add(collection.FindField(column)?.Name ?? column, "validation_not_unique", "Value must be unique.");
            throw new RecordValidationException(errors);
        }
    }
}

/// <summary>Field errors found while writing; the API turns them into "Failed to create/update record."</summary>
public sealed class RecordValidationException(ValidationErrors errors) : Exception("Record validation failed.")
{
    public ValidationErrors Errors { get; } = errors;
}
