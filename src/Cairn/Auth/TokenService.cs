using System.Text;
using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
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

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = Credentials(record, SecretKind(type)).Key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false, // checked above against the injected clock
            RequireExpirationTime = false,
            RequireSignedTokens = true,
        });
        return result.IsValid ? (record, jwt) : null;
    }

    private static SigningCredentials Credentials(Record record, string kind) =>
        new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(record.GetString("tokenKey") + record.Collection.TokenSecret(kind))), SecurityAlgorithms.HmacSha256);

    /// <summary>Reads the claims of a token without trusting it (used to echo non-refreshable tokens).</summary>
    public static bool IsRefreshable(JsonWebToken token) =>
        !token.TryGetPayloadValue<bool>("refreshable", out var refreshable) || refreshable;

}
