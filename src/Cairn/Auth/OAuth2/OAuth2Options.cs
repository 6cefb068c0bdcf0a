namespace Cairn.Auth.OAuth2;

/// <summary>Limits on calls to OAuth2 providers.</summary>
/// <param name="Timeout">How long one call to a provider may take in all; a provider that hangs gives 400, not a stuck request.</param>
public sealed record OAuth2Options(TimeSpan Timeout)
{
    public static readonly OAuth2Options Default = new(TimeSpan.FromSeconds(15));
}
