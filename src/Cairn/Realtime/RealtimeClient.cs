using System.Collections.Frozen;
using System.Threading.Channels;
using Cairn.Auth;

namespace Cairn.Realtime;

public enum RealtimeTransport { Sse, WebSocket }

/// <summary>Why the server ended a connection; each has its WebSocket close code (docs/realtime.md).</summary>
public enum RealtimeCloseReason { ClientGone, Idle, Lifetime, TooSlow, AuthExpired, AuthRevoked, ServerShutdown }

/// <summary>
/// One event as it leaves: the subscription string it answers and its JSON payload (UTF-8). One message goes to
/// every receiver of the same topic and payload, so each transport's framing of it is built once, by whichever
/// connection writes it first, and shared by the rest.
/// </summary>
public sealed record RealtimeMessage(string Topic, ReadOnlyMemory<byte> Data)
{
    private byte[]? _sse, _webSocket;

    /// <summary><c>event:TOPIC\ndata:JSON\n\n</c>; each SSE connection writes its own <c>id:</c> line before it.</summary>
    public byte[] SseFrame => _sse ??= RealtimeSseApi.Frame(this);

    /// <summary><c>{"type":"event","topic":…,"data":…}</c>.</summary>
    public byte[] WebSocketFrame => _webSocket ??= RealtimeWebSocketApi.Frame(this);
}

/// <summary>
/// One realtime connection: its id, the address that opened it, the identity captured when it subscribed,
/// its subscriptions, and a bounded queue of messages waiting to be written. Delivery only ever enqueues;
/// the connection's own loop writes, so a slow network never blocks the fan-out. Ending a connection completes
/// its queue, which is what its loop waits on: an idle connection holds no timer and no cancellation source of
/// its own (10,000 of them are measured in bench/realtime.sh).
/// </summary>
public sealed class RealtimeClient
{
    private readonly Channel<RealtimeMessage> _queue;
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;
    private FrozenDictionary<string, Subscription> _subscriptions = FrozenDictionary<string, Subscription>.Empty;
    private RealtimeCloseReason? _reason;
    private ITimer? _expiry;

    public RealtimeClient(string id, string ip, RealtimeTransport transport, int queueLimit, TimeProvider clock)
    {
        Id = id;
        Ip = ip;
        Transport = transport;
        _clock = clock;
        OpenedAt = LastSent = clock.GetUtcNow();
        _queue = Channel.CreateBounded<RealtimeMessage>(new BoundedChannelOptions(queueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public string Id { get; }
    public string Ip { get; }
    public RealtimeTransport Transport { get; }
    public DateTimeOffset OpenedAt { get; }

    /// <summary>When the connection last wrote a message (the SSE idle limit counts from here).</summary>
    public DateTimeOffset LastSent { get; private set; }

    /// <summary>The identity events are checked against: a guest until a subscribe request (SSE) or an auth message (WebSocket) brings one.</summary>
    public RequestAuth Auth { get; private set; } = RequestAuth.Guest;

    /// <summary>The collection token secret the auth was signed with; rotating it revokes the auth (null for cookie sessions).</summary>
    public string? AuthSecret { get; private set; }

    /// <summary>The cookie session the auth came from; revoking that session revokes the auth.</summary>
    public string? AuthSession { get; private set; }

    public IReadOnlyDictionary<string, Subscription> Subscriptions => _subscriptions;

    /// <summary>What the connection's loop reads; it completes when the connection is ended.</summary>
    public ChannelReader<RealtimeMessage> Outgoing => _queue.Reader;

    public RealtimeCloseReason? CloseReason => _reason;

    /// <summary>Called once when the server ends the connection, so that the transport can cut a connection whose writes are stuck.</summary>
    public Action<RealtimeCloseReason>? OnClosed { get; set; }

    /// <summary>
    /// Signs the connection in. With <paramref name="expires"/> (a token's <c>exp</c>) a WebSocket connection is closed
    /// with "auth expired" at that moment; SSE keeps PocketBase's rule that auth lasts for the connection.
    /// </summary>
    public void SetAuth(RequestAuth auth, string? secret, DateTimeOffset? expires, string? session = null)
    {
        lock (_lock)
        {
            (Auth, AuthSecret, AuthSession) = (auth, secret, session);
            _expiry?.Dispose();
            _expiry = null;
            if (expires is { } at && Transport == RealtimeTransport.WebSocket)
                _expiry = _clock.CreateTimer(_ => Close(RealtimeCloseReason.AuthExpired), null, Max(at - _clock.GetUtcNow(), TimeSpan.Zero), Timeout.InfiniteTimeSpan);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

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
        SetAuth(RequestAuth.Guest, null, null);
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

    /// <summary>Messages waiting to be written (a metric: queue depth).</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Queues a message; a full queue means the client cannot keep up, and it is dropped.</summary>
    public bool Send(RealtimeMessage message)
    {
        if (_queue.Writer.TryWrite(message)) return true;
        Close(RealtimeCloseReason.TooSlow);
        return false;
    }

    /// <summary>Records that a message went out (the transport calls this after writing).</summary>
    public void Sent() => LastSent = _clock.GetUtcNow();

    /// <summary>Ends the connection for <paramref name="reason"/>; the first reason given is the one reported.</summary>
    public void Close(RealtimeCloseReason reason)
    {
        lock (_lock)
        {
            if (_reason is not null) return;
            _reason = reason;
            _expiry?.Dispose();
            _expiry = null;
        }
        _queue.Writer.TryComplete();
        OnClosed?.Invoke(reason);
    }
}
