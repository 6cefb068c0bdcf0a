using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Query;
using Microsoft.AspNetCore.WebUtilities;

namespace Cairn.Realtime;

/// <summary>
/// One subscription string as a client sent it (POCKETBASE_API.md 1.4): a target (<c>posts/*</c>,
/// <c>posts/RECORD_ID</c>, a bare collection, or a custom topic such as <c>@oauth2</c>) and optional
/// <c>?options={"query":{…},"headers":{…}}</c>. Events are sent under <see cref="Topic"/>, character for
/// character, because the SDK listens under that exact key.
/// </summary>
public sealed class Subscription
{
    private Subscription(string topic, string target, IReadOnlyDictionary<string, string> query, IReadOnlyDictionary<string, string> headers, string optionsKey)
    {
        Topic = topic;
        Target = target;
        Query = query;
        Headers = headers;
        OptionsKey = optionsKey;
        var slash = target.IndexOf('/');
        Collection = slash < 0 ? target : target[..slash];
        RecordId = slash < 0 ? "*" : target[(slash + 1)..];
        if (Query.TryGetValue("filter", out var filter) && filter.Trim().Length > 0)
        {
            try { Filter = QueryCache.Shared.Parse(filter); }
            catch (QueryException) { FilterInvalid = true; }
        }
    }

    public string Topic { get; }

    /// <summary>The part before <c>?</c>.</summary>
    public string Target { get; }

    /// <summary>The collection name or id of a record topic (the whole target for a bare name or custom topic).</summary>
    public string Collection { get; }

    /// <summary><c>*</c> for every record of the collection, else one record's id.</summary>
    public string RecordId { get; }

    public IReadOnlyDictionary<string, string> Query { get; }

    /// <summary>Header names in snake_case, as rules read them.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The options in a canonical form: subscriptions with equal keys are checked and shaped alike.</summary>
    public string OptionsKey { get; }

    public QueryExpr? Filter { get; }

    /// <summary>A filter that does not parse; such a subscription silently receives no record events, as in PocketBase.</summary>
    public bool FilterInvalid { get; }

    public string? Expand => Query.GetValueOrDefault("expand") is { Length: > 0 } e ? e : null;

    public string? Fields => Query.GetValueOrDefault("fields") is { Length: > 0 } f ? f : null;

    // Most subscriptions carry no options: they share one empty dictionary rather than each holding two.
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    // Subscriptions are immutable, and thousands of clients usually hold the same few topics: they share one
    // parsed copy (bounded, so that odd topics cannot grow it for ever).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Subscription> Shared = new(StringComparer.Ordinal);
    private const int SharedLimit = 10_000;

    /// <summary>The parsed topic, shared with every other client holding the same string.</summary>
    public static Subscription Parse(string topic)
    {
        if (Shared.TryGetValue(topic, out var shared)) return shared;
        var parsed = ParseNew(topic);
        return Shared.Count < SharedLimit ? Shared.GetOrAdd(topic, parsed) : parsed;
    }

    private static Subscription ParseNew(string topic)
    {
        var question = topic.IndexOf('?');
        var target = question < 0 ? topic : topic[..question];
        if (question < 0) return new Subscription(topic, target, None, None, "");
        var query = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if ( QueryHelpers.ParseQuery(topic[question..]).TryGetValue("options", out var raw) && raw.ToString() is { Length: > 0 } json)
        {
            // Options that are not valid JSON are ignored, as PocketBase ignores them.
            try
            {
                if (JsonNode.Parse(json) is JsonObject options)
                {
                    Read(options["query"], query, k => k);
                    Read(options["headers"], headers, RequestData.HeaderKey);
                }
            }
            catch (JsonException) { }
        }
        var key = string.Join("&", query.Select(q => $"q:{q.Key}={q.Value}")) + "#" + string.Join("&", headers.Select(h => $"h:{h.Key}={h.Value}"));
        return new Subscription(topic, target, query, headers, key);
    }

    private static void Read(JsonNode? node, IDictionary<string, string> into, Func<string, string> key)
    {
        if (node is not JsonObject values) return;
        foreach (var (name, value) in values)
            into[key(name)] = value switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                _ => value.ToJsonString(),
            };
    }
}
