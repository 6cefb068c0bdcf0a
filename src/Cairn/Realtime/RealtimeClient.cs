using System.IO.Pipelines;
using Cairn.Auth;

namespace Cairn.Realtime;

public enum RealtimeTransport { Sse, WebSocket }

/// <summary>Why the server ended a connection; each has its WebSocket close code (docs/realtime.md).</summary>
public enum RealtimeCloseReason { ClientGone, Idle, Lifetime, TooSlow, AuthExpired, AuthRevoked, ServerShutdown, ProtocolError, MessageTooBig, InvalidPayload }

/// <summary>
/// One message as it leaves: an event (the subscription string it answers and its JSON payload, UTF-8) or, on a
/// WebSocket, a reply or a ping. One event message goes to every receiver of the same topic and payload, so each
/// transport's framing of it is built once, by whichever connection writes it first, and shared by the rest.
/// </summary>
public sealed record RealtimeMessage(string Topic, ReadOnlyMemory<byte> Data)
{
    private byte[]? _sse, _webSocket;

    /// <summary><c>event:TOPIC\ndata:JSON\n\n</c>; each SSE connection writes its own <c>id:</c> line before it.</summary>
    public byte[] SseFrame => _sse ??= RealtimeSseApi.Frame(this);

    /// <summary>The text frame's payload: <c>{"type":"event","topic":…,"data":…}</c>, or a reply as it is.</summary>
    public byte[] WebSocketPayload => _webSocket ??= RealtimeWebSocketApi.Frame(this);

    /// <summary>Text, or Ping for the keep-alive.</summary>
    public Connections.WebSocketOpcode WebSocketOpcode { get; private init; } = Connections.WebSocketOpcode.Text;

    /// <summary>A WebSocket reply (<c>pong</c>, <c>subscribed</c>, an error…): its JSON is the whole frame.</summary>
    public static RealtimeMessage Reply(byte[] json) => new("", default) { _webSocket = json };

    /// <summary>The WebSocket keep-alive ping (RFC 6455 5.5.2).</summary>
    public static readonly RealtimeMessage Ping = new("", default) { _webSocket = [], WebSocketOpcode = Connections.WebSocketOpcode.Ping };

    /// <summary>The answer to a client's ping, with its payload.</summary>
    public static RealtimeMessage Pong(byte[] payload) => new("", default) { _webSocket = payload, WebSocketOpcode = Connections.WebSocketOpcode.Pong };
}

/// <summary>How one transport frames messages on the connection it took over (RealtimeSseApi, RealtimeWebSocketApi).</summary>
public abstract class RealtimeWriter(Connections.ConnectionHandoff connection)
{
    /// <summary>The connection, taken over from the HTTP layer.</summary>
    protected Connections.ConnectionHandoff Connection { get; } = connection;

    public PipeWriter Output => Connection.Transport.Output;

    /// <summary>The connection's loop once taken over: reads the client until it goes; an idle connection waits here.</summary>
    public abstract Task RunAsync();

    /// <summary>Writes one message into <see cref="Output"/> (not flushed).</summary>
    public abstract void Write(RealtimeMessage message);

    /// <summary>Writes the transport's goodbye for <paramref name="reason"/> (not flushed).</summary>
    public abstract void WriteClose(RealtimeCloseReason reason);

    /// <summary>Called once, outside any lock, after the connection was ended for <paramref name="reason"/>.</summary>
    public abstract void Closed(RealtimeCloseReason reason);

    /// <summary>Cuts the connection without a goodbye (a peer that stopped answering, or whose writes are stuck).</summary>
    public void Abort() => Connection.Abort();
}

/// <summary>
/// One realtime connection: its id, the address that opened it, the identity captured when it subscribed, its
/// subscriptions, and its way out. Delivery writes an event straight into the connection's output and flushes;
/// only while the socket cannot take more (a flush that does not finish at once) do messages wait, in a queue
/// bounded by <see cref="RealtimeOptions.SendQueueLimit"/>, and a client that fills it is dropped as too slow.
/// An idle connection therefore holds no queue, no task and no timer (10,000 of them are measured in
/// bench/realtime.sh); its only wait is its transport's read of the socket.
/// </summary>
public sealed class RealtimeClient
{
    // Times are UTC ticks, and the client locks on itself: 10,000 idle connections each hold one (bench/realtime.sh),
    // and a DateTimeOffset? or a Lock object per connection shows in their memory.
    private readonly TimeProvider _clock;
    private readonly int _queueLimit;
    private Subscription[] _subscriptions = [];
    private RealtimeCloseReason? _reason;
    private long _authExpires = long.MaxValue, _lastSent, _lastReceived, _pingSent;
    private readonly long _openedAt;
    private RealtimeWriter? _writer;
    private Queue<RealtimeMessage>? _waiting;
    private bool _flushing, _goodbyeWritten;

