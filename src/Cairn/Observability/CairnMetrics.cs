using System.Diagnostics.Metrics;
using Cairn.Realtime;

namespace Cairn.Observability;

/// <summary>
/// Cairn's own instruments, next to ASP.NET Core's (request durations, active requests, Kestrel connections) and the
/// runtime's (GC, thread pool), all exported by OpenTelemetry (<see cref="TelemetryServices"/>).
/// </summary>
public sealed class CairnMetrics
{
    public const string MeterName = "Cairn";

    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _cacheLookups;

    public CairnMetrics(IMeterFactory meters, RealtimeHub realtime)
    {
        var meter = meters.Create(MeterName);
        _rateLimited = meter.CreateCounter<long>("cairn.rate_limit.rejections", "{request}", "Requests refused by a rate-limit rule, by rule label.");
        _cacheLookups = meter.CreateCounter<long>("cairn.cache.lookups", "{lookup}", "Record list and view responses looked up in the response cache, by result (hit or miss).");
        meter.CreateObservableGauge("cairn.realtime.connections", () => Enum.GetValues<RealtimeTransport>().Select(transport =>
            new Measurement<int>(realtime.Clients.Count(c => c.Transport == transport), new KeyValuePair<string, object?>("transport", transport.ToString().ToLowerInvariant()))),
            "{connection}", "Open realtime connections, by transport.");
        meter.CreateObservableGauge("cairn.realtime.queued", () => realtime.Clients.Sum(c => c.Queued), "{message}",
            "Events waiting in realtime connections' send queues: a rising value means subscribers are falling behind.");
    }

    public void CacheLookup(bool hit) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    public void RateLimited(string rule) => _rateLimited.Add(1, new KeyValuePair<string, object?>("rule", rule));
}
