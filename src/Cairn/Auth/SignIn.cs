using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth.Mfa;
using Cairn.Auth.Sessions;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Records.Expand;
using Cairn.Rules;
using Cairn.Storage;
using Microsoft.AspNetCore.Http;

namespace Cairn.Auth;

/// <summary>
/// The end every sign-in method shares (password, one-time code, OAuth2, TOTP): the collection's authRule, then
/// MFA (<see cref="MfaGate"/>), then the token and the auth response <c>{token, record, meta?}</c>. Keeping it in one place means a new
/// method cannot forget a check.
/// </summary>
internal sealed class SignIn(IDatabase db, TokenService tokens, RecordRules rules, RecordExpander expander, MfaGate mfa, SessionStore sessions, Alerts.LoginAlerts alerts)
{
    /// <summary>Names of the sign-in methods, as MFA and <c>@request.context</c> see them.</summary>
    public const string Password = "password", OAuth2 = "oauth2", Otp = "otp";

    public async Task<IResult> CompleteAsync(HttpContext context, Collection collection, Record record, string method, JsonObject? meta = null)
    {
        var caller = RequestAuth.Of(context);
        await RequireAuthRuleAsync(context, collection, record, caller);
        if (await mfa.CheckAsync(context, collection, record, method, caller) is { } challenge) return challenge;
        var token = tokens.Issue(record, TokenService.Auth);
        await alerts.NoteSignInAsync(context, record); // a sign-in from a new place mails the owner
        meta = await sessions.StartIfRequestedAsync(context, record, meta); // ?session=true: also a cookie session
        return await ResponseAsync(context, record, token, caller, meta);
    }

    /// <summary>
    /// The collection's authRule must match the record signing in (POCKETBASE_API.md 1.3), evaluated with
    /// the caller's request data: <c>@request.auth</c> is whoever sent the request, usually a guest.
    /// </summary>
    public async Task RequireAuthRuleAsync(HttpContext context, Collection collection, Record record, RequestAuth caller)
    {
        if (caller.IsSuperuser) return;
        var rule = RecordRules.AuthRule(collection);
        var allowed = rule is not null && (rule.Trim().Length == 0
            || await db.ReadAsync(connection => rules.Matches(connection, null, collection, rule, record.Id, caller, RecordRules.Request(context, caller)), context.RequestAborted));
        if (!allowed) throw ApiException.Forbidden("The request doesn't satisfy the collection requirements to authenticate.");
    }

    /// <summary>The auth response; the record is shown, and expanded, as its owner sees it (or as the superuser who asked).</summary>
    public async Task<IResult> ResponseAsync(HttpContext context, Record record, string token, RequestAuth caller, JsonObject? meta = null)
    {
        var viewer = caller.IsSuperuser ? caller : new RequestAuth(record);
        await expander.ExpandAsync(db, [record], context.Request.Query["expand"], viewer, RecordRules.Request(context, viewer), context.RequestAborted);
        var json = new JsonObject { ["token"] = token, ["record"] = RecordJson.ToJson(record, viewer) };
        if (meta is not null) json["meta"] = meta;
        return new PickedJson(json);
    }
}
