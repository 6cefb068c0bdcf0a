using Cairn.Collections;
using Cairn.Rules;

namespace Cairn.Caching;

/// <summary>
/// What a list or view response of a collection can depend on, worked out from the schema alone and so on the safe
/// side: the collection and every collection joined to it by relations, either way (filters, sorts, expands and
/// rules can walk them). A view collection, or a rule that reaches anywhere with <c>@collection</c>, depends on
/// every write. Rules that read request headers or the clock (<c>@now</c>…) change without any write: such
/// responses are not cached at all.
/// </summary>
public sealed record CacheDependencies(IReadOnlyList<string> CollectionIds, bool OnEveryWrite, bool Cacheable)
{
    /// <summary>The dependencies of each collection, for one schema snapshot.</summary>
    public static Dictionary<string, CacheDependencies> Of(IReadOnlyList<Collection> collections)
    {
        var byId = collections.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var neighbours = collections.ToDictionary(c => c.Id, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var collection in collections)
            foreach (var field in collection.Fields.Where(f => f.Type == FieldTypes.Relation && byId.ContainsKey(f.RelationCollectionId)))
            {
                neighbours[collection.Id].Add(field.RelationCollectionId);
                neighbours[field.RelationCollectionId].Add(collection.Id);
            }

        var result = new Dictionary<string, CacheDependencies>(StringComparer.Ordinal);
        foreach (var collection in collections)
        {
            if (result.ContainsKey(collection.Id)) continue;
            var component = Component(collection.Id, neighbours);
            var members = component.Select(id => byId[id]).ToList();
            var reach = members.Select(ReadRules).Aggregate(RuleReach.Local, (a, b) => a | b);
            var dependencies = new CacheDependencies(component, OnEveryWrite: members.Any(m => m.IsView) || reach.HasFlag(RuleReach.AnyCollection),
                Cacheable: !reach.HasFlag(RuleReach.Uncacheable));
            foreach (var id in component) result[id] = dependencies; // one component, one answer
        }
        return result;
    }

    /// <summary>What a filter, sort or rule text reaches beyond the rows it names.</summary>
    [Flags]
    public enum RuleReach { Local = 0, AnyCollection = 1, Uncacheable = 2 }

    /// <summary>
    /// Reads every <c>@name</c> in the text: <c>@request.headers</c> and the date macros make a response uncacheable,
    /// <c>@collection</c> makes it depend on every write. An <c>@</c> inside a string literal (an email) is read the
    /// same way, which only ever caches less.
    /// </summary>
    public static RuleReach Reach(string? text)
    {
        var reach = RuleReach.Local;
        if (string.IsNullOrEmpty(text)) return reach;
        for (var at = text.IndexOf('@'); at >= 0; at = text.IndexOf('@', at + 1))
        {
            var rest = text.AsSpan(at + 1);
            if (rest.StartsWith("collection.")) reach |= RuleReach.AnyCollection;
            else if (rest.StartsWith("request.headers")) reach |= RuleReach.Uncacheable;
            else if (!rest.StartsWith("request.")) reach |= RuleReach.Uncacheable; // @now, @todayStart, @hour… (and anything unknown)
        }
        return reach;
    }

    // The rules a read applies: list and view (of the collection, of joined and of expanded ones) and an auth collection's manage rule.
    private static RuleReach ReadRules(Collection c) =>
        Reach(c.ListRule) | Reach(c.ViewRule) | (c.IsAuth ? Reach(RecordRules.ManageRule(c)) : RuleReach.Local);

    private static List<string> Component(string start, Dictionary<string, HashSet<string>> neighbours)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var id))
            foreach (var next in neighbours[id])
                if (seen.Add(next)) queue.Enqueue(next);
        return [.. seen];
    }
}
