using System.Globalization;
using System.Threading.RateLimiting;
using Cairn.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Auth.BruteForce;

/// <summary>
/// A request limit per client IP shared by every credential endpoint (sign-ins, one-time codes, the mail
/// flows). Lockout (<see cref="CredentialGuard"/>) counts failures; this counts requests, so it also stops what
/// failure counters cannot see: flooding inboxes with codes and reset links, or probing many accounts with
/// one guess each. Built on ASP.NET Core's rate limiter (a fixed window per IP); the per-rule limits of the
/// settings, with their choice of algorithm, are a separate, configurable layer.
/// </summary>
public static class CredentialRateLimit
{
    public const string Policy = "cairn-credentials";

    public static IServiceCollection AddCredentialRateLimit(this IServiceCollection services, BruteForceOptions options) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context => options.CredentialRequestsPerMinute == 0
                ? RateLimitPartition.GetNoLimiter("")
                // ClientIp believes forwarding headers only from a trusted proxy, so a client cannot pick a fresh partition per request.
                : RateLimitPartition.GetFixedWindowLimiter(ClientIp.Of(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.CredentialRequestsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            limiter.OnRejected = (rejected, _) =>
            {
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(ErrorResponses.WriteAsync(rejected.HttpContext, 429));
            };
        });

    /// <summary>Counts requests to this endpoint against the client's credential limit.</summary>
    public static TBuilder LimitedAsCredential<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.RequireRateLimiting(Policy);
}
