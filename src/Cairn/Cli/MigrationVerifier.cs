using System.Data.Common;
using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Cairn.Storage.Postgres;

namespace Cairn.Cli;

/// <summary>
/// The check after <c>cairn migrate-to-postgres</c>: a collection's model, then its rows, compared between the SQLite
/// snapshot and PostgreSQL. Both sides are read the way the server reads them, into records, and compared field by
/// field as the API would output them (JSON objects compare without regard to key order, which <c>jsonb</c> does not keep).
/// A table's rows are walked in <c>@rowid</c> order on both sides, so a row out of order is a difference too;
/// a view's rows, numbered by the view itself, are matched by id.
/// </summary>
internal sealed class MigrationVerifier(SqliteSnapshot source, PostgresDatabase target, RecordStore records)
{
    public async Task<(long Rows, string? Problem)> CompareAsync(Collection from, Collection to, CancellationToken cancellationToken)
    {
        if (ModelDifference(from, to) is { } key)
            return (0, from.IsView ? $"view collection {from.Name}: \"{key}\" is not the same (PostgreSQL infers the view's fields from its query)" : $"collection {from.Name}: \"{key}\" is not the same");
        return await target.ReadAsync(connection =>
        {
            var dialect = target.Dialect;
            using var command = connection.CreateCommand(
                $"SELECT {records.SelectColumns(to)} FROM {dialect.Quote(to.Name)}{(to.IsView ? "" : " ORDER BY " + dialect.RowId)}");
            using var reader = command.ExecuteReader();
            var copies = Rows(reader, to);
            return from.IsView ? CompareById(from, copies) : CompareInOrder(from, copies);
        }, cancellationToken);
    }

    // Streamed: a table is never held in memory whole.
    private IEnumerable<Record> Rows(DbDataReader reader, Collection collection)
    {
        while (reader.Read()) yield return records.Read(reader, collection);
    }

    // The first top-level key of the collection's JSON (secrets included) that differs; the ids of fields are part of it.
    private static string? ModelDifference(Collection from, Collection to)
    {
        var (a, b) = (from.ToJson(includeSecrets: true), to.ToJson(includeSecrets: true));
        return a.Select(p => p.Key).Union(b.Select(p => p.Key)).FirstOrDefault(k => !JsonNode.DeepEquals(a[k], b[k]));
    }

    private (long, string?) CompareInOrder(Collection from, IEnumerable<Record> copies)
    {
        using var copy = copies.GetEnumerator();
        long position = 0;
        foreach (var original in source.Rows(from))
        {
            if (!copy.MoveNext()) return (position, $"{from.Name}: record {original.Id} is missing");
            position++;
            if (copy.Current.Id != original.Id) return (position, $"{from.Name}: record {original.Id} is not in its place (found {copy.Current.Id})");
            if (Difference(original, copy.Current) is { } field) return (position, $"{from.Name}: record {original.Id} differs in {field}");
        }
        return copy.MoveNext() ? (position, $"{from.Name}: record {copy.Current.Id} was not in SQLite") : (position, null);
    }

    private (long, string?) CompareById(Collection from, IEnumerable<Record> copies)
    {
        var byId = copies.ToDictionary(r => r.Id);
        long count = 0;
        foreach (var original in source.Rows(from))
        {
            count++;
            if (!byId.Remove(original.Id, out var copy)) return (count, $"{from.Name}: row {original.Id} is missing");
            if (Difference(original, copy) is { } field) return (count, $"{from.Name}: row {original.Id} differs in {field}");
        }
        return byId.Count > 0 ? (count, $"{from.Name}: row {byId.Keys.First()} was not in SQLite") : (count, null);
    }

    // Values are named, never printed: they include password hashes and token keys.
    private static string? Difference(Record original, Record copy)
    {
        if (original.Version != copy.Version) return RecordsColumns.Version;
        foreach (var field in original.Collection.Fields)
            if (!JsonNode.DeepEquals(FieldValues.ToNode(original[field.Name]), FieldValues.ToNode(copy[field.Name]))) return field.Name;
        return null;
    }
}
