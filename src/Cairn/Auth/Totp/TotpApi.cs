using Cairn.Auth.BruteForce;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth.Mfa;
using Cairn.Collections;
using Cairn.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Auth.Totp;

/// <summary>
/// Authenticator apps (TOTP, RFC 6238) with recovery codes: beyond PocketBase, which has no TOTP.
/// <code>
/// GET  /api/collections/{collection}/totp            (auth)                  {enabled, pending, recoveryCodesLeft}
/// POST /api/collections/{collection}/totp            (auth)                  {secret, uri, qrCode}: starts an enrolment
/// POST /api/collections/{collection}/totp/confirm    (auth) {code}           {recoveryCodes}: activates it, codes shown once
/// POST /api/collections/{collection}/totp/recovery-codes (auth) {code}      {recoveryCodes}: a new set, the old one dies
/// POST /api/collections/{collection}/totp/disable    (auth) {code|password}  204
/// POST /api/collections/{collection}/auth-with-totp  {mfaId, code}           the auth response: second factor of an MFA
/// </code>
/// The enrolment routes need a token of a record of that collection, and act on that record only. Once
/// confirmed, TOTP is a second factor named <c>totp</c>: a record with an active enrolment always needs it after
/// password, OTP or OAuth2, whatever the collection's <c>mfa</c> options say (see <see cref="MfaGate"/>); it is never
/// a first factor. <c>code</c> is a 6-digit code or a recovery code. A code is accepted once (its time step is
/// remembered), a recovery code once; 5 wrong tries per record within 5 minutes give 429.
/// </summary>
public static class TotpApi
{
    /// <summary>The method name MFA and <c>@request.context</c> see.</summary>
    public const string Method = "totp";

    /// <summary>The issuer authenticator apps show next to the account.</summary>
    public const string Issuer = "Cairn";

