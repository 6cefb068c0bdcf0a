namespace Cairn.Auth.OAuth2;

/// <summary>GitLab <c>/api/v4/user</c>: the primary email is verified once <c>confirmed_at</c> is set.</summary>
internal sealed class GitLabProvider(OAuth2ProviderConfig config, HttpClient http) : OAuth2Provider(config, http)
{
    protected override string DefaultDisplayName => "GitLab";
    protected override string Scopes => "read_user";
    protected override OAuth2Endpoints DefaultEndpoints => new(
        "https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/token", "https://gitlab.com/api/v4/user");

    protected override async Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var raw = await GetUserInfoAsync(token, cancellationToken);
        return new OAuth2User(Text(raw, "id"), Text(raw, "name"), Text(raw, "username"), Text(raw, "email"),
            Text(raw, "confirmed_at").Length > 0, Text(raw, "avatar_url"), raw);
    }
}
