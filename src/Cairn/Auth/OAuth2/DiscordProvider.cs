namespace Cairn.Auth.OAuth2;

/// <summary>Discord <c>/users/@me</c>: <c>verified</c> says whether the email was verified; avatars are CDN paths built from the hash.</summary>
internal sealed class DiscordProvider(OAuth2ProviderConfig config, HttpClient http) : OAuth2Provider(config, http)
{
    protected override string DefaultDisplayName => "Discord";
    protected override string Scopes => "identify email";
    protected override OAuth2Endpoints DefaultEndpoints => new(
        "https://discord.com/oauth2/authorize", "https://discord.com/api/oauth2/token", "https://discord.com/api/users/@me");

    protected override async Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var raw = await GetUserInfoAsync(token, cancellationToken);
        var id = Text(raw, "id");
        var avatar = Text(raw, "avatar");
        var name = Text(raw, "global_name");
        return new OAuth2User(id, name.Length > 0 ? name : Text(raw, "username"), Text(raw, "username"), Text(raw, "email"), Flag(raw, "verified"),
            avatar.Length > 0 ? $"https://cdn.discordapp.com/avatars/{Uri.EscapeDataString(id)}/{Uri.EscapeDataString(avatar)}.png" : "", raw);
    }
}
