using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth.Totp;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Rules;
using Microsoft.AspNetCore.Http;

namespace Cairn.Auth.Mfa;

/// <summary>
/// Multi-factor sign-in as PocketBase does it (POCKETBASE_API.md 1.3 "MFA"), checked by <see cref="SignIn"/> after
/// the authRule. A first factor that needs MFA gets no token: it opens a session in <c>_mfas</c> and the client is
/// answered 401 <c>{"mfaId"}</c>; a second, different method that passes that <c>mfaId</c> (query or body) for the
/// same record within <c>mfa.duration</c> closes the session and gets the token.
/// <para>
/// Beyond PocketBase: a record with an active authenticator app (<see cref="TotpApi"/>) always needs MFA, whatever
/// <c>mfa.enabled</c> and <c>mfa.rule</c> say, and its second factor must be <c>totp</c>. The user chose the app as
/// the stronger factor, so an emailed code must not stand in for it.
/// </para>
/// </summary>
internal sealed class MfaGate(OwnedRows rows, RecordRules rules, TotpStore totps, TimeProvider clock)
{
    public const string MfaIdKey = "mfaId";

    private Collection Mfas => rows.Collection(SystemCollections.MfasName);

    /// <summary>The <c>mfaId</c> of the request: the query first (the SDK sends unknown options there), then the body.</summary>
    public static string MfaIdOf(HttpContext context, JsonObject body) =>
        context.Request.Query[MfaIdKey].FirstOrDefault() is { Length: > 0 } fromQuery ? fromQuery : FieldValues.ToText(body[MfaIdKey]);

    /// <summary>Null when the sign-in may get its token; otherwise the 401 challenge to answer with. Bad sessions are 400.</summary>
    public async Task<IResult?> CheckAsync(HttpContext context, Collection collection, Record record, string method, RequestAuth caller)
    {
        var cancellationToken = context.RequestAborted;
        var settings = MfaSettings.Of(collection);
        var totpRequired = await totps.IsActiveAsync(record, cancellationToken);
        if (!totpRequired && !(settings.Enabled && await RuleWantsMfaAsync(context, collection, record, method, caller, settings.Rule))) return null;

        var body = (await RequestBody.ReadAsync(context.Request, cancellationToken)).Data;
        var mfaId = MfaIdOf(context, body);
        if (mfaId.Length == 0)
        {
            if (method == TotpApi.Method) throw ApiException.BadRequest("Invalid MFA session.");
            var session = rows.New(Mfas, record, new Dictionary<string, object?> { ["method"] = method });
            await rows.Database.WriteAsync(c => { rows.Insert(c, session); return true; }, cancellationToken);
            // Not the error shape: PocketBase answers exactly this, and the SDK reads mfaId from the error's response.
            return Results.Json(new JsonObject { [MfaIdKey] = session.Id }, CairnJson.Options, statusCode: StatusCodes.Status401Unauthorized);
        }

        var closed = await rows.Database.WriteAsync(c =>
        {
            var session = rows.FindById(c.Connection, c.Transaction, Mfas, mfaId);
            if (session is null) throw ExpiredSession();
            if (Expired(session, settings))
            {
                rows.Delete(c, session);
                return false;
            }
            if (session.GetString("recordRef") != record.Id || session.GetString("collectionRef") != collection.Id)
                throw ApiException.BadRequest("Invalid MFA session.");
            if (session.GetString("method") == method) throw ApiException.BadRequest("A different authentication method is required.");
            if (totpRequired && method != TotpApi.Method) throw ApiException.BadRequest("A code from the authenticator app (TOTP) is required.");
            rows.Delete(c, session); // single use: a second request with the same mfaId finds nothing
            return true;
        }, cancellationToken);
        return closed ? null : throw ExpiredSession();
    }

    /// <summary>
    /// The record an open MFA session of <paramref name="collection"/> belongs to, for a second factor that names no
    /// account of its own (TOTP). The session itself is closed later by <see cref="CheckAsync"/>.
    /// </summary>
    public async Task<Record> RecordOfSessionAsync(Collection collection, string mfaId, CancellationToken cancellationToken)
    {
        var settings = MfaSettings.Of(collection);
        var (session, record) = await rows.Database.ReadAsync(c =>
        {
            var found = rows.FindById(c, null, Mfas, mfaId);
            var owner = found is null || found.GetString("collectionRef") != collection.Id ? null : rows.FindById(c, null, collection, found.GetString("recordRef"));
            return (found, owner);
        }, cancellationToken);
        if (session is null || Expired(session, settings)) throw ExpiredSession();
        return record ?? throw ApiException.BadRequest("Invalid MFA session.");
    }

    private bool Expired(Record session, MfaSettings settings) => OwnedRows.Created(session) + settings.Duration <= clock.GetUtcNow();

    private static ApiException ExpiredSession() => ApiException.BadRequest("Invalid or expired MFA session.");

    // An empty rule means every sign-in; otherwise the rule must match the record, with @request.context = the method.
    private async Task<bool> RuleWantsMfaAsync(HttpContext context, Collection collection, Record record, string method, RequestAuth caller, string rule)
    {
        if (rule.Trim().Length == 0) return true;
        var request = RecordRules.Request(context, caller, method);
        return await rows.Database.ReadAsync(c => rules.Matches(c, null, collection, rule, record.Id, caller, request), context.RequestAborted);
    }
}
