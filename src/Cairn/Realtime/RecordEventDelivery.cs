using System.Data.Common;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Records.Expand;
using Cairn.Rules;
using Cairn.Storage;

namespace Cairn.Realtime;

/// <summary>
/// Delivers one committed record change to the clients of this node that may see it (POCKETBASE_API.md 1.4).
/// <c>collection/*</c> topics are checked against the list rule, <c>collection/ID</c> against the view rule,
/// both with <c>@request.context = "realtime"</c>, the subscription's query and headers, and the client's
/// identity, plus the subscription's <c>filter</c>. Cost does not grow as one query per subscriber: matching
/// subscriptions are grouped by rule, options and the auth collection of their identity, and
/// <see cref="RecordRules.Admitted"/> answers up to <see cref="PartSize"/> of a group's callers with one statement.
/// Payloads are built once per distinct shape (options, superuser, email visible, and the identity when
/// <c>expand</c> must check related records' rules for it) and shared by every receiver.
/// </summary>
internal sealed class RecordEventDelivery(IDatabase db, CollectionRegistry registry, RecordRules rules, RecordExpander expander, RealtimeHub hub)
{
    public const string RealtimeContext = "realtime";

    private enum RuleKind { List, View }

    private sealed record Match(RealtimeClient Client, Subscription Subscription);

    // Subscribers checked alike: by rule, options and the auth collection of their identity.
    private readonly record struct GroupKey(RuleKind Kind, string OptionsKey, string Callers);

    /// <summary>
    /// The most callers one rule statement checks. Groups are split into parts of this size as they are formed, so
    /// that no list, id set or bound parameter of an event reaches the large object heap: at 10,000 subscribers they
    /// did, about 1.5 MB per event, and the full collections that heap's budget brings paused whole fan-out rounds
    /// for 150-800 ms (bench/RESULTS.md, run O).
    /// </summary>
    public const int PartSize = 1000;

    public async Task DeliverAsync(RecordChanged change, CancellationToken cancellationToken)
    {
        var record = change.Record;
        var collection = registry.Find(record.Collection.Id) ?? record.Collection;
        if (collection.IsAuth) FollowAuthChange(change);
        if (change.Action == "delete" && collection.Name == SystemCollections.SessionsName) EndSession(change.Record.Id);

        var groups = new Dictionary<GroupKey, List<List<Match>>>();
        var secrets = new Dictionary<string, string?>();
        foreach (var client in hub.Clients)
        {
            if (client.CloseReason is not null) continue;
            RevokeIfSecretRotated(client, secrets);
            foreach (var subscription in client.Subscriptions)
            {
                if (KindOf(subscription, collection, record.Id) is not { } kind) continue;
                var key = new GroupKey(kind, subscription.OptionsKey, CallersOf(client.Auth));
                if (!groups.TryGetValue(key, out var parts)) groups[key] = parts = [];
                if (parts.Count == 0 || parts[^1].Count == PartSize) parts.Add([]);
                parts[^1].Add(new Match(client, subscription));
            }
        }
        if (groups.Count == 0) return;
        await db.ReadAsync(connection =>
        {
            Deliver(connection, change, collection, groups);
            return true;
        }, cancellationToken);
    }

    private static RuleKind? KindOf(Subscription subscription, Collection collection, string recordId)
    {
        if (subscription.Collection != collection.Id && !subscription.Collection.Equals(collection.Name, StringComparison.OrdinalIgnoreCase)) return null;
        if (subscription.RecordId == "*") return RuleKind.List; // "posts/*", and the deprecated bare "posts"
        return subscription.RecordId == recordId ? RuleKind.View : null;
    }

    /// <summary>
    /// Clients signed in as a changed auth record: a new tokenKey (password or email change) or a delete ends
    /// their auth at once; any other change refreshes the record their later checks use.
    /// </summary>
    private void FollowAuthChange(RecordChanged change)
    {
        var record = change.Record;
        foreach (var client in hub.Clients)
        {
            if (client.Auth.Record is not { } me || me.Id != record.Id || me.Collection.Id != record.Collection.Id) continue;
            if (change.Action == "delete" || me.GetString("tokenKey") != record.GetString("tokenKey")) client.RevokeAuth();
            else client.RefreshAuthRecord(record);
        }
    }

    // A revoked or signed-out cookie session takes the auth of the connections it opened with it.
    private void EndSession(string sessionId)
    {
        foreach (var client in hub.Clients)
            if (client.AuthSession == sessionId) client.RevokeAuth();
    }

    // Rotating a collection's token secret revokes every token it signed, realtime connections included.
    // The current secrets are looked up once per event and collection, not once per client.
    private void RevokeIfSecretRotated(RealtimeClient client, Dictionary<string, string?> secrets)
    {
        if (client.AuthSecret is not { } secret || client.Auth.Record is not { } me) return;
        if (!secrets.TryGetValue(me.Collection.Id, out var current))
            secrets[me.Collection.Id] = current = registry.Find(me.Collection.Id)?.TokenSecret("authToken");
        if (current != secret) client.RevokeAuth();
    }

