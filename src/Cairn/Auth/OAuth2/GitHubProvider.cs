using System.Text.Json.Nodes;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// GitHub: <c>/user</c> carries only the public profile email, which GitHub does not promise is verified, so the
/// address used is the primary one that <c>/user/emails</c> lists as verified.
/// </summary>
internal sealed class GitHubProvider(OAuth2ProviderConfig config, HttpClient http) : OAuth2Provider(config, http)
{
    protected override string DefaultDisplayName => "GitHub";
    protected override string Scopes => "read:user user:email";
    protected override OAuth2Endpoints DefaultEndpoints => new(
        "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token", "https://api.github.com/user");

    protected override async Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var raw = await GetUserInfoAsync(token, cancellationToken);
        var endpoints = await EndpointsAsync(cancellationToken);
        // The emails list sits beside the user resource (api.github.com/user → /user/emails).
        var emails = await GetJsonAsync(endpoints.UserInfoURL.TrimEnd('/') + "/emails", token.AccessToken, cancellationToken) as JsonArray ?? [];
        var primary = emails.OfType<JsonObject>().FirstOrDefault(e => Flag(e, "primary") && Flag(e, "verified"));
        var email = primary is null ? Text(raw, "email") : Text(primary, "email");
        var name = Text(raw, "name");
        return new OAuth2User(Text(raw, "id"), name.Length > 0 ? name : Text(raw, "login"), Text(raw, "login"), email,
            primary is not null, Text(raw, "avatar_url"), raw);
    }
}
