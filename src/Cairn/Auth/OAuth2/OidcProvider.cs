using System.Text.Json.Nodes;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// Any OpenID Connect provider, configured by its issuer (<c>extra.issuer</c>): endpoints come from the
/// discovery document unless set, and the user is the validated id_token (iss and aud pinned, nonce checked),
/// completed by the user-info endpoint when there is one.
/// </summary>
internal sealed class OidcProvider(OAuth2ProviderConfig config, HttpClient http, IdTokenValidator idTokens) : OAuth2Provider(config, http)
{
    public string Issuer => Config.ExtraString("issuer");

    protected override string DefaultDisplayName => "OpenID Connect";
    protected override string Scopes => Config.ExtraString("scopes") is { Length: > 0 } scopes ? scopes : "openid email profile";
    protected override OAuth2Endpoints DefaultEndpoints => new("", "", "");

    public override async Task<OAuth2Endpoints> EndpointsAsync(CancellationToken cancellationToken)
    {
        var discovery = await idTokens.DiscoverAsync(Issuer, cancellationToken);
        return new OAuth2Endpoints(
            Config.AuthURL.Length > 0 ? Config.AuthURL : discovery.AuthorizationEndpoint ?? "",
            Config.TokenURL.Length > 0 ? Config.TokenURL : discovery.TokenEndpoint ?? "",
            Config.UserInfoURL.Length > 0 ? Config.UserInfoURL : discovery.UserInfoEndpoint ?? "");
    }

    public override IEnumerable<KeyValuePair<string, string>> ExtraAuthParameters(string codeVerifier) =>
        UsesPkce ? [new("nonce", Pkce.Nonce(codeVerifier))] : [];

    protected override async Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var claims = await idTokens.ValidateAsync(token.IdToken, Issuer, Config.ClientId, UsesPkce ? Pkce.Nonce(codeVerifier) : null, cancellationToken);
        var endpoints = await EndpointsAsync(cancellationToken);
        if (endpoints.UserInfoURL.Length > 0)
        {
            var info = await GetJsonAsync(endpoints.UserInfoURL, token.AccessToken, cancellationToken) as JsonObject
                       ?? throw new OAuth2Exception(OAuth2Exception.UserFailed, "the user info is not a JSON object");
            // OIDC Core 5.3.2: user info for another subject must not be used.
            if (Text(info, "sub") != Text(claims, "sub")) throw new OAuth2Exception(OAuth2Exception.UserFailed, "the user info names another subject");
            foreach (var (key, value) in info) claims[key] = value?.DeepClone();
        }
        var name = Text(claims, "name");
        var username = Text(claims, "preferred_username");
        return new OAuth2User(Text(claims, "sub"), name.Length > 0 ? name : username, username, Text(claims, "email"),
            Flag(claims, "email_verified"), Text(claims, "picture"), claims);
    }
}
