using System.Data.Common;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;

namespace Cairn.Auth;

/// <summary>
/// Rows of the auth bookkeeping collections (<c>_mfas</c>, <c>_otps</c>, <c>_totps</c>) that belong to one auth
/// record through <c>collectionRef</c> and <c>recordRef</c>. Written straight through the record store, so they
/// are ordinary records on both engines, but without the record form: these values are the server's own, never input.
/// </summary>
internal sealed class OwnedRows(IDatabase db, CollectionRegistry registry, RecordStore store, TimeProvider clock)
{
    public IDatabase Database => db;

    public Collection Collection(string name) =>
        registry.Find(name) ?? throw new InvalidOperationException($"The system collection {name} is missing.");

    /// <summary>A new row with every field at its zero value, the owner, the given values, a fresh id and the autodates.</summary>
    public Record New(Collection collection, Record owner, IReadOnlyDictionary<string, object?> values)
    {
        var row = new Record(collection);
        foreach (var field in collection.Fields) row[field.Name] = FieldValues.Zero(field);
        row.Id = CollectionIds.NewRecordId();
        row["collectionRef"] = owner.Collection.Id;
        row["recordRef"] = owner.Id;
        foreach (var (name, value) in values) row[name] = value;
        Touch(row, isNew: true);
        return row;
    }

    public void Insert(WriteContext context, Record row) => store.Insert(context, row);

    /// <summary>Writes the named fields (and the autodates) of a row read earlier in the same write unit.</summary>
    public void Update(WriteContext context, Record row, params string[] changed)
    {
        var touched = Touch(row, isNew: false);
        store.Update(context, row, [.. changed, .. touched], new Dictionary<string, double>());
    }

    public void Delete(WriteContext context, Record row) => store.Delete(context, row);

    public Record? FindById(DbConnection connection, DbTransaction? transaction, Collection collection, string id) =>
        id.Length == 0 ? null : store.FindById(connection, transaction, collection, id);

    /// <summary>The owner's rows, newest first; inside a write unit they are locked until the commit.</summary>
    public List<Record> FindByOwner(DbConnection connection, DbTransaction? transaction, Collection collection, Record owner)
    {
        var q = store.Dialect;
        var lockRows = transaction is null ? "" : q.LockForUpdate;
        using var command = connection.CreateCommand(
            $"SELECT {store.SelectColumns(collection)} FROM {q.Quote(collection.Name)} WHERE {q.Quote("collectionRef")} = @p0 AND {q.Quote("recordRef")} = @p1 " +
            $"ORDER BY {q.Quote("created")} DESC, {q.Quote("id")} DESC{lockRows}", owner.Collection.Id, owner.Id);
        command.Transaction = transaction;
        return store.Query(command, collection);
    }

    /// <summary>When the row was created, by its <c>created</c> autodate; a row without one counts as long expired.</summary>
    public static DateTimeOffset Created(Record row) => CairnJson.ParseDate(row.GetString("created")) ?? DateTimeOffset.MinValue;

    private List<string> Touch(Record row, bool isNew)
    {
        var now = CairnJson.FormatDate(clock.GetUtcNow());
        var touched = new List<string>();
        foreach (var field in row.Collection.Fields.Where(f => f.Type == FieldTypes.Autodate && ((isNew && f.OnCreate) || (!isNew && f.OnUpdate))))
        {
            row[field.Name] = now;
            touched.Add(field.Name);
        }
        return touched;
    }
}
