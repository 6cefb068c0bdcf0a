using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// Decides which record an OAuth2 user signs in as (POCKETBASE_API.md 1.3), in one transaction:
/// <list type="number">
/// <item>the record already linked to this provider account in <c>_externalAuths</c>;</item>
/// <item>the caller's own record of this collection (linking a provider to a signed-in account);</item>
/// <item>the record with the same email, <b>only when the provider verified that email</b>;</item>
/// <item>a new record, created as the caller through the normal create path (createRule applies).</item>
/// </list>
/// An unverified record that the sign-in verifies is being claimed by whoever owns the email: it loses its
/// other links and (unless it is the caller's own) its password, so someone who registered it in advance with
/// the victim's address keeps no way in (the PocketBase pre-hijacking advisories of 2024 and 2026).
/// </summary>
internal sealed partial class OAuth2SignIn(RecordService records, RecordStore store, CollectionRegistry registry, ILogger<OAuth2SignIn> log)
{
    public sealed record Outcome(Record Record, bool IsNew);

    public Task<Outcome> ResolveAsync(Collection collection, string provider, OAuth2User user, JsonObject createData, RequestAuth caller, RequestData request,
        CancellationToken cancellationToken) =>
        records.Database.WriteAsync(context =>
        {
            var links = registry.Find(SystemCollections.ExternalAuthsName) ?? throw new InvalidOperationException("The _externalAuths collection is missing.");
            var link = FindLink(context, links, collection, provider, user.Id);
            Record? record = null;
            if (link is not null)
            {
                record = store.FindById(context.Connection, context.Transaction, collection, link.GetString("recordRef"));
                // A link whose record is gone (deleted outside the API) is stale, not a reason to fail.
                if (record is null) { store.Delete(context, link); link = null; }
            }
            var own = caller.Record is { } me && me.Collection.Id == collection.Id;
            if (record is null && own)
                record = store.FindById(context.Connection, context.Transaction, collection, caller.Record!.Id);
            if (record is null && user.Email.Length > 0 && user.EmailVerified)
                record = FindByEmail(context, collection, user.Email);

            if (record is null)
            {
                record = Create(context, collection, user, createData, caller, request);
                Link(context, links, record, provider, user.Id);
                return new Outcome(record, IsNew: true);
            }

            if (link is null)
            {
                if (FindLinks(context, links, record).Any(l => l.GetString("provider") == provider))
                    throw ApiException.BadRequest("The account is already linked to another account of this provider; unlink it first.");
                Link(context, links, record, provider, user.Id);
            }
            Claim(context, links, record, provider, user, isCallersOwn: own && caller.Record!.Id == record.Id);
            return new Outcome(record, IsNew: false);
        }, cancellationToken);

    /// <summary>Brings an existing record in line with what the provider vouched for.</summary>
    private void Claim(WriteContext context, Collection links, Record record, string provider, OAuth2User user, bool isCallersOwn)
    {
        var changed = new List<string>();
        // A record created without email (a provider that gave none) takes a verified one now.
        if (record.GetString("email").Length == 0 && user.Email.Length > 0 && user.EmailVerified)
        {
            record["email"] = user.Email;
            changed.Add("email");
        }
        var email = record.GetString("email");
        var verifies = email.Length == 0 || (user.EmailVerified && string.Equals(email, user.Email, StringComparison.OrdinalIgnoreCase));
        if (!record.GetBool("verified") && verifies)
        {
            record["verified"] = true;
            changed.Add("verified");
            var removed = 0;
            foreach (var other in FindLinks(context, links, record).Where(l => l.GetString("provider") != provider))
            {
                store.Delete(context, other);
                removed++;
            }
            if (!isCallersOwn)
            {
                var password = record.Collection.FindField("password")!;
                record["password"] = PasswordHasher.Hash(Pkce.RandomString(30), password.Int("cost") is > 0 and var cost ? cost : PasswordHasher.DefaultCost);
                changed.Add("password");
            }
            LogClaimed(log, record.Collection.Name, record.Id, removed, !isCallersOwn);
        }
        if (changed.Count == 0) return;
        // A new password or email revokes every token issued before (POCKETBASE_API.md 4).
        if (changed.Contains("password") || changed.Contains("email"))
        {
            var tokenKey = record.Collection.FindField("tokenKey")!;
            record["tokenKey"] = PatternGenerator.Generate(tokenKey.AutogeneratePattern is { Length: > 0 } p ? p : "[a-zA-Z0-9]{50}");
            changed.Add("tokenKey");
        }
        try
        {
            store.Update(context, record, changed, new Dictionary<string, double>());
        }
        catch (RecordValidationException e)
        {
            throw ApiException.BadRequest("Failed to authenticate.", e.Errors.ToJson());
        }
    }

