using Cairn.Auth;
using Cairn.Collections;

namespace Cairn.Records.Expand;

/// <summary>
/// What one expand segment names, resolved against a collection: a relation field of it (forward), or
/// <c>other_via_field</c>, the records of <c>other</c> whose relation <c>field</c> points back at it.
/// </summary>
internal sealed record ExpandRelation(string Name, Collection Target, Field Field, bool IsBack, bool Single)
{
    private const string Via = "_via_";

    /// <summary>
    /// The relation, or null when the segment names nothing expandable for this caller: an unknown
    /// field, a field that is not a relation, or a hidden one (its ids are not visible to non-superusers,
    /// so neither are the records they lead to). An unresolvable segment is silently left out, never a 4xx.
    /// </summary>
    public static ExpandRelation? Resolve(CollectionRegistry registry, Collection from, string segment, RequestAuth auth)
    {
        // Field names cannot contain "_via_" (the validator refuses them), collection names can: split at the last one.
        var via = segment.LastIndexOf(Via, StringComparison.OrdinalIgnoreCase);
        if (via > 0) return ResolveBack(registry, from, segment[..via], segment[(via + Via.Length)..], auth);

        var field = from.FindField(segment);
        if (field is not { Type: FieldTypes.Relation } || (field.Hidden && !auth.IsSuperuser)) return null;
        var target = field.RelationCollectionId == from.Id ? from : registry.Find(field.RelationCollectionId);
        return target is null ? null : new ExpandRelation(field.Name, target, field, IsBack: false, Single: !field.IsMultiple);
    }

    // Multi-valued unless the field has a single-column UNIQUE index (POCKETBASE_API.md 2.2, 3.4). Views
    // have no insertion order to cap the 1000 back-related records by, so they are not back-relation sources.
    private static ExpandRelation? ResolveBack(CollectionRegistry registry, Collection to, string sourceName, string fieldName, RequestAuth auth)
    {
        var source = registry.Find(sourceName);
        if (source is null || source.IsView) return null;
        var field = source.FindField(fieldName);
        if (field is not { Type: FieldTypes.Relation } || field.RelationCollectionId != to.Id || (field.Hidden && !auth.IsSuperuser)) return null;
        var single = CollectionValidator.UniqueColumns(source).Contains(field.Name);
        return new ExpandRelation($"{source.Name}{Via}{field.Name}", source, field, IsBack: true, single);
    }
}
