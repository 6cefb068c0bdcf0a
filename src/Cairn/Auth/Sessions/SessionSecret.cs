using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Cairn.Auth.Sessions;

/// <summary>
/// The random values a session hands out (the cookie and the CSRF token) and their stored form. Only
/// SHA-256 hashes reach the database, so a leaked backup or a superuser reading <c>_sessions</c> cannot
/// ride a session; a plain hash is enough because the values are 256 random bits, not guessable passwords.
/// </summary>
internal static class SessionSecret
{
    /// <summary>The longest cookie or header value worth hashing; a fresh secret is 43 characters.</summary>
    public const int MaxLength = 128;

    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>Whether <paramref name="value"/> hashes to <paramref name="hash"/>, compared in constant time.</summary>
    public static bool Matches(string? value, string hash) =>
        value is { Length: > 0 } && hash.Length > 0
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(value)), Encoding.ASCII.GetBytes(hash));
}
