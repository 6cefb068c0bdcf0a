namespace Cairn.Auth.OAuth2;

/// <summary>
/// A provider call that failed: unreachable, timed out, refused the code, or returned something unusable.
/// The API answers 400 with <see cref="Message"/>; the cause is logged, never sent.
/// </summary>
public sealed class OAuth2Exception(string message, string reason, Exception? inner = null) : Exception(message, inner)
{
    public const string TokenFailed = "Failed to fetch OAuth2 token.", UserFailed = "Failed to fetch OAuth2 user.";

    /// <summary>Why, for the log: never a code, token or secret.</summary>
    public string Reason { get; } = reason;
}
