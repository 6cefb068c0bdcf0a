using Cairn.Api;
using Cairn.Auth;
using Cairn.Query;
using Cairn.Records;

namespace Cairn.Collections;

/// <summary>
/// <c>?filter=</c> on the collections list, over the fields <c>id</c>, <c>created</c>, <c>updated</c>,
/// <c>name</c>, <c>system</c> and <c>type</c>. Collections live in the schema cache, not in a records
/// table, so the filter runs in memory through the <see cref="ReferenceEvaluator"/>, which has the
/// compiler's semantics.
/// </summary>
internal static class CollectionFilter
{
    private static readonly Collection Schema = BuildSchema();

    public static IReadOnlyList<Collection> Apply(IReadOnlyList<Collection> collections, string? filter, RequestAuth auth, TimeProvider clock)
    {
        if (filter is null) return collections;
        try
        {
            var expression = QueryCache.Shared.Parse(filter);
            var rows = collections.Select(ToRecord).ToList();
            var evaluator = new ReferenceEvaluator(_ => null, _ => rows, new RequestData { Auth = auth.Record }, clock);
            return collections.Where((_, i) => evaluator.Matches(expression, Schema, rows[i])).ToList();
        }
        catch (QueryException e)
        {
            throw ApiException.BadRequest("Invalid filter parameter: " + e.Message);
        }
    }

    private static Collection BuildSchema()
    {
        var schema = new Collection { Id = "_collections", Name = "_collections" };
        schema.Fields.Add(CollectionScaffolds.IdField());
        foreach (var (name, type) in new[] { ("created", FieldTypes.Text), ("updated", FieldTypes.Text), ("name", FieldTypes.Text), ("system", FieldTypes.Bool), ("type", FieldTypes.Text) })
            schema.Fields.Add(new Field { Name = name, Type = type, Options = FieldTypes.DefaultOptions(type) });
        return schema;
    }

    private static Record ToRecord(Collection collection)
    {
        var record = new Record(Schema) { Id = collection.Id };
        record["created"] = collection.Created;
        record["updated"] = collection.Updated;
        record["name"] = collection.Name;
        record["system"] = collection.System;
        record["type"] = collection.Type;
        return record;
    }
}