    /// <summary>
    /// A new record through the normal create path with <c>@request.context = "oauth2"</c>: createData, then the
    /// provider's email and the collection's mapped fields where createData left them out, and a random password.
    /// </summary>
    private Record Create(WriteContext context, Collection collection, OAuth2User user, JsonObject createData, RequestAuth caller, RequestData request)
    {
        if (collection.IsSuperusers) throw ApiException.BadRequest("Superusers cannot be created through OAuth2.");
        var body = (JsonObject)createData.DeepClone();
        if (FieldValues.ToText(body["email"]).Length == 0 && user.Email.Length > 0) body["email"] = user.Email;
        var mapped = collection.AuthOptions["oauth2"]?["mappedFields"] as JsonObject ?? [];
        foreach (var (key, value) in new[] { ("id", user.Id), ("name", user.Name), ("username", user.Username), ("avatarURL", user.AvatarURL) })
        {
            var target = mapped[key] is JsonValue v && v.TryGetValue<string>(out var name) ? name : "";
            // Downloading the avatar into a file field waits for file uploads; a text or url field takes the address.
            if (target.Length == 0 || value.Length == 0 || body.ContainsKey(target) || collection.FindField(target) is not { Type: not FieldTypes.File }) continue;
            body[target] = value;
        }
        if (FieldValues.ToText(body["password"]).Length == 0)
        {
            var password = Pkce.RandomString(30);
            body["password"] = password;
            body["passwordConfirm"] = password;
        }
        Record record;
        try
        {
            record = records.Create(context, collection, body, caller, request with { Context = SignIn.OAuth2 });
        }
        catch (RecordValidationException e)
        {
            throw ApiException.BadRequest("Failed to create record.", e.Errors.ToJson());
        }
        if (!record.GetBool("verified") && user.EmailVerified && user.Email.Length > 0
            && string.Equals(record.GetString("email"), user.Email, StringComparison.OrdinalIgnoreCase))
        {
            record["verified"] = true;
            store.Update(context, record, ["verified"], new Dictionary<string, double>());
        }
        return record;
    }

    private Record? FindLink(WriteContext context, Collection links, Collection collection, string provider, string providerId)
    {
        using var command = context.Command(
            $"SELECT {store.SelectColumns(links)} FROM {store.Dialect.Quote(links.Name)} WHERE {Q("collectionRef")} = @p0 AND {Q("provider")} = @p1 AND {Q("providerId")} = @p2 LIMIT 1",
            collection.Id, provider, providerId);
        return store.Query(command, links).FirstOrDefault();
    }

    private List<Record> FindLinks(WriteContext context, Collection links, Record record)
    {
        using var command = context.Command(
            $"SELECT {store.SelectColumns(links)} FROM {store.Dialect.Quote(links.Name)} WHERE {Q("collectionRef")} = @p0 AND {Q("recordRef")} = @p1",
            record.Collection.Id, record.Id);
        return store.Query(command, links);
    }

    private Record? FindByEmail(WriteContext context, Collection collection, string email)
    {
        using var command = context.Command(
            $"SELECT {store.SelectColumns(collection)} FROM {store.Dialect.Quote(collection.Name)} WHERE {Q("email")} = @p0 LIMIT 1", email);
        return store.Query(command, collection).FirstOrDefault();
    }

    private void Link(WriteContext context, Collection links, Record record, string provider, string providerId)
    {
        try
        {
            records.Create(context, links, new JsonObject
            {
                ["collectionRef"] = record.Collection.Id, ["recordRef"] = record.Id, ["provider"] = provider, ["providerId"] = providerId,
            }, RequestAuth.System);
        }
        catch (RecordValidationException)
        {
            // Only the unique indexes can refuse a link: a concurrent sign-in of the same provider account won the race.
            throw ApiException.BadRequest("Failed to authenticate.");
        }
    }

    private string Q(string name) => store.Dialect.Quote(name);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information,
        Message = "OAuth2 sign-in verified the unverified record {Collection}/{RecordId}: {Removed} other links removed, password reset: {PasswordReset}")]
    private static partial void LogClaimed(ILogger logger, string collection, string recordId, int removed, bool passwordReset);
}
