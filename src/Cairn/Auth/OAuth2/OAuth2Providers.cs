using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// The built-in providers by name, and the rules for a collection's <c>oauth2.providers</c> list. Choose
/// <c>oidc</c> (or <c>oidc2</c>, <c>oidc3</c> for more than one) for any OpenID Connect provider not listed.
/// </summary>
public static class OAuth2Providers
{
    private delegate OAuth2Provider Factory(OAuth2ProviderConfig config, HttpClient http, IdTokenValidator idTokens);

    private static readonly Dictionary<string, Factory> BuiltIns = new(StringComparer.Ordinal)
    {
        ["google"] = (c, h, _) => new GoogleProvider(c, h),
        ["github"] = (c, h, _) => new GitHubProvider(c, h),
        ["microsoft"] = (c, h, _) => new MicrosoftProvider(c, h),
        ["gitlab"] = (c, h, _) => new GitLabProvider(c, h),
        ["discord"] = (c, h, _) => new DiscordProvider(c, h),
        ["apple"] = (c, h, i) => new AppleProvider(c, h, i),
        ["oidc"] = (c, h, i) => new OidcProvider(c, h, i),
        ["oidc2"] = (c, h, i) => new OidcProvider(c, h, i),
        ["oidc3"] = (c, h, i) => new OidcProvider(c, h, i),
    };

    public static bool IsKnown(string name) => BuiltIns.ContainsKey(name);

    public static OAuth2Provider Create(OAuth2ProviderConfig config, HttpClient http, IdTokenValidator idTokens) =>
        BuiltIns.TryGetValue(config.Name, out var factory) ? factory(config, http, idTokens) : throw new ArgumentException($"Unknown OAuth2 provider {config.Name}.");

    /// <summary>The provider configs of a collection, in their configured order.</summary>
    public static IReadOnlyList<OAuth2ProviderConfig> Configs(Collection collection) =>
        (collection.AuthOptions["oauth2"]?["providers"] as JsonArray ?? []).OfType<JsonObject>().Select(OAuth2ProviderConfig.Parse).ToList();

    public static bool Enabled(Collection collection) => collection.AuthOptions["oauth2"]?["enabled"] is JsonValue v && v.TryGetValue<bool>(out var on) && on;

    /// <summary>
    /// Checks the providers list of an auth collection being saved (names known and unique, a client id, an
    /// OIDC issuer URL), and keeps a stored client secret that the body left out: secrets are never output, so
    /// a client that saves back what it read sends none.
    /// </summary>
    public static void Validate(Collection collection, Collection? existing, ValidationErrors errors)
    {
        if (collection.AuthOptions["oauth2"]?["providers"] is not JsonArray providers) return;
        var stored = existing is { IsAuth: true } ? Configs(existing).ToDictionary(p => p.Name, StringComparer.Ordinal) : [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new ValidationErrors();
        for (var i = 0; i < providers.Count; i++)
        {
            var e = new ValidationErrors();
            if (providers[i] is not JsonObject json)
            {
                list.Add(i.ToString(), "validation_invalid_value", "Must be an object.");
                continue;
            }
            var config = OAuth2ProviderConfig.Parse(json);
            if (!IsKnown(config.Name)) e.Add("name", "validation_invalid_provider", $"Unknown OAuth2 provider \"{config.Name}\".");
            else if (!seen.Add(config.Name)) e.Add("name", "validation_duplicated_provider", "The provider is already listed.");
            if (config.ClientId.Length == 0) e.Add("clientId", "validation_required", "Cannot be blank.");
            if (config.ClientSecret.Length == 0 && stored.TryGetValue(config.Name, out var old) && old.ClientSecret.Length > 0)
                json["clientSecret"] = old.ClientSecret;
            foreach (var key in new[] { "authURL", "tokenURL", "userInfoURL" })
                if (json[key] is JsonValue v && v.TryGetValue<string>(out var url) && url.Length > 0 && !IsAllowedUrl(url))
                    e.Add(key, "validation_invalid_url", "Must be an https URL (http only on loopback).");
            if (config.Name.StartsWith("oidc", StringComparison.Ordinal) && !IsAllowedUrl(config.ExtraString("issuer")))
                e.Nest("extra", new ValidationErrors().Add("issuer", "validation_invalid_url", "The OpenID Connect issuer must be an https URL (http only on loopback)."));
            list.Nest(i.ToString(), e);
        }
        if (list.Any) errors.Nest("oauth2", new ValidationErrors().Nest("providers", list));
    }

    private static bool IsAllowedUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));
}
