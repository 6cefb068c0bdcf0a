using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Cairn.Collections;
using Cairn.Collections.Views;
using Cairn.Storage;

namespace Cairn.Files;

/// <summary>
/// Where the files of a view collection live (POCKETBASE_API.md 1.5): a view's file field is a column read straight
/// from a collection's file field, so its files are that collection's, stored under the source record's folder. The
/// source table and column come from the database's description of the view query (as when its fields were inferred),
/// cached per view definition; the source record is the one the view row was read from, found by joining the view
/// to the source on that column. Views over views are followed to the collection that holds the bytes.
/// </summary>
public sealed class ViewFileSources(SqlDialect dialect, CollectionRegistry registry)
{
    private const int MaxDepth = 8;
    private readonly ViewSchema _schema = new(dialect);
    // Keyed by the Collection object: a changed view is a new object, so its entries simply stop being found.
    private readonly ConditionalWeakTable<Collection, ConcurrentDictionary<string, (string Table, string Column)?>> _origins = new();

    /// <summary>The collection and record holding the file of <paramref name="field"/> in view record <paramref name="recordId"/>, or null.</summary>
    public (Collection Collection, string RecordId)? Resolve(DbConnection connection, Collection view, string recordId, string field)
    {
        for (var depth = 0; depth < MaxDepth && view.IsView; depth++)
        {
            var origins = _origins.GetOrCreateValue(view);
            if (origins.GetOrAdd(field, name => _schema.Origin(connection, view, name)) is not var (table, column)) return null;
            if (registry.Find(table) is not { } source || source.FindField(column) is not { Type: FieldTypes.File }) return null;
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT s.{dialect.Quote("id")} FROM {dialect.Quote(source.Name)} AS s JOIN {dialect.Quote(view.Name)} AS v " +
                                  $"ON v.{dialect.Quote(field)} = s.{dialect.Quote(column)} WHERE {dialect.IdEquals(view, "v." + dialect.Quote("id"), recordId, command)} LIMIT 1";
            if (command.ExecuteScalar() is not string sourceId) return null;
            (view, recordId, field) = (source, sourceId, column);
        }
        return view.IsView ? null : (view, recordId);
    }
}
