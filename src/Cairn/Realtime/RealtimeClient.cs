using System.Collections.Frozen;
using System.Threading.Channels;
using Cairn.Auth;

namespace Cairn.Realtime;

public enum RealtimeTransport { Sse, WebSocket }

/// <summary>Why the server ended a connection; each has its WebSocket close code (docs/realtime.md).</summary>
public enum RealtimeCloseReason { ClientGone, Idle, Lifetime, TooSlow, AuthExpired, AuthRevoked, ServerShutdown }

/// <summary>One event as it leaves: the subscription string it answers and its JSON payload (UTF-8), shared by every receiver.</summary>
public sealed record RealtimeMessage(string Topic, ReadOnlyMemory<byte> Data);

/// <summary>
/// One realtime connection: its id, the address that opened it, the identity captured when it subscribed,
/// its subscriptions, and a bounded queue of messages waiting to be written. Delivery only ever enqueues;
/// the connection's own loop writes, so a slow network never blocks the fan-out.
/// </summary>
public sealed class RealtimeClient
{
    private readonly Channel<RealtimeMessage> _queue;
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _lock = new();
    private FrozenDictionary<string, Subscription> _subscriptions = FrozenDictionary<string, Subscription>.Empty;
    private RealtimeCloseReason? _reason;

    public RealtimeClient(string id, string ip, RealtimeTransport transport, int queueLimit)
    {
        Id = id;
        Ip = ip;
        Transport = transport;
        _queue = Channel.CreateBounded<RealtimeMessage>(new BoundedChannelOptions(queueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public string Id { get; }
    public string Ip { get; }
    public RealtimeTransport Transport { get; }

    /// <summary>The identity events are checked against: a guest until a subscribe request (SSE) or an auth message (WebSocket) brings one.</summary>
    public RequestAuth Auth { get; private set; } = RequestAuth.Guest;

    /// <summary>The collection token secret the auth was signed with; rotating it revokes the auth (null for cookie sessions).</summary>
    public string? AuthSecret { get; private set; }

    /// <summary>When a token-based auth stops being valid.</summary>
    public DateTimeOffset? AuthExpires { get; private set; }

    /// <summary>The cookie session the auth came from; revoking that session revokes the auth.</summary>
    public string? AuthSession { get; private set; }

    public IReadOnlyDictionary<string, Subscription> Subscriptions => _subscriptions;

    public ChannelReader<RealtimeMessage> Outgoing => _queue.Reader;

    /// <summary>Cancelled when the server ends the connection; <see cref="CloseReason"/> says why.</summary>
    public CancellationToken Closed => _closed.Token;

    public RealtimeCloseReason? CloseReason => _reason;

    public void SetAuth(RequestAuth auth, string? secret, DateTimeOffset? expires, string? session = null)
    {
        lock (_lock) (Auth, AuthSecret, AuthExpires, AuthSession) = (auth, secret, expires, session);
    }

    /// <summary>The signed-in record changed (not its tokenKey): later checks use the new values.</summary>
    public void RefreshAuthRecord(Records.Record record)
    {
        lock (_lock) if (Auth.Record?.Id == record.Id) Auth = Auth with { Record = record };
    }

    /// <summary>
    /// The auth stopped being valid (password or email change, deletion, secret rotation, a revoked session).
    /// An SSE client becomes a guest, as in PocketBase; a WebSocket client is told so by its close code.
    /// </summary>
    public void RevokeAuth()
    {
        lock (_lock) (Auth, AuthSecret, AuthExpires, AuthSession) = (RequestAuth.Guest, null, null, null);
        if (Transport == RealtimeTransport.WebSocket) Close(RealtimeCloseReason.AuthRevoked);
    }

    public void ReplaceSubscriptions(IEnumerable<string> topics)
    {
        var next = new Dictionary<string, Subscription>(StringComparer.Ordinal);
        foreach (var topic in topics.Where(t => t.Length > 0)) next[topic] = Subscription.Parse(topic);
        lock (_lock) _subscriptions = next.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Adds topics (WebSocket); false when that would pass <see cref="RealtimeOptions.MaxSubscriptions"/>.</summary>
    public bool AddSubscriptions(IEnumerable<string> topics)
    {
        lock (_lock)
        {
            var next = new Dictionary<string, Subscription>(_subscriptions, StringComparer.Ordinal);
            foreach (var topic in topics.Where(t => t.Length > 0)) next.TryAdd(topic, Subscription.Parse(topic));
            if (next.Count > RealtimeOptions.MaxSubscriptions) return false;
            _subscriptions = next.ToFrozenDictionary(StringComparer.Ordinal);
            return true;
        }
    }

    public void RemoveSubscriptions(IReadOnlyCollection<string>? topics)
    {
        lock (_lock)
            _subscriptions = topics is null || topics.Count == 0
                ? FrozenDictionary<string, Subscription>.Empty
                : _subscriptions.Where(s => !topics.Contains(s.Key)).ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Queues a message; a full queue means the client cannot keep up, and it is dropped.</summary>
    public bool Send(RealtimeMessage message)
    {
        if (_queue.Writer.TryWrite(message)) return true;
        Close(RealtimeCloseReason.TooSlow);
        return false;
    }

    /// <summary>Ends the connection for <paramref name="reason"/>; the first reason given is the one reported.</summary>
    public void Close(RealtimeCloseReason reason)
    {
        lock (_lock)
        {
            if (_reason is not null) return;
            _reason = reason;
        }
        _queue.Writer.TryComplete();
        // Callbacks of the token run off the caller's thread: the fan-out that found the queue full moves on at once.
        _ = _closed.CancelAsync();
    }
}