    public static IEndpointRouteBuilder MapTotpApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/collections/{collection}/totp", Status);
        app.MapPost("/api/collections/{collection}/totp", Begin);
        app.MapPost("/api/collections/{collection}/totp/confirm", Confirm).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/totp/recovery-codes", RenewRecoveryCodes).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/totp/disable", Disable).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/auth-with-totp", AuthWithTotp).LimitedAsCredential();
        return app;
    }



    private static async Task<IResult> Status(string collection, HttpContext context, CollectionRegistry registry, TotpStore store)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        var row = await store.FindAsync(owner, context.RequestAborted);
        var active = row?.GetBool("active") == true;
        return new PickedJson(new JsonObject
        {
            ["enabled"] = active,
            ["pending"] = row is not null && !active,
            ["recoveryCodesLeft"] = active ? RecoveryCodes.Parse(row!.GetString("recoveryCodes")).Count : 0,
        });
    }

    private static async Task<IResult> Begin(string collection, HttpContext context, CollectionRegistry registry, TotpStore store)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        var secret = TotpCodes.NewSecret();
        await store.BeginAsync(owner, secret, context.RequestAborted);
        var account = owner.GetString("email") is { Length: > 0 } email ? email : owner.Id;
        var uri = TotpCodes.Uri(Issuer, account, secret);
        context.Response.Headers.CacheControl = "no-store"; // the secret must not linger in a cache
        return new PickedJson(new JsonObject { ["secret"] = secret, ["uri"] = uri, ["qrCode"] = TotpCodes.QrCodeDataUrl(uri) });
    }

    private static async Task<IResult> Confirm(string collection, HttpContext context, CollectionRegistry registry, TotpStore store, TotpAttempts attempts, TimeProvider clock)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        var code = await RequiredAsync(context, "code");
        var row = await store.FindAsync(owner, context.RequestAborted);
        if (row is null || row.GetBool("active")) throw ApiException.BadRequest("There is no authenticator app enrolment to confirm.");
        attempts.Count(owner);
        var secret = row.GetString(TotpStore.SecretField);
        if (TotpCodes.MatchStep(secret, code, clock.GetUtcNow()) is not { } step) throw InvalidCode();
        var recovery = RecoveryCodes.Generate();
        var hashes = RecoveryCodes.Hash(recovery);
        var confirmed = await store.UseStepAsync(owner, secret, step, r =>
        {
            r["active"] = true;
            r["recoveryCodes"] = hashes;
        }, context.RequestAborted);
        if (!confirmed) throw InvalidCode();
        attempts.Reset(owner);
        context.Response.Headers.CacheControl = "no-store";
        return new PickedJson(new JsonObject { ["recoveryCodes"] = new JsonArray(recovery.Select(c => (JsonNode)c).ToArray()) });
    }

    // Needs a code from the app itself: a recovery code must not be able to mint ten more.
    private static async Task<IResult> RenewRecoveryCodes(string collection, HttpContext context, CollectionRegistry registry, TotpStore store, TotpAttempts attempts, TimeProvider clock)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        var code = await RequiredAsync(context, "code");
        var row = await store.FindAsync(owner, context.RequestAborted);
        if (row is null || !row.GetBool("active")) throw ApiException.BadRequest("No authenticator app is enabled.");
        attempts.Count(owner);
        var secret = row.GetString(TotpStore.SecretField);
        if (TotpCodes.MatchStep(secret, code, clock.GetUtcNow()) is not { } step) throw InvalidCode();
        var recovery = RecoveryCodes.Generate();
        var hashes = RecoveryCodes.Hash(recovery);
        if (!await store.UseStepAsync(owner, secret, step, r => r["recoveryCodes"] = hashes, context.RequestAborted)) throw InvalidCode();
        attempts.Reset(owner);
        context.Response.Headers.CacheControl = "no-store";
        return new PickedJson(new JsonObject { ["recoveryCodes"] = new JsonArray(recovery.Select(c => (JsonNode)c).ToArray()) });
    }

    private static async Task<IResult> Disable(string collection, HttpContext context, CollectionRegistry registry, TotpStore store, TotpAttempts attempts, TimeProvider clock)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var code = FieldValues.ToText(body["code"]).Trim();
        var password = FieldValues.ToText(body["password"]);
        if (code.Length == 0 && password.Length == 0)
            throw ApiException.BadRequest("A current TOTP code, a recovery code or the account password is required.",
                new ValidationErrors().Add("code", "validation_required", "Cannot be blank.").ToJson());
        var row = await store.FindAsync(owner, context.RequestAborted) ?? throw ApiException.BadRequest("No authenticator app is enabled.");
        attempts.Count(owner);
        var proven = code.Length > 0
            ? await UseCodeAsync(store, owner, row, code, clock, context.RequestAborted)
            : PasswordHasher.Verify(password, owner.GetString("password"));
        if (!proven) throw ApiException.BadRequest("Invalid TOTP code or password.");
        attempts.Reset(owner);
        await store.DeleteAsync(owner, context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> AuthWithTotp(string collection, HttpContext context, CollectionRegistry registry, MfaGate mfa, TotpStore store,
        TotpAttempts attempts, TimeProvider clock, SignIn signIn)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var mfaId = MfaGate.MfaIdOf(context, body);
        var code = FieldValues.ToText(body["code"]).Trim();
        var errors = new ValidationErrors();
        if (mfaId.Length == 0) errors.Add("mfaId", "validation_required", "Cannot be blank.");
        if (code.Length == 0) errors.Add("code", "validation_required", "Cannot be blank.");
        errors.ThrowIfAny("Failed to authenticate.");

        // The MFA session names the record: TOTP only ever completes a sign-in another method started.
        var record = await mfa.RecordOfSessionAsync(c, mfaId, context.RequestAborted);
        attempts.Count(record);
        var row = await store.FindAsync(record, context.RequestAborted);
        if (row is null || !row.GetBool("active") || !await UseCodeAsync(store, record, row, code, clock, context.RequestAborted))
            throw InvalidCode();
        attempts.Reset(record);
        return await signIn.CompleteAsync(context, c, record, Method);
    }

    /// <summary>Accepts a 6-digit code for a step not used before, or an unused recovery code (which is then gone).</summary>
    private static async Task<bool> UseCodeAsync(TotpStore store, Record owner, Record row, string code, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (code.Length == TotpCodes.Digits && code.All(char.IsAsciiDigit))
            return row.GetBool("active") && TotpCodes.MatchStep(row.GetString(TotpStore.SecretField), code, clock.GetUtcNow()) is { } step
                   && await store.UseStepAsync(owner, row.GetString(TotpStore.SecretField), step, cancellationToken: cancellationToken);
        return RecoveryCodes.Match(code, row.GetString("recoveryCodes")) is { } hash && await store.UseRecoveryCodeAsync(owner, hash, cancellationToken);
    }

    private static async Task<string> RequiredAsync(HttpContext context, string key)
    {
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var value = FieldValues.ToText(body[key]).Trim();
        if (value.Length == 0)
            throw ApiException.BadRequest("An error occurred while validating the submitted data.",
                new ValidationErrors().Add(key, "validation_required", "Cannot be blank.").ToJson());
        return value;
    }

    private static ApiException InvalidCode() => ApiException.BadRequest("Invalid or already used TOTP code.");
}
