using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Auth.EmailFlows;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cairn.Auth.Alerts;

/// <summary>
/// Login alerts (<c>authAlert</c> of an auth collection, POCKETBASE_API.md 1.3): every successful sign-in notes its
/// origin, a hash of IP and user agent, in <c>_authOrigins</c>, keeping the last <see cref="Kept"/> per record. A sign-in
/// from an origin not among them mails the owner, except the record's first sign-in ever, which has nothing to compare with.
/// </summary>
public sealed partial class LoginAlerts(IDatabase db, CollectionRegistry registry, RecordStore store, RecordService records,
    AuthMails mails, TimeProvider clock, ILogger<LoginAlerts> logger)
{
    public const int Kept = 5;

    public async Task NoteSignInAsync(HttpContext context, Record record)
    {
        if (!(record.Collection.AuthOptions["authAlert"]?["enabled"] is JsonValue v && v.TryGetValue<bool>(out var enabled) && enabled)) return;
        if (registry.Find(SystemCollections.AuthOriginsName) is not { } origins) return;
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "";
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var fingerprint = Fingerprint(ip, userAgent);
        try
        {
            await db.WriteAsync(write =>
            {
                var known = Origins(write, origins, record);
                var same = known.FirstOrDefault(o => SameFingerprint(o.GetString("fingerprint"), fingerprint));
                if (same is not null)
                {
                    // Seen before: only refresh when it was last used, which decides what is kept.
                    records.Update(write, origins, same.Id, new JsonObject { ["fingerprint"] = fingerprint }, RequestAuth.System, ifMatch: null);
                    return 0;
                }
                records.Create(write, origins, new JsonObject
                {
                    ["collectionRef"] = record.Collection.Id, ["recordRef"] = record.Id, ["fingerprint"] = fingerprint,
                }, RequestAuth.System);
                foreach (var old in known.Skip(Kept - 1)) store.Delete(write, old);
                if (known.Count > 0 && record.GetString("email").Length > 0)
                    write.OnCommitted(() => mails.SendAuthAlert(record, AlertInfo(ip, userAgent)));
                return 0;
            }, context.RequestAborted);
        }
        catch (RecordValidationException)
        {
            // Two first sign-ins from one origin at the same moment: the other one noted it (unique index); nothing to alert.
            ConcurrentOrigin(logger, record.Collection.Name, record.Id);
        }
    }

    /// <summary>The record's known origins, most recently used first.</summary>
    private List<Record> Origins(WriteContext write, Collection origins, Record record)
    {
        var order = origins.FindField("updated") is not null ? $" ORDER BY {store.Dialect.Quote("updated")} DESC" : "";
        using var command = write.Command(
            $"SELECT {store.SelectColumns(origins)} FROM {store.Dialect.Quote(origins.Name)} WHERE {store.Dialect.Quote("collectionRef")} = @p0 AND {store.Dialect.Quote("recordRef")} = @p1{order}",
            record.Collection.Id, record.Id);
        return store.Query(command, origins);
    }

    // Hashed so the table holds no IP addresses or browser strings, only whether an origin was seen.
    private static string Fingerprint(string ip, string userAgent) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ip + "\n" + userAgent)));

    private static bool SameFingerprint(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private string AlertInfo(string ip, string userAgent)
    {
        var agent = userAgent.Length > 200 ? userAgent[..200] : userAgent;
        var when = clock.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        return $"{when}, IP {ip}{(agent.Length > 0 ? ", " + agent : "")}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "A concurrent sign-in of {Collection} record {Id} noted the same origin first.")]
    private static partial void ConcurrentOrigin(ILogger logger, string collection, string id);
}