    public RealtimeClient(string id, string ip, RealtimeTransport transport, int queueLimit, TimeProvider clock)
    {
        Id = id;
        Ip = ip;
        Transport = transport;
        _clock = clock;
        _queueLimit = queueLimit;
        _openedAt = _lastSent = _lastReceived = clock.GetUtcNow().UtcTicks;
    }

    public string Id { get; }
    public string Ip { get; }
    public RealtimeTransport Transport { get; }
    public DateTimeOffset OpenedAt => new(_openedAt, TimeSpan.Zero);

    /// <summary>When the connection last wrote a message (the SSE idle limit counts from here).</summary>
    public DateTimeOffset LastSent => new(Volatile.Read(ref _lastSent), TimeSpan.Zero);

    /// <summary>When the client last sent anything (WebSocket keep-alive).</summary>
    public DateTimeOffset LastReceived => new(Volatile.Read(ref _lastReceived), TimeSpan.Zero);

    /// <summary>The identity events are checked against: a guest until a subscribe request (SSE) or an auth message (WebSocket) brings one.</summary>
    public RequestAuth Auth { get; private set; } = RequestAuth.Guest;

    /// <summary>The collection token secret the auth was signed with; rotating it revokes the auth (null for cookie sessions).</summary>
    public string? AuthSecret { get; private set; }

    /// <summary>The cookie session the auth came from; revoking that session revokes the auth.</summary>
    public string? AuthSession { get; private set; }

    /// <summary>The topics held, each once.</summary>
    public IReadOnlyList<Subscription> Subscriptions => _subscriptions;

    public RealtimeCloseReason? CloseReason => _reason;

    /// <summary>
    /// Signs the connection in. With <paramref name="expires"/> (a token's <c>exp</c>) a WebSocket connection is closed
    /// with "auth expired" at that moment; SSE keeps PocketBase's rule that auth lasts for the connection.
    /// </summary>
    public void SetAuth(RequestAuth auth, string? secret, DateTimeOffset? expires, string? session = null)
    {
        lock (this)
        {
            (Auth, AuthSecret, AuthSession) = (auth, secret, session);
            _authExpires = Transport == RealtimeTransport.WebSocket && expires is { } at ? at.UtcTicks : long.MaxValue;
        }
    }

    /// <summary>Whether a WebSocket's token has expired (the hub's sweeper checks every second; no timer per connection).</summary>
    public bool AuthExpired(DateTimeOffset now) => now.UtcTicks >= Volatile.Read(ref _authExpires);

    /// <summary>The signed-in record changed (not its tokenKey): later checks use the new values.</summary>
    public void RefreshAuthRecord(Records.Record record)
    {
        lock (this) if (Auth.Record?.Id == record.Id) Auth = Auth with { Record = record };
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
        var next = Distinct([], topics);
        lock (this) _subscriptions = next;
    }

    /// <summary>Adds topics (WebSocket); false when that would pass <see cref="RealtimeOptions.MaxSubscriptions"/>.</summary>
    public bool AddSubscriptions(IEnumerable<string> topics)
    {
        lock (this)
        {
            var next = Distinct(_subscriptions, topics);
            if (next.Length > RealtimeOptions.MaxSubscriptions) return false;
            _subscriptions = next;
            return true;
        }
    }

    public void RemoveSubscriptions(IReadOnlyCollection<string>? topics)
    {
        lock (this)
            _subscriptions = topics is null || topics.Count == 0 ? [] : [.. _subscriptions.Where(s => !topics.Contains(s.Topic))];
    }

    // A plain array: most clients hold one to a few topics, and delivery walks them all anyway.
    private static Subscription[] Distinct(Subscription[] held, IEnumerable<string> topics)
    {
        var seen = held.Select(s => s.Topic).ToHashSet(StringComparer.Ordinal);
        var next = new List<Subscription>(held);
        foreach (var topic in topics)
            if (topic.Length > 0 && seen.Add(topic)) next.Add(Subscription.Parse(topic));
        return [.. next];
    }

