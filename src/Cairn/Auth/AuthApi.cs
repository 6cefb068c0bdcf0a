using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth.OAuth2;
using Cairn.Auth.BruteForce;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Rules;
using Cairn.Records.Expand;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Cairn.Auth;

/// <summary>
/// Sign-in for auth collections (superusers in this release):
/// <code>
/// GET  /api/collections/{collection}/auth-methods
/// POST /api/collections/{collection}/auth-with-password   {identity, password, identityField?} (expand, fields)
/// POST /api/collections/{collection}/auth-refresh         (expand, fields)
/// </code>
/// </summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/collections/{collection}/auth-methods", AuthMethods);
        app.MapPost("/api/collections/{collection}/auth-with-password", AuthWithPassword).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/auth-refresh", AuthRefresh);
        return app;
    }


    private static async Task<IResult> AuthMethods(string collection, HttpContext context, CollectionRegistry registry, IHttpClientFactory httpClients,
        IdTokenValidator idTokens, ILoggerFactory loggers)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        var password = c.AuthOptions["passwordAuth"] as JsonObject;
        var enabled = password?["enabled"]?.GetValue<bool>() == true;
        var identityFields = enabled ? password!["identityFields"]?.DeepClone() ?? new JsonArray() : new JsonArray();
        var oauth2 = await OAuth2Api.AuthMethodsAsync(c, httpClients, idTokens, loggers.CreateLogger(typeof(OAuth2Api)), context.RequestAborted);
        var json = new JsonObject
        {
            ["password"] = new JsonObject { ["enabled"] = enabled, ["identityFields"] = identityFields },
            ["oauth2"] = oauth2,
            ["mfa"] = MethodState(Mfa.MfaSettings.Of(c) is var mfa && mfa.Enabled, mfa.Duration),
            ["otp"] = MethodState(Otp.OtpSettings.Of(c) is var otp && otp.Enabled, otp.Duration),
        };
        // The keys of PocketBase before v0.23, which it still returns.
        json["authProviders"] = new JsonArray(oauth2["providers"]!.AsArray().Select(p => p?.DeepClone()).ToArray());
        json["usernamePassword"] = identityFields.AsArray().Any(f => f?.ToString() == "username");
        json["emailPassword"] = identityFields.AsArray().Any(f => f?.ToString() == "email");
        return new PickedJson(json);
    }

    // A disabled method reports a duration of 0 (POCKETBASE_API.md 1.3).
    private static JsonObject MethodState(bool enabled, TimeSpan duration) =>
        new() { ["enabled"] = enabled, ["duration"] = enabled ? (long)duration.TotalSeconds : 0 };

    private static async Task<IResult> AuthWithPassword(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, SignIn signIn, CredentialGuard guard, Caching.WriteGenerations generations)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        var options = c.AuthOptions["passwordAuth"] as JsonObject;
        if (options?["enabled"]?.GetValue<bool>() != true) throw ApiException.Forbidden("The collection is not configured to allow password authentication.");
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var identity = FieldValues.ToText(body["identity"]);
        var password = FieldValues.ToText(body["password"]);
        var identityField = FieldValues.ToText(body["identityField"]);
        var errors = new ValidationErrors();
        if (identity.Length == 0) errors.Add("identity", "validation_required", "Cannot be blank.");
        if (password.Length == 0) errors.Add("password", "validation_required", "Cannot be blank.");
        errors.ThrowIfAny("Failed to authenticate.");

        var fields = (options["identityFields"] as JsonArray ?? []).Select(n => n?.ToString() ?? "").ToList();
        if (identityField.Length > 0)
            fields = fields.Contains(identityField) ? [identityField] : throw ApiException.BadRequest("Failed to authenticate.");
        // email first; an identity that is not an email is never looked up by email
        fields = fields.OrderBy(f => f == "email" ? 0 : 1).Where(f => f != "email" || RecordValidator.IsEmail(identity)).ToList();
        using var attempt = await guard.BeginAsync(context, c, identity, context.RequestAborted);

        var record = await db.ReadAsync(connection =>
        {
            foreach (var name in fields)
            {
                if (c.FindField(name) is not { } field) continue;
                using var command = connection.CreateCommand(
                    $"SELECT {store.SelectColumns(c)} FROM {db.Dialect.Quote(c.Name)} WHERE {db.Dialect.Quote(field.Name)} = @p0 LIMIT 1", identity);
                if (store.Query(command, c).FirstOrDefault() is { } found) return found;
            }
            return null;
        }, context.RequestAborted);

        // Every failure costs one bcrypt check at the configured cost, an unknown account or one without a password included.
        var cost = PasswordHasher.ConfiguredCost(c.FindField("password"));
        var hash = record?.GetString("password") ?? "";
        var valid = record is not null && PasswordHasher.CostOf(hash) is not null
            ? PasswordHasher.Verify(password, hash)
            : PasswordHasher.VerifyDummy(password, cost);
        if (!valid || record is null)
        {
            attempt.Fail();
            throw ApiException.BadRequest("Failed to authenticate.");
        }
        attempt.Succeed();
        await PasswordRehash.IfCostChangedAsync(db, generations, record, password, cost, context.RequestAborted);
        return await signIn.CompleteAsync(context, c, record, SignIn.Password);
    }

    private static async Task<IResult> AuthRefresh(string collection, HttpContext context, CollectionRegistry registry, TokenService tokens, SignIn signIn)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        var record = AuthRoute.SignedIn(context, c);
        var auth = RequestAuth.Of(context);
        // Non-refreshable tokens (impersonation, API keys) come back unchanged.
        var token = auth.Refreshable ? tokens.Issue(record, TokenService.Auth) : auth.Token!;
        return await signIn.ResponseAsync(context, record, token, auth);
    }
}
