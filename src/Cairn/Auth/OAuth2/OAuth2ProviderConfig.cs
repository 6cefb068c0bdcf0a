using System.Text.Json.Nodes;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// One entry of a collection's <c>oauth2.providers</c> (POCKETBASE_API.md 3.1). Empty URLs fall back to the
/// built-in provider's endpoints; <see cref="Pkce"/> null means the provider's default.
/// </summary>
public sealed record OAuth2ProviderConfig(
    string Name, string ClientId, string ClientSecret, string AuthURL, string TokenURL, string UserInfoURL,
    string DisplayName, bool? Pkce, JsonObject Extra)
{
    public static OAuth2ProviderConfig Parse(JsonObject json) => new(
        Str(json, "name"), Str(json, "clientId"), Str(json, "clientSecret"), Str(json, "authURL"), Str(json, "tokenURL"),
        Str(json, "userInfoURL"), Str(json, "displayName"),
        json["pkce"] is JsonValue p && p.TryGetValue<bool>(out var pkce) ? pkce : null,
        json["extra"] as JsonObject ?? new JsonObject());

    /// <summary>A string from <see cref="Extra"/>, or "" when absent.</summary>
    public string ExtraString(string key) => Str(Extra, key);

    private static string Str(JsonObject json, string key) => json[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s.Trim() : "";
}