    /// <summary>Messages waiting to be written (a metric: queue depth).</summary>
    public int Queued
    {
        get { lock (this) return _waiting?.Count ?? 0; }
    }

    /// <summary>
    /// The transport's way out, once the connection is its own; what was sent before waits until then. A connection
    /// already ended gets its goodbye at once.
    /// </summary>
    public void Attach(RealtimeWriter writer)
    {
        RealtimeCloseReason? ended;
        lock (this)
        {
            _writer = writer;
            ended = _reason;
            WriteAndFlushLocked();
        }
        if (ended is { } reason) writer.Closed(reason);
    }

    /// <summary>Writes a message; a client whose socket is full and whose queue is full cannot keep up, and is dropped.</summary>
    public bool Send(RealtimeMessage message)
    {
        lock (this)
        {
            if (_reason is not null) return false;
            if (_writer is not null && !_flushing)
            {
                _writer.Write(message);
                WriteAndFlushLocked();
                return true;
            }
            _waiting ??= new Queue<RealtimeMessage>();
            if (_waiting.Count < _queueLimit)
            {
                _waiting.Enqueue(message);
                return true;
            }
        }
        Close(RealtimeCloseReason.TooSlow);
        return false;
    }

    // Under the lock with no flush running: writes what waits (or the goodbye, once ended) and flushes. A flush that
    // cannot finish now (the socket's buffers are full) finishes in FlushLaterAsync, and until then messages wait.
    private void WriteAndFlushLocked()
    {
        if (_writer is not { } writer || _flushing) return;
        if (_reason is { } reason)
        {
            if (_goodbyeWritten) return;
            _goodbyeWritten = true;
            writer.WriteClose(reason);
        }
        else
            while (_waiting is not null && _waiting.TryDequeue(out var waiting)) writer.Write(waiting);

        ValueTask<FlushResult> flush;
        try
        {
            flush = writer.Output.FlushAsync();
        }
        catch (InvalidOperationException)
        {
            return; // the output is already completed: the connection is ending
        }
        if (!flush.IsCompleted)
        {
            _flushing = true;
            _ = FlushLaterAsync(flush);
            return;
        }
        if (flush.IsCompletedSuccessfully) _lastSent = _clock.GetUtcNow().UtcTicks;
    }

    private async Task FlushLaterAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            await flush;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // the socket ended; its read loop ends the connection
        }
        lock (this)
        {
            _flushing = false;
            _lastSent = _clock.GetUtcNow().UtcTicks;
            WriteAndFlushLocked();
        }
    }

    /// <summary>Something arrived from the client: it is alive (WebSocket keep-alive).</summary>
    public void Received()
    {
        Volatile.Write(ref _lastReceived, _clock.GetUtcNow().UtcTicks);
        Volatile.Write(ref _pingSent, 0);
    }

    /// <summary>
    /// The WebSocket keep-alive: pings a client quiet for <paramref name="interval"/>, while <paramref name="pings"/>
    /// lasts; true when it has not answered the last ping within <paramref name="interval"/> either (the peer is gone).
    /// </summary>
    public bool PingIfQuiet(DateTimeOffset now, TimeSpan interval, ref int pings)
    {
        if (Volatile.Read(ref _pingSent) is var sent and not 0) return now.UtcTicks - sent >= interval.Ticks;
        if (now - LastReceived < interval || pings <= 0) return false;
        pings--;
        _pingSent = now.UtcTicks;
        Send(RealtimeMessage.Ping);
        return false;
    }

    /// <summary>Cuts the connection without a goodbye (the WebSocket keep-alive found the peer gone).</summary>
    public void Abort()
    {
        RealtimeWriter? writer;
        lock (this) writer = _writer;
        writer?.Abort();
    }

    /// <summary>Ends the connection for <paramref name="reason"/>; the first reason given is the one reported (false for the later ones).</summary>
    public bool Close(RealtimeCloseReason reason)
    {
        RealtimeWriter? writer;
        lock (this)
        {
            if (_reason is not null) return false;
            _reason = reason;
            _waiting = null; // a client closed for being too slow does not get the rest
            writer = _writer;
            WriteAndFlushLocked();
        }
        writer?.Closed(reason);
        return true;
    }
}
