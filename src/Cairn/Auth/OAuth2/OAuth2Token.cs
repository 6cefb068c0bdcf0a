namespace Cairn.Auth.OAuth2;

/// <summary>What the token endpoint returned for an authorization code.</summary>
/// <remarks><see cref="ExpiresIn"/> is relative (RFC 6749 5.1); the API dates it with the injected clock.</remarks>
public sealed record OAuth2Token(string AccessToken, string RefreshToken, string IdToken, TimeSpan? ExpiresIn);
