using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace Cairn.Auth.OAuth2;

/// <summary>Registers OAuth2 sign-in: the HTTP client providers are called through, with its time limits, and the id_token validator.</summary>
public static class OAuth2Services
{
    public const string HttpClientName = "oauth2";

    /// <summary>How long one call to a provider may take in all; a provider that hangs gives 400, not a stuck request.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static IServiceCollection AddOAuth2(this IServiceCollection services, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        services.AddSingleton<IdTokenValidator>();
        services.AddSingleton<OAuth2SignIn>();
        services.AddHttpClient(HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .AddStandardResilienceHandler(o =>
            {
                o.TotalRequestTimeout.Timeout = limit;
                o.AttemptTimeout.Timeout = limit;
                o.CircuitBreaker.SamplingDuration = limit * 2;
                // An authorization code is single-use: a retried exchange would fail anyway and could hide the first answer.
                o.Retry.DisableForUnsafeHttpMethods();
            });
        return services;
    }

    public static bool IsLoopback(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback;
}
