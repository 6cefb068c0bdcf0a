namespace Cairn.Auth.OAuth2;

/// <summary>What the token endpoint returned for an authorization code.</summary>
public sealed record OAuth2Token(string AccessToken, string RefreshToken, string IdToken, DateTimeOffset? Expiry);
