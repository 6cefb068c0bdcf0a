using Cairn.Api;
using Cairn.Observability;
using Cairn.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Settings;

public static class SettingsServices
{
    /// <summary>The live settings, first those of the flags; <see cref="SettingsService.InitializeAsync"/> then reads the stored ones over them.</summary>
    public static IServiceCollection AddSettings(this IServiceCollection services, CairnOptions options)
    {
        services.AddSingleton(s => new LiveSettings(SettingsSeed.FromOptions(options), s.GetRequiredService<RateLimitSettingsSource>(),
            s.GetRequiredService<ClientIpResolver>(), s.GetRequiredService<LogStore>()));
        services.AddSingleton<SettingsStore>();
        services.AddSingleton<SettingsService>();
        return services;
    }
}
