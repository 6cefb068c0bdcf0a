using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cairn.Auth.OAuth2;

/// <summary>Registers OAuth2 sign-in: the HTTP client providers are called through, with its time limit, and the id_token validator.</summary>
public static class OAuth2Services
{
    public const string HttpClientName = "oauth2";

    public static IServiceCollection AddOAuth2(this IServiceCollection services)
    {
        services.TryAddSingleton(OAuth2Options.Default);
        services.AddSingleton<IdTokenValidator>();
        services.AddSingleton<OAuth2SignIn>();
        // No retries: an authorization code is single-use, so a retried exchange would fail anyway and hide the first answer.
        services.AddHttpClient(HttpClientName).ConfigureHttpClient((s, client) => client.Timeout = s.GetRequiredService<OAuth2Options>().Timeout);
        return services;
    }

    public static bool IsLoopback(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback;
}
