using System.Text.Json.Nodes;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// The user a provider vouched for, mapped to one shape. <see cref="EmailVerified"/> is true only when the
/// provider itself says it verified the address: everything that links or claims an account by email depends on it.
/// </summary>
public sealed record OAuth2User(string Id, string Name, string Username, string Email, bool EmailVerified, string AvatarURL, JsonObject RawUser)
{
    public string AccessToken { get; init; } = "";
    public string RefreshToken { get; init; } = "";
    public TimeSpan? ExpiresIn { get; init; }
}
