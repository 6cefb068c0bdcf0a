namespace Cairn.Auth.OAuth2;

/// <summary>
/// Microsoft (Entra ID / personal accounts) through Microsoft Graph <c>/me</c>. Its <c>mail</c> is set by the
/// tenant and not verified by Microsoft (the "nOAuth" issue), so it never counts as verified here.
/// </summary>
internal sealed class MicrosoftProvider(OAuth2ProviderConfig config, HttpClient http) : OAuth2Provider(config, http)
{
    protected override string DefaultDisplayName => "Microsoft";
    protected override string Scopes => "User.Read";
    protected override OAuth2Endpoints DefaultEndpoints => new(
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        "https://graph.microsoft.com/v1.0/me");

    protected override async Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var raw = await GetUserInfoAsync(token, cancellationToken);
        return new OAuth2User(Text(raw, "id"), Text(raw, "displayName"), "", Text(raw, "mail"), EmailVerified: false, "", raw);
    }
}