    private void Deliver(DbConnection connection, RecordChanged change, Collection collection, Dictionary<GroupKey, List<List<Match>>> groups)
    {
        var payloads = new Dictionary<(string Options, bool Superuser, bool SeesEmail, string ExpandFor), ReadOnlyMemory<byte>>();
        var messages = new Dictionary<(string Topic, ReadOnlyMemory<byte> Payload), RealtimeMessage>(MessageKey.Instance);
        foreach (var (group, parts) in groups)
        {
            var sample = parts[0][0].Subscription;
            var superusers = group.Callers == Collection.SuperusersId;
            var rule = group.Kind == RuleKind.List ? collection.ListRule : collection.ViewRule;
            if (sample.FilterInvalid) continue;
            // A client filter may not reach other collections or request data unless a superuser set it (POCKETBASE_API.md 1.4).
            if (sample.Filter is { } filter && !superusers && ReachesBeyondRecord(filter)) continue;
            if (rule is null && !superusers) continue;

            var request = new RequestData { Method = "GET", Context = RealtimeContext, Query = sample.Query, Headers = sample.Headers };
            var callers = group.Callers.Length == 0 ? null : registry.Find(group.Callers);
            if (group.Callers.Length > 0 && callers is null) continue;
            var manage = collection.IsAuth && !superusers && callers is not null && RecordRules.ManageRule(collection) is { } m && m.Trim().Length > 0 ? m : null;

            // Outside auth collections and without expand, every receiver in the group gets the same bytes: after the
            // first, a receiver costs one set lookup and one write (10,000 of them per event in bench/realtime.sh).
            var sameForAll = !collection.IsAuth && sample.Expand is null;
            RealtimeMessage? last = null;
            foreach (var part in parts)
            {
                var ids = part.Select(m => m.Client.Auth.Record?.Id ?? "").Distinct().ToList();
                var admitted = rules.Admitted(connection, change.Record, superusers ? "" : rule!, sample.Filter, callers, ids, request);
                if (admitted.Count == 0) continue;
                var managers = manage is null ? [] : rules.Admitted(connection, change.Record, manage, null, callers, ids, request);
                foreach (var match in part)
                {
                    var auth = match.Client.Auth;
                    var callerId = auth.Record?.Id ?? "";
                    if (!admitted.Contains(callerId)) continue;
                    if (sameForAll && last is not null && last.Topic == match.Subscription.Topic)
                    {
                        match.Client.Send(last);
                        continue;
                    }
                    var seesEmail = collection.IsAuth && (superusers || managers.Contains(callerId) || (auth.Record is { } me && me.Id == change.Record.Id && me.Collection.Id == collection.Id));
                    var key = (match.Subscription.OptionsKey, superusers, seesEmail, match.Subscription.Expand is null ? "" : auth.Record?.Collection.Id + "/" + callerId);
                    if (!payloads.TryGetValue(key, out var payload))
                        payloads[key] = payload = Payload(connection, change, match.Subscription, auth, seesEmail, request);
                    // One message object per topic and payload, so each transport frames it once for all its receivers.
                    if (!messages.TryGetValue((match.Subscription.Topic, payload), out var message))
                        messages[(match.Subscription.Topic, payload)] = message = new RealtimeMessage(match.Subscription.Topic, payload);
                    match.Client.Send(last = message);
                }
            }
        }
    }

    private static string CallersOf(RequestAuth auth) => auth.Record?.Collection.Id ?? "";

    private ReadOnlyMemory<byte> Payload(DbConnection connection, RecordChanged change, Subscription subscription, RequestAuth auth, bool seesEmail, RequestData request)
    {
        var record = change.Record.Clone();
        record.CallerManages = seesEmail;
        if (subscription.Expand is { } expand)
        {
            // As in PocketBase, an expand that fails (an unknown relation) leaves the record unexpanded rather than dropping the event.
            try { expander.Expand(connection, null, [record], expand, auth, request with { Auth = auth.Record }); }
            catch (ApiException) { record.Expand = null; }
        }
        JsonNode? json = RecordJson.ToJson(record, auth);
        if (subscription.Fields is { } fields) json = FieldsPicker.Apply(json, fields);
        var data = new JsonObject { ["action"] = change.Action, ["record"] = json };
        return System.Text.Encoding.UTF8.GetBytes(data.ToJsonString(CairnJson.Options));
    }

    // Payloads are compared by identity: equal keys come from the same payload buffer of this event.
    private sealed class MessageKey : IEqualityComparer<(string Topic, ReadOnlyMemory<byte> Payload)>
    {
        public static readonly MessageKey Instance = new();
        public bool Equals((string Topic, ReadOnlyMemory<byte> Payload) x, (string Topic, ReadOnlyMemory<byte> Payload) y) =>
            x.Topic == y.Topic && x.Payload.Equals(y.Payload);
        public int GetHashCode((string Topic, ReadOnlyMemory<byte> Payload) key) => HashCode.Combine(key.Topic, key.Payload.Length);
    }

    private static bool ReachesBeyondRecord(QueryExpr expression) => expression switch
    {
        LogicalExpr l => ReachesBeyondRecord(l.Left) || ReachesBeyondRecord(l.Right),
        ComparisonExpr c => ReachesBeyondRecord(c.Left) || ReachesBeyondRecord(c.Right),
        _ => false,
    };

    private static bool ReachesBeyondRecord(Operand operand) => operand switch
    {
        IdentifierOperand i => i.Name.StartsWith("@request", StringComparison.Ordinal) || i.Name.StartsWith("@collection", StringComparison.Ordinal),
        FunctionOperand f => f.Arguments.Any(ReachesBeyondRecord),
        _ => false,
    };
}
