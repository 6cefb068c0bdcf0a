using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Microsoft.AspNetCore.Http;

namespace Cairn.RateLimiting;

/// <summary>
/// The settings' rate-limit rules as ASP.NET Core's global limiter (a <see cref="PartitionedRateLimiter{HttpContext}"/>,
/// so the framework's middleware does the refusing): the matching rule's counter in <see cref="IRateLimitStore"/>
/// decides, keyed by client IP (from forwarding headers only behind a trusted proxy) or by the signed-in record.
/// Superusers and excluded IPs are never limited. Every counted response carries <c>RateLimit-Policy</c> and
/// <c>RateLimit</c> (the IETF draft's fields); a refusal is 429 with <c>Retry-After</c>.
/// </summary>
public sealed class RulesRateLimiter(RateLimitSettingsSource settings, IRateLimitStore store, CollectionRegistry registry, Observability.CairnMetrics metrics)
    : PartitionedRateLimiter<HttpContext>
{
    protected override RateLimitLease AttemptAcquireCore(HttpContext context, int permitCount)
    {
        var current = settings.Current;
        if (!current.Enabled || current.Rules.Count == 0) return Lease.Through;
        var auth = RequestAuth.Of(context);
        if (auth.IsSuperuser) return Lease.Through;
        var ip = ClientIp.Of(context);
        if (settings.IsExcluded(ip)) return Lease.Through;
        var request = RateLimitRequest.Of(context, auth.Record is not null, name => registry.Find(name)?.Name);
        if (RateLimitRules.Match(current.Rules, request) is not { } rule) return Lease.Through;

        // An IP never starts with "auth:", so the two kinds of key cannot meet.
        var client = rule.By == "auth" && auth.Record is { } record ? $"auth:{record.Collection.Id}/{record.Id}" : ip;
        var decision = store.Acquire(rule, client);
        var headers = context.Response.Headers;
        headers["RateLimit-Policy"] = $"{rule.MaxRequests};w={rule.Duration}";
        headers["RateLimit"] = $"limit={decision.Limit}, remaining={decision.Remaining}, reset={Seconds(decision.Reset)}";
        if (decision.Allowed) return Lease.Through;
        metrics.RateLimited(rule.Label);
        var refusal = new Lease(false, decision.RetryAfter);
        context.Items[typeof(RulesRateLimiter)] = refusal;
        return refusal;
    }

    // The middleware asks again, to wait in a queue, after a refusal; there is no queue, and counting the request twice would be wrong.
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext context, int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(context.Items[typeof(RulesRateLimiter)] as RateLimitLease ?? AttemptAcquireCore(context, permitCount));

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    private static string Seconds(TimeSpan span) => Math.Max(0, (int)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private sealed class Lease(bool acquired, TimeSpan retryAfter) : RateLimitLease
    {
        public static readonly Lease Through = new(true, TimeSpan.Zero);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => acquired ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = !acquired && metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}

/// <summary>The rate-limit settings in force, replaced whole when the settings change (no restart).</summary>
public sealed class RateLimitSettingsSource
{
    private volatile Snapshot _snapshot;

    public RateLimitSettingsSource(RateLimitSettings initial) => _snapshot = new Snapshot(initial);

    public RateLimitSettings Current => _snapshot.Settings;

    public void Replace(RateLimitSettings settings) => _snapshot = new Snapshot(settings);

    public bool IsExcluded(string ip) => ClientIpResolver.IsInAny(ip, _snapshot.Excluded);

    private sealed record Snapshot(RateLimitSettings Settings)
    {
        public IReadOnlyList<IPNetwork> Excluded { get; } = Settings.ExcludedIPs
            .Select(text => ClientIpResolver.TryParseNetwork(text, out var network) ? network : (IPNetwork?)null)
            .OfType<IPNetwork>().ToList();
    }
}
