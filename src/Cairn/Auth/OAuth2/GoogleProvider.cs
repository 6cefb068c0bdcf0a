namespace Cairn.Auth.OAuth2;

/// <summary>Google: OpenID Connect user info, whose <c>email_verified</c> says whether Google checked the address.</summary>
internal sealed class GoogleProvider(OAuth2ProviderConfig config, HttpClient http) : OAuth2Provider(config, http)
{
    protected override string DefaultDisplayName => "Google";
    protected override string Scopes => "openid email profile";
    protected override OAuth2Endpoints DefaultEndpoints => new(
        "https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v3/userinfo");

    protected override async Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var raw = await GetUserInfoAsync(token, cancellationToken);
        return new OAuth2User(Text(raw, "sub"), Text(raw, "name"), "", Text(raw, "email"), Flag(raw, "email_verified"), Text(raw, "picture"), raw);
    }
}
