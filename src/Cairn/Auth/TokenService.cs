using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Cairn.Auth;

/// <summary>
/// HS256 JWTs as PocketBase issues them (POCKETBASE_API.md 4). The signing key is the record's
/// <c>tokenKey</c> plus the collection's secret for that token kind, so rotating a user's tokenKey
/// revokes that user's tokens and rotating the secret revokes a whole collection's, with no session table.
/// </summary>
public sealed class TokenService(IDatabase db, CollectionRegistry registry, RecordStore records, TimeProvider clock)
{
    public const string Auth = "auth", File = "file", Verification = "verification", PasswordReset = "passwordReset", EmailChange = "emailChange";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>
    /// Tokens whose signature was verified, with the key that verified them. An app sends the same token
    /// with every request, and checking its HMAC through the JWT library is a large share of a cheap read's
    /// cost; a hit still checks expiry, still loads the record and still compares the current key (in
    /// constant time), so a rotated tokenKey or secret revokes a cached token at once. Only successes are
    /// kept, bounded in number and never past the token's own expiry.
    /// </summary>
    private readonly MemoryCache _verified = new(new MemoryCacheOptions { SizeLimit = 20_000 });

    private static string SecretKind(string type) => type switch
    {
        Auth => "authToken",
        File => "fileToken",
        Verification => "verificationToken",
        PasswordReset => "passwordResetToken",
        EmailChange => "emailChangeToken",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Issues a token; <paramref name="duration"/> defaults to the collection's setting for the kind.</summary>
    public string Issue(Record record, string type, TimeSpan? duration = null, bool refreshable = true, IReadOnlyDictionary<string, string>? extra = null)
    {
        var kind = SecretKind(type);
        var seconds = duration?.TotalSeconds ?? record.Collection.TokenDuration(kind);
        var payload = new JsonObject
        {
            ["collectionId"] = record.Collection.Id,
            ["exp"] = clock.GetUtcNow().ToUnixTimeSeconds() + (long)seconds,
            ["id"] = record.Id,
            ["type"] = type,
        };
        if (type == Auth) payload["refreshable"] = refreshable;
        if (extra is not null) foreach (var (key, value) in extra) payload[key] = value;
        return Handler.CreateToken(payload.ToJsonString(), Credentials(record, kind));
    }

    /// <summary>The record a token of <paramref name="type"/> belongs to, or null when it is invalid, expired or revoked.</summary>
    public async Task<(Record Record, JsonWebToken Token)?> ValidateAsync(string token, string type, CancellationToken cancellationToken = default)
    {
        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (!jwt.TryGetPayloadValue<string>("id", out var id) || !jwt.TryGetPayloadValue<string>("collectionId", out var collectionId)
            || !jwt.TryGetPayloadValue<string>("type", out var claimedType) || claimedType != type || id.Length == 0)
            return null;
        if (!jwt.TryGetPayloadValue<long>("exp", out var exp) || exp <= clock.GetUtcNow().ToUnixTimeSeconds()) return null;
        var collection = registry.Find(collectionId);
        if (collection is not { IsAuth: true } || collection.Id != collectionId) return null;
        var record = await db.ReadAsync(c => records.FindById(c, null, collection, id), cancellationToken);
        if (record is null) return null;

        var key = SigningKey(record, SecretKind(type));
        if (_verified.TryGetValue(token, out byte[]? verifiedWith) && CryptographicOperations.FixedTimeEquals(verifiedWith, key))
            return (record, jwt);

        if (!HasIntegerExp(jwt)) return null;
        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(key),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false, // checked above against the injected clock
            RequireExpirationTime = false,
            RequireSignedTokens = true,
        });
        if (!result.IsValid) return null;
        _verified.Set(token, key, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = DateTimeOffset.FromUnixTimeSeconds(exp) });
        return (record, jwt);
    }

    // The library reads "exp":"9999999999" (a string) as a number too; a token we issued always has a JSON
    // integer, so anything else is refused. Checked once per token: cached tokens passed it when first verified.
    private static bool HasIntegerExp(JsonWebToken jwt)
    {
        try
        {
            using var payload = System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
            return payload.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && payload.RootElement.TryGetProperty("exp", out var exp)
                && exp.ValueKind == System.Text.Json.JsonValueKind.Number && exp.TryGetInt64(out _);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or ArgumentException)
        {
            return false;
        }
    }

    private static byte[] SigningKey(Record record, string kind) =>
        Encoding.UTF8.GetBytes(record.GetString("tokenKey") + record.Collection.TokenSecret(kind));

    private static SigningCredentials Credentials(Record record, string kind) =>
        new(new SymmetricSecurityKey(SigningKey(record, kind)), SecurityAlgorithms.HmacSha256);

    /// <summary>Reads the claims of a token without trusting it (used to echo non-refreshable tokens).</summary>
    public static bool IsRefreshable(JsonWebToken token) =>
        !token.TryGetPayloadValue<bool>("refreshable", out var refreshable) || refreshable;

}
