using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.RateLimiting;

public static class RateLimitingServices
{
    /// <summary>The settings' rate-limit rules as ASP.NET Core's global limiter, counting in this process (<see cref="InMemoryRateLimitStore"/>).</summary>
    public static IServiceCollection AddRateLimitRules(this IServiceCollection services, RateLimitSettings settings)
    {
        services.AddSingleton(new RateLimitSettingsSource(settings));
        services.AddSingleton<IRateLimitStore>(s => new InMemoryRateLimitStore(s.GetRequiredService<TimeProvider>()));
        services.AddSingleton<RulesRateLimiter>();
        services.AddOptions<RateLimiterOptions>().Configure<RulesRateLimiter>((options, limiter) => options.GlobalLimiter = limiter);
        return services;
    }
}
