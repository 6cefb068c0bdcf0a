using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cairn.Bench.Floor;

/// <summary>
/// The least an auth token check needs: an HS256 JWT whose key is the user's stored tokenKey plus a server
/// secret, as Cairn's (and PocketBase's) tokens are. Validating reads the claims, loads the user's key
/// (a database read, as Cairn loads the user's record) and compares the signature in constant time.
/// </summary>
internal static class FloorTokens
{
    public const string KeyAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    // Fixed so that tokens written by one start stay valid in the next; the floor guards nothing.
    private const string Secret = "floor-secret-floor-secret-floor-secret-floor-secre";

    private static readonly string Header = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);

    public static string Issue(string userId, string tokenKey, TimeSpan lifetime)
    {
        var exp = DateTimeOffset.UtcNow.Add(lifetime).ToUnixTimeSeconds();
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["collectionId"] = "users", ["exp"] = exp, ["id"] = userId, ["refreshable"] = true, ["type"] = "auth",
        }));
        var signed = Header + "." + payload;
        return signed + "." + Base64Url.EncodeToString(Sign(tokenKey, signed));
    }

    /// <summary>The user id of a valid, unexpired auth token; null otherwise. <paramref name="tokenKeyOf"/> reads the user's key.</summary>
    public static string? Validate(string token, Func<string, string?> tokenKeyOf)
    {
        if (token.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = token[7..];
        var first = token.IndexOf('.');
        var last = token.LastIndexOf('.');
        if (first <= 0 || last <= first) return null;
        string? id = null, type = null;
        long exp = 0;
        var reader = new Utf8JsonReader(Base64Url.DecodeFromChars(token.AsSpan(first + 1, last - first - 1)));
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            var name = reader.GetString();
            reader.Read();
            if (name == "id") id = reader.GetString();
            else if (name == "type") type = reader.GetString();
            else if (name == "exp") exp = reader.GetInt64();
        }
        if (id is null || type != "auth" || exp <= DateTimeOffset.UtcNow.ToUnixTimeSeconds()) return null;
        if (tokenKeyOf(id) is not { } tokenKey) return null;
        var expected = Sign(tokenKey, token[..last]);
        var actual = Base64Url.DecodeFromChars(token.AsSpan(last + 1));
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? id : null;
    }

    private static byte[] Sign(string tokenKey, string signed) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(tokenKey + Secret), Encoding.ASCII.GetBytes(signed));
}
