using System.Collections.Concurrent;

namespace Cairn.Query;

/// <summary>
/// Parsed expressions by their text, at most <see cref="Capacity"/> of them (POCKETBASE_API.md 2.4).
/// Rules are parsed on every request that checks them and clients repeat the same filters, so the cache
/// saves the parse; the trees are immutable records, safe to share between requests. When full, the
/// cache is emptied rather than tracking recency: refilling 500 entries costs less than an LRU list
/// lock on every hit. Parse errors are not cached, so garbage cannot evict useful entries twice.
/// </summary>
public sealed class QueryCache
{
    public const int Capacity = 500;

    private readonly ConcurrentDictionary<string, QueryExpr> _entries = new(StringComparer.Ordinal);

    /// <summary>The cache the server shares; tests may build their own.</summary>
    public static QueryCache Shared { get; } = new();

    public int Count => _entries.Count;

    /// <summary>The parsed tree of <paramref name="text"/>; throws <see cref="QuerySyntaxException"/> like <see cref="QueryParser.Parse"/>.</summary>
    public QueryExpr Parse(string text)
    {
        if (_entries.TryGetValue(text, out var cached)) return cached;
        var parsed = QueryParser.Parse(text);
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries.TryAdd(text, parsed);
        return parsed;
    }
}
