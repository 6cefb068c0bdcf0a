using System.Text;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Hybrid;

namespace Cairn.Caching;

/// <summary>
/// Cache-aside for record list and view responses, on HybridCache: a miss loads from the database and stores the
/// response; concurrent misses of one key wait for a single load (HybridCache's stampede protection). Writes never
/// touch entries: they raise <see cref="WriteGenerations"/>, which every key carries, so the next read misses.
/// </summary>
/// <remarks>
/// A key holds everything the response depends on: the schema version (rules included), the collection, the record,
/// the caller (a guest, or one record of one auth collection: one user's responses are never another's), the whole
/// query string (filter, sort, page, expand, fields) and the write counters of every collection the response can
/// read (<see cref="CacheDependencies"/>). A counter sum works as a version because counters only ever grow.
/// </remarks>
public sealed class ResponseCache
{
    private readonly HybridCache _cache;
    private readonly WriteGenerations _generations;
    private readonly CollectionRegistry _registry;
    private readonly ResponseCacheMode _mode;
    private readonly HybridCacheEntryOptions _entry;
    private readonly CairnMetrics? _metrics;
    private readonly int _maxEntryBytes;
    private volatile DependencyMap _dependencies = new(-1, []);
    private long _hits, _misses;

    public ResponseCache(HybridCache cache, WriteGenerations generations, CollectionRegistry registry, ResponseCacheMode mode,
        ResponseCacheOptions options, CairnMetrics? metrics = null)
    {
        (_cache, _generations, _registry, _mode, _metrics) = (cache, generations, registry, mode, metrics);
        _entry = new HybridCacheEntryOptions { Expiration = options.Ttl, LocalCacheExpiration = options.Ttl };
        _maxEntryBytes = options.MaxEntryBytes;
    }

    private const int MaxKeyLength = 1024; // HybridCacheOptions.MaximumKeyLength's default

    public ResponseCacheMode Mode => _mode;
    public long Hits => Interlocked.Read(ref _hits);
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The key of this request's response, or null when it must not be cached.</summary>
    public string? KeyFor(HttpContext context, Collection collection, string action, string? id, string? rule, RequestAuth auth)
    {
        if (_mode == ResponseCacheMode.Off || rule is null && !auth.IsSuperuser) return null;
        if (auth.Record is null && !auth.IsGuest) return null; // the server acting on its own is no HTTP caller
        if (_mode == ResponseCacheMode.Public && rule != "") return null;
        var query = context.Request.Query;
        var reach = CacheDependencies.Reach(query["filter"]) | CacheDependencies.Reach(query["sort"]);
        if (reach.HasFlag(CacheDependencies.RuleReach.Uncacheable)) return null;

        var map = Dependencies();
        if (map.Of.GetValueOrDefault(collection.Id) is not { } own) return null; // created after this snapshot
        var caller = auth.Record?.Collection is { } authCollection ? map.Of.GetValueOrDefault(authCollection.Id) : null;
        if (!own.Cacheable || caller is { Cacheable: false }) return null;
        var onEveryWrite = own.OnEveryWrite || caller is { OnEveryWrite: true } || reach.HasFlag(CacheDependencies.RuleReach.AnyCollection);
        var version = onEveryWrite ? _generations.All : Sum(own) + (caller is null || ReferenceEquals(caller, own) ? 0 : Sum(caller));

        var key = new StringBuilder(128)
            .Append(map.Version).Append('/').Append(action).Append('/').Append(collection.Id).Append('/').Append(id)
            .Append('/').Append(auth.Record is { } record ? $"{record.Collection.Id}:{record.Id}" : "guest")
            .Append('/').Append(version).Append(context.Request.QueryString.Value);
        // HybridCache refuses longer keys (with an error log per request): a query string of kilobytes goes uncached.
        return key.Length <= MaxKeyLength ? key.ToString() : null;
    }

    /// <summary>The cached response for <paramref name="key"/>, or the one <paramref name="load"/> makes (which is then kept).</summary>
    public async ValueTask<CachedResponse> GetOrLoadAsync(string key, Func<CancellationToken, ValueTask<CachedResponse>> load, CancellationToken cancellationToken)
    {
        var loaded = false;
        var response = await _cache.GetOrCreateAsync(key, cancel =>
        {
            loaded = true;
            return load(cancel);
        }, _entry, cancellationToken: cancellationToken);
        // HybridCache applies its payload limit to a second-level cache, not to memory: the limit is kept here.
        if (loaded && response.Body.Length > _maxEntryBytes) await _cache.RemoveAsync(key, CancellationToken.None);
        Interlocked.Increment(ref loaded ? ref _misses : ref _hits);
        _metrics?.CacheLookup(hit: !loaded);
        return response;
    }

    private long Sum(CacheDependencies dependencies)
    {
        var sum = 0L;
        foreach (var id in dependencies.CollectionIds) sum += _generations.Of(id);
        return sum;
    }

    // Recomputed once per schema change; the registry's version moves after the change commits.
    private DependencyMap Dependencies()
    {
        var current = _dependencies;
        var (version, collections) = _registry.Current;
        if (current.Version == version) return current;
        var fresh = new DependencyMap(version, CacheDependencies.Of(collections));
        _dependencies = fresh;
        return fresh;
    }

    private sealed record DependencyMap(long Version, Dictionary<string, CacheDependencies> Of);
}
