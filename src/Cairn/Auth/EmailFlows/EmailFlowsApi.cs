using Cairn.Auth.BruteForce;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Cairn.Auth.EmailFlows;

/// <summary>
/// The email flows of auth collections (POCKETBASE_API.md 1.3); every one answers 204 on success:
/// <code>
/// POST /api/collections/{collection}/request-verification     {email}
/// POST /api/collections/{collection}/confirm-verification     {token}
/// POST /api/collections/{collection}/request-password-reset   {email}
/// POST /api/collections/{collection}/confirm-password-reset   {token, password, passwordConfirm}
/// POST /api/collections/{collection}/request-email-change     {newEmail}          (auth of that collection)
/// POST /api/collections/{collection}/confirm-email-change     {token, password}
/// </code>
/// The request routes answer 204 whether or not the address has an account, so they cannot be used to find out.
/// Confirmations are single use: the change they make rotates the tokenKey that signed the token (reset, email
/// change), or makes the token's work already done (verification).
/// </summary>
public static class EmailFlowsApi
{
    private const string Invalid = "An error occurred while validating the submitted data.";

    public static IEndpointRouteBuilder MapEmailFlowsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/collections/{collection}/request-verification", RequestVerification).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/confirm-verification", ConfirmVerification).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/request-password-reset", RequestPasswordReset).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/confirm-password-reset", ConfirmPasswordReset).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/request-email-change", RequestEmailChange).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/confirm-email-change", ConfirmEmailChange).LimitedAsCredential();
        return app;
    }

    private static async Task<IResult> RequestVerification(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, ResendGuard guard, AuthMails mails)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        if (c.Id == Collection.SuperusersId) throw ApiException.BadRequest("All superusers are verified by default.");
        var email = await RequestedEmailAsync(context);
        var record = await FindByEmailAsync(db, store, c, email, context.RequestAborted);
        if (record is null || record.GetBool("verified") || !guard.TryStart(TokenService.Verification, record)) return Results.NoContent();
        mails.SendVerification(record);
        return Results.NoContent();
    }

    private static async Task<IResult> ConfirmVerification(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, TokenService tokens, RecordService records, ResendGuard guard)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        if (c.Id == Collection.SuperusersId) throw ApiException.BadRequest("All superusers are verified by default.");
        var body = await BodyAsync(context);
        var token = FieldValues.ToText(body["token"]);
        var errors = new ValidationErrors();
        Record? record = null;
        if (token.Length == 0) errors.Add("token", "validation_required", "Cannot be blank.");
        else if (UnverifiedClaim(token, "email") is not { Length: > 0 } email) errors.Add("token", "validation_invalid_token_claims", "Missing email token claim.");
        else
        {
            record = await ValidTokenRecordAsync(tokens, token, TokenService.Verification, c, errors, context.RequestAborted);
            if (record is not null && record.GetString("email") != email)
                errors.Add("token", "validation_token_email_mismatch", "The record email doesn't match with the requested token claims.");
        }
        errors.ThrowIfAny(Invalid);

        // Already verified: the token's work is done, so a second use changes nothing and still succeeds, as in PocketBase.
        if (!record!.GetBool("verified"))
        {
            var changes = new JsonObject { ["verified"] = true };
            // Without password sign-in nobody should know the password; a random one also rotates the tokenKey, so a
            // password set by whoever pre-registered this address can never be used later (pre-hijacking).
            if (!PasswordAuthEnabled(c)) AddRandomPassword(changes);
            await SaveAsync(db, store, records, record, changes, "An error occurred while saving the verified state.", context.RequestAborted);
        }
        guard.Clear(TokenService.Verification, record);
        return Results.NoContent();
    }

    private static async Task<IResult> RequestPasswordReset(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, ResendGuard guard, AuthMails mails)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        if (!PasswordAuthEnabled(c)) throw ApiException.BadRequest("The collection is not configured to allow password authentication.");
        var email = await RequestedEmailAsync(context);
        var record = await FindByEmailAsync(db, store, c, email, context.RequestAborted);
        if (record is null || !guard.TryStart(TokenService.PasswordReset, record)) return Results.NoContent();
        mails.SendPasswordReset(record);
        return Results.NoContent();
    }

    private static async Task<IResult> ConfirmPasswordReset(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, TokenService tokens, RecordService records, ResendGuard guard)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        var body = await BodyAsync(context);
        var token = FieldValues.ToText(body["token"]);
        var password = FieldValues.ToText(body["password"]);
        var confirm = FieldValues.ToText(body["passwordConfirm"]);
        var errors = new ValidationErrors();
        Record? record = null;
        if (token.Length == 0) errors.Add("token", "validation_required", "Cannot be blank.");
        else record = await ValidTokenRecordAsync(tokens, token, TokenService.PasswordReset, c, errors, context.RequestAborted);
        var min = Math.Max(1, c.FindField("password")?.Int("min") ?? 0);
        if (password.Length == 0) errors.Add("password", "validation_required", "Cannot be blank.");
        else if (password.Length < min || password.Length > 255)
            errors.Add("password", "validation_length_out_of_range", $"The length must be between {min} and 255.", new JsonObject { ["min"] = min, ["max"] = 255 });
        if (confirm.Length == 0) errors.Add("passwordConfirm", "validation_required", "Cannot be blank.");
        else if (confirm != password) errors.Add("passwordConfirm", "validation_values_mismatch", "Values don't match.");
        errors.ThrowIfAny(Invalid);

        var changes = new JsonObject { ["password"] = password, ["passwordConfirm"] = password };
        // The link reached the inbox of the address the token names: if that is still the record's address, it is verified.
        if (!record!.GetBool("verified") && record.GetString("email") == UnverifiedClaim(token, "email")) changes["verified"] = true;
        await SaveAsync(db, store, records, record, changes, "Failed to set new password.", context.RequestAborted);
        guard.Clear(TokenService.PasswordReset, record);
        return Results.NoContent();
    }

    private static async Task<IResult> RequestEmailChange(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, ResendGuard guard, AuthMails mails)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        if (c.Id == Collection.SuperusersId) throw ApiException.BadRequest("All superusers can change their emails directly.");
        var owner = AuthRoute.SignedIn(context, c, "The request requires valid auth record.");
        var body = await BodyAsync(context);
        var newEmail = FieldValues.ToText(body["newEmail"]);
        var errors = new ValidationErrors();
        if (newEmail.Length == 0) errors.Add("newEmail", "validation_required", "Cannot be blank.");
        else if (newEmail.Length > 255 || !RecordValidator.IsEmail(newEmail)) errors.Add("newEmail", "validation_is_email", "Must be a valid email address.");
        else if (newEmail == owner.GetString("email")) errors.Add("newEmail", "validation_not_in_invalid", "Must not be the current email address.");
        else if (await FindByEmailAsync(db, store, c, newEmail, context.RequestAborted) is { } other && other.Id != owner.Id)
            errors.Add("newEmail", "validation_invalid_new_email", "Invalid new email address.");
        errors.ThrowIfAny(Invalid);

        // Keyed by the new address too, so a typo can be corrected at once while one address still gets one mail per window.
        if (guard.TryStart(TokenService.EmailChange, owner, newEmail)) mails.SendEmailChange(owner, newEmail);
        return Results.NoContent();
    }

    private static async Task<IResult> ConfirmEmailChange(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, TokenService tokens, RecordService records)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        if (c.Id == Collection.SuperusersId) throw ApiException.BadRequest("All superusers can change their emails directly.");
        var body = await BodyAsync(context);
        var token = FieldValues.ToText(body["token"]);
        var password = FieldValues.ToText(body["password"]);
        var errors = new ValidationErrors();
        Record? record = null;
        var newEmail = token.Length == 0 ? null : UnverifiedClaim(token, "newEmail");
        if (token.Length == 0) errors.Add("token", "validation_required", "Cannot be blank.");
        else if (string.IsNullOrEmpty(newEmail)) errors.Add("token", "validation_invalid_token_payload", "Invalid token payload - newEmail must be set.");
        else
        {
            record = await ValidTokenRecordAsync(tokens, token, TokenService.EmailChange, c, errors, context.RequestAborted);
            if (record is not null && await FindByEmailAsync(db, store, c, newEmail, context.RequestAborted) is not null)
            {
                errors.Add("token", "validation_invalid_token_email", "The new email address is invalid.");
                record = null;
            }
        }
        // The password is checked even when the token is bad, so the answer takes as long either way.
        var passwordOk = record is null ? PasswordHasher.VerifyDummy(password) : PasswordHasher.Verify(password, record.GetString("password"));
        if (password.Length == 0) errors.Add("password", "validation_required", "Cannot be blank.");
        else if (!passwordOk) errors.Add("password", "validation_invalid_password", "Missing or invalid auth record password.");
        errors.ThrowIfAny(Invalid);

        await SaveAsync(db, store, records, record!, new JsonObject { ["email"] = newEmail, ["verified"] = true }, "Failed to confirm email change.", context.RequestAborted);
        return Results.NoContent();
    }


    private static bool PasswordAuthEnabled(Collection c) =>
        c.AuthOptions["passwordAuth"]?["enabled"] is JsonValue v && v.TryGetValue<bool>(out var enabled) && enabled;

    private static async Task<JsonObject> BodyAsync(HttpContext context) =>
        (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;

    /// <summary>The <c>email</c> of a request route, validated; a malformed one is a 400, the same for every address.</summary>
    private static async Task<string> RequestedEmailAsync(HttpContext context)
    {
        var email = FieldValues.ToText((await BodyAsync(context))["email"]);
        var errors = new ValidationErrors();
        if (email.Length == 0) errors.Add("email", "validation_required", "Cannot be blank.");
        else if (email.Length > 255 || !RecordValidator.IsEmail(email)) errors.Add("email", "validation_is_email", "Must be a valid email address.");
        errors.ThrowIfAny(Invalid);
        return email;
    }

    private static Task<Record?> FindByEmailAsync(IDatabase db, RecordStore store, Collection c, string email, CancellationToken cancellationToken) =>
        db.ReadAsync(connection => store.FindByField(connection, c, "email", email), cancellationToken);

    /// <summary>The record a confirmation token of <paramref name="type"/> names, or null with the <c>token</c> field error.</summary>
    private static async Task<Record?> ValidTokenRecordAsync(TokenService tokens, string token, string type, Collection c, ValidationErrors errors, CancellationToken cancellationToken)
    {
        var valid = await tokens.ValidateAsync(token, type, cancellationToken);
        if (valid is null)
        {
            errors.Add("token", "validation_invalid_token", "Invalid or expired token.");
            return null;
        }
        if (valid.Value.Record.Collection.Id != c.Id)
        {
            errors.Add("token", "validation_token_collection_mismatch", "The provided token is for different auth collection.");
            return null;
        }
        return valid.Value.Record;
    }

    /// <summary>
    /// Applies the confirmed change as the server itself. The row is re-read and locked in the same transaction and its
    /// tokenKey compared with the one that verified the token: of two concurrent uses of one token, only the first wins.
    /// </summary>
    private static async Task SaveAsync(IDatabase db, RecordStore store, RecordService records, Record validated, JsonObject changes, string failure, CancellationToken cancellationToken)
    {
        try
        {
            await db.WriteAsync(context =>
            {
                var current = store.FindById(context.Connection, context.Transaction, validated.Collection, validated.Id);
                if (current is null || !SameKey(current.GetString("tokenKey"), validated.GetString("tokenKey")))
                    throw ApiException.BadRequest(Invalid, new ValidationErrors().Add("token", "validation_invalid_token", "Invalid or expired token.").ToJson());
                return records.Update(context, validated.Collection, validated.Id, changes, RequestAuth.System, ifMatch: null);
            }, cancellationToken);
        }
        catch (RecordValidationException e)
        {
            throw ApiException.BadRequest(failure, e.Errors.ToJson());
        }
    }

    private static bool SameKey(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static void AddRandomPassword(JsonObject changes)
    {
        var password = CollectionIds.Random(30, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        changes["password"] = password;
        changes["passwordConfirm"] = password;
    }

    /// <summary>A claim read without checking the signature: only to pick the right error, never to trust.</summary>
    private static string? UnverifiedClaim(string token, string claim)
    {
        try
        {
            return new JsonWebToken(token).TryGetPayloadValue<string>(claim, out var value) ? value : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
