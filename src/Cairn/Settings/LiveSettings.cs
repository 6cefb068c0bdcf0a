using System.Net;
using Cairn.Api;
using Cairn.Observability;
using Cairn.RateLimiting;

namespace Cairn.Settings;

/// <summary>
/// The settings in force. Most consumers read <see cref="Current"/> per use (batch, mail, links, superuser IPs); the ones
/// that keep a parsed form of their section (rate-limit rules, trusted proxies, log retention) are handed the new section
/// by <see cref="Apply"/>, which runs before a PATCH answers, so the next request already sees the change.
/// </summary>
public sealed class LiveSettings(AppSettings initial, RateLimitSettingsSource rateLimits, ClientIpResolver clientIp, LogStore logs)
{
    private volatile Snapshot _snapshot = new(initial);

    public AppSettings Current => _snapshot.Settings;

    /// <summary>The parsed <see cref="AppSettings.SuperuserIPs"/>; empty lets superusers in from anywhere.</summary>
    public IReadOnlyList<IPNetwork> SuperuserNetworks => _snapshot.SuperuserNetworks;

    /// <summary>Swaps in validated settings and hands each consumer its section.</summary>
    public void Apply(AppSettings settings)
    {
        rateLimits.Replace(settings.RateLimits);
        clientIp.Configure(settings.TrustedProxy);
        logs.Configure(settings.Logs);
        _snapshot = new Snapshot(settings);
    }

    private sealed record Snapshot(AppSettings Settings)
    {
        public IReadOnlyList<IPNetwork> SuperuserNetworks { get; } = [.. Settings.SuperuserIPs
            .Select(text => ClientIpResolver.TryParseNetwork(text, out var network) ? network : (IPNetwork?)null).OfType<IPNetwork>()];
    }
}
