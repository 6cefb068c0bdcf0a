namespace Cairn.Auth.OAuth2;

/// <summary>Where a provider authorizes, exchanges codes and serves the user (<see cref="UserInfoURL"/> may be empty).</summary>
public sealed record OAuth2Endpoints(string AuthURL, string TokenURL, string UserInfoURL);
