using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Caching;

public static class CachingServices
{
    /// <summary>The response cache on HybridCache (in memory, bounded in bytes) and the write counters that retire its entries.</summary>
    public static IServiceCollection AddResponseCache(this IServiceCollection services, CairnOptions options)
    {
        var cache = options.Cache;
        var mode = cache.Mode ?? (options.Database is null ? ResponseCacheMode.Public : ResponseCacheMode.Off);
        services.AddSingleton<WriteGenerations>();
        // HybridCache keeps each entry serialized and sizes it by its bytes, so the memory cache under it is bounded in bytes.
        services.AddMemoryCache(memory => memory.SizeLimit = cache.MaxBytes);
        services.AddHybridCache().AddSerializer<CachedResponse, CachedResponseSerializer>();
        services.AddSingleton(s => new ResponseCache(s.GetRequiredService<HybridCache>(), s.GetRequiredService<WriteGenerations>(),
            s.GetRequiredService<Collections.CollectionRegistry>(), mode, cache, s.GetRequiredService<Observability.CairnMetrics>()));
        return services;
    }
}
