using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using System.Data.Common;
using Cairn.Storage;
using Microsoft.AspNetCore.Http;

namespace Cairn.Auth.Sessions;

/// <summary>
/// Server-side sessions, kept as records of the system collection <c>_sessions</c> so both engines, the records
/// API (owners list and delete their own rows, superusers anyone's) and the rules come for free. A session
/// lives until it expires (the collection's auth token duration), is revoked (its row is deleted), or its
/// record's signing key changes: <c>keyHash</c> hashes the record's <c>tokenKey</c> with the collection's auth
/// secret, so a password or email change, or a secret rotation, ends sessions exactly as it revokes tokens.
/// Nothing is cached, so a revoke takes effect on the very next request.
/// </summary>
internal sealed class SessionStore(IDatabase db, CollectionRegistry registry, RecordStore store, RecordService records, TimeProvider clock, CairnOptions options)
{
    /// <summary><c>lastSeen</c> is written at most this often per session, not on every request.</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private const int MaxUserAgent = 512;

    private Collection Sessions => registry.Find(SystemCollections.SessionsName)
        ?? throw new InvalidOperationException($"The system collection {SystemCollections.SessionsName} is missing.");

    /// <summary>Whether a sign-in asked for a session: <c>?session=true</c> (or <c>1</c>), which the SDK sends for an unknown <c>{session: true}</c> option.</summary>
    public static bool Requested(HttpRequest request) =>
        request.Query["session"].ToString().Trim().ToLowerInvariant() is "1" or "true";

    /// <summary>
    /// When the sign-in asked for one, starts a session for <paramref name="record"/>, sets its cookies and returns
    /// the auth response's meta with <c>csrfToken</c> added; otherwise returns <paramref name="meta"/> unchanged.
    /// </summary>
    public async Task<JsonObject?> StartIfRequestedAsync(HttpContext context, Record record, JsonObject? meta)
    {
        if (!Requested(context.Request)) return meta;
        var token = SessionSecret.New();
        var csrf = SessionSecret.New();
        var now = clock.GetUtcNow();
        var expires = now.AddSeconds(record.Collection.TokenDuration("authToken"));
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var body = new JsonObject
        {
            ["collectionRef"] = record.Collection.Id,
            ["recordRef"] = record.Id,
            ["tokenHash"] = SessionSecret.Hash(token),
            ["csrfHash"] = SessionSecret.Hash(csrf),
            ["keyHash"] = KeyHash(record),
            ["userAgent"] = userAgent.Length > MaxUserAgent ? userAgent[..MaxUserAgent] : userAgent,
            ["ip"] = context.Connection.RemoteIpAddress?.ToString() ?? "",
            ["lastSeen"] = CairnJson.FormatDate(now),
            ["expires"] = CairnJson.FormatDate(expires),
        };
        await db.WriteAsync(w =>
        {
            // Sign-in is the natural moment to forget this record's dead sessions, so the table does not grow forever.
            foreach (var dead in OwnedBy(w, record).Where(s => !IsLive(s, record, now))) store.Delete(w, dead);
            return records.Create(w, Sessions, body, RequestAuth.System);
        }, context.RequestAborted);

        SessionCookies.Set(context.Response, token, csrf, expires, now, options.SecureCookies);
        meta ??= new JsonObject();
        meta["csrfToken"] = csrf;
        return meta;
    }

    /// <summary>
    /// The record a <c>cairn_session</c> cookie signs in, or null (no cookie, unknown, expired, revoked, or the
    /// record is gone or has a new key). On success the request gets its <see cref="CurrentSession"/>.
    /// </summary>
    public async Task<Record?> AuthenticateAsync(HttpContext context)
    {
        var cookie = context.Request.Cookies[SessionCookies.Session];
        if (cookie is not { Length: > 0 and <= SessionSecret.MaxLength }) return null;
        // Looked up by the hash of a 256-bit random value: timing of the index lookup reveals nothing usable.
        var tokenHash = SessionSecret.Hash(cookie);
        var sessions = Sessions;
        var found = await db.ReadAsync(c =>
        {
            var session = store.FindByField(c, sessions, "tokenHash", tokenHash);
            if (session is null || registry.Find(session.GetString("collectionRef")) is not { IsAuth: true } collection) return null;
            var owner = store.FindById(c, null, collection, session.GetString("recordRef"));
            return owner is null ? null : new Found(session, owner);
        }, context.RequestAborted);
        if (found is not ({ } session, { } owner)) return null;

        var now = clock.GetUtcNow();
        if (!IsLive(session, owner, now))
        {
            await db.WriteAsync(w => { store.Delete(w, session); return true; }, context.RequestAborted);
            return null;
        }
        if (CairnJson.ParseDate(session.GetString("lastSeen")) is not { } seen || now - seen >= TouchInterval)
        {
            session["lastSeen"] = CairnJson.FormatDate(now);
            await db.WriteAsync(w => { store.Update(w, session, ["lastSeen"], new Dictionary<string, double>()); return true; }, context.RequestAborted);
        }
        context.Features.Set(new CurrentSession(session.Id, owner.Collection.Id, session.GetString("csrfHash")));
        return owner;
    }

    /// <summary>The live sessions of <paramref name="owner"/>, most recently seen first.</summary>
    public async Task<List<Record>> ListAsync(Record owner, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var all = await db.ReadAsync(c => OwnedBy(c, null, owner), cancellationToken);
        return all.Where(s => IsLive(s, owner, now)).OrderByDescending(s => s.GetString("lastSeen"), StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes one of <paramref name="owner"/>'s sessions; false when it has none with that id.</summary>
    public Task<bool> RevokeAsync(Record owner, string id, CancellationToken cancellationToken) =>
        db.WriteAsync(w =>
        {
            var session = OwnedBy(w, owner).FirstOrDefault(s => s.Id == id);
            if (session is not null) store.Delete(w, session);
            return session is not null;
        }, cancellationToken);

    /// <summary>Deletes all of <paramref name="owner"/>'s sessions except <paramref name="keepId"/>; returns how many.</summary>
    public Task<int> RevokeAllAsync(Record owner, string? keepId, CancellationToken cancellationToken) =>
        db.WriteAsync(w =>
        {
            var doomed = OwnedBy(w, owner).Where(s => s.Id != keepId).ToList();
            foreach (var session in doomed) store.Delete(w, session);
            return doomed.Count;
        }, cancellationToken);

    private List<Record> OwnedBy(WriteContext w, Record owner) => OwnedBy(w.Connection, w.Transaction, owner);

    private List<Record> OwnedBy(DbConnection connection, DbTransaction? transaction, Record owner)
    {
        var sessions = Sessions;
        using var command = connection.CreateCommand(
            $"SELECT {store.SelectColumns(sessions)} FROM {db.Dialect.Quote(sessions.Name)} WHERE {db.Dialect.Quote("collectionRef")} = @p0 AND {db.Dialect.Quote("recordRef")} = @p1",
            owner.Collection.Id, owner.Id);
        command.Transaction = transaction;
        return store.Query(command, sessions);
    }

    private static bool IsLive(Record session, Record owner, DateTimeOffset now) =>
        CairnJson.ParseDate(session.GetString("expires")) is { } expires && expires > now
        && SessionSecret.Matches(owner.GetString("tokenKey") + owner.Collection.TokenSecret("authToken"), session.GetString("keyHash"));

    private sealed record Found(Record Session, Record Owner);

    private static string KeyHash(Record record) => SessionSecret.Hash(record.GetString("tokenKey") + record.Collection.TokenSecret("authToken"));
}
