namespace Cairn.Auth.OAuth2;

/// <summary>
/// Sign in with Apple: no user-info endpoint; the user is the id_token, validated against Apple's published
/// keys with <c>iss</c> and <c>aud</c> pinned. Asking for name and email requires <c>response_mode=form_post</c>.
/// </summary>
internal sealed class AppleProvider(OAuth2ProviderConfig config, HttpClient http, IdTokenValidator idTokens) : OAuth2Provider(config, http)
{
    public const string Issuer = "https://appleid.apple.com";

    protected override string DefaultDisplayName => "Apple";
    protected override string Scopes => "name email";
    protected override OAuth2Endpoints DefaultEndpoints => new("https://appleid.apple.com/auth/authorize", "https://appleid.apple.com/auth/token", "");

    public override IEnumerable<KeyValuePair<string, string>> ExtraAuthParameters(string codeVerifier) =>
        UsesPkce ? [new("response_mode", "form_post"), new("nonce", Pkce.Nonce(codeVerifier))] : [new("response_mode", "form_post")];

    protected override async Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var claims = await idTokens.ValidateAsync(token.IdToken, Issuer, Config.ClientId, UsesPkce ? Pkce.Nonce(codeVerifier) : null, cancellationToken);
        return new OAuth2User(Text(claims, "sub"), "", "", Text(claims, "email"), Flag(claims, "email_verified"), "", claims);
    }
}
