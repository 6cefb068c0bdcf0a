using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Cairn.Collections;

namespace Cairn.Realtime;

/// <summary>The connections this node holds, by client id, and the door for server code that publishes on custom topics.</summary>
public sealed class RealtimeHub : IDisposable
{
    private readonly ConcurrentDictionary<string, RealtimeClient> _clients = new(StringComparer.Ordinal);
    private readonly IRealtimeBackplane backplane;
    private readonly RealtimeOptions options;
    private readonly TimeProvider clock;
    private readonly ITimer _sweeper;
    private readonly TimeSpan _period;
    private readonly Connections.HeapTrim _trim = new(Connections.HeapTrim.CollectProcessHeap);

    public RealtimeHub(IRealtimeBackplane backplane, RealtimeOptions options, TimeProvider clock)
    {
        this.backplane = backplane;
        this.options = options;
        this.clock = clock;
        _period = options.IdleTimeout / 2 < TimeSpan.FromSeconds(1) ? options.IdleTimeout / 2 : TimeSpan.FromSeconds(1);
        _sweeper = clock.CreateTimer(_ => CloseIdle(), null, _period, _period);
    }

    public RealtimeOptions Options => options;

    /// <summary>The live connections; enumerated without copying (an event to 10,000 clients walks this once).</summary>
    public IEnumerable<RealtimeClient> Clients
    {
        get
        {
            foreach (var (_, client) in _clients) yield return client;
        }
    }

    public int Count => _clients.Count;

    /// <summary>A new connection with a fresh 40-character id (POCKETBASE_API.md 1.4), registered until <see cref="Remove"/>.</summary>
    public RealtimeClient Connect(string ip, RealtimeTransport transport)
    {
        for (;;)
        {
            var client = new RealtimeClient(CollectionIds.RandomAlphanumeric(40), ip, transport, options.SendQueueLimit, clock);
            if (!_clients.TryAdd(client.Id, client)) continue;
            _trim.Opened(client.OpenedAt);
            return client;
        }
    }

    public RealtimeClient? Find(string id) => _clients.GetValueOrDefault(id);

    /// <summary>The connection is over: the client is ended (if the server had not ended it already) and forgotten.</summary>
    public void Remove(RealtimeClient client)
    {
        client.Close(RealtimeCloseReason.ClientGone);
        _clients.TryRemove(new KeyValuePair<string, RealtimeClient>(client.Id, client));
    }

    /// <summary>Sends <paramref name="data"/> to every subscriber of a custom topic, on every node.</summary>
    public void Publish(string topic, JsonNode? data) => backplane.Publish(new CustomMessage(topic, data));

    /// <summary>Sends <paramref name="data"/> on <paramref name="topic"/> to one client, wherever it is connected, if it subscribed to that topic.</summary>
    public void SendTo(string clientId, string topic, JsonNode? data) => backplane.Publish(new CustomMessage(topic, data, clientId));

    /// <summary>
    /// SSE connections end when idle too long or past their lifetime (POCKETBASE_API.md 1.4); a quiet WebSocket is
    /// pinged, and cut when it does not answer; a WebSocket whose token expired is closed. One timer for all
    /// connections, rather than one or two per connection.
    /// </summary>
    private void CloseIdle()
    {
        var now = clock.GetUtcNow();
        // Pings are spread over the keep-alive interval: clients that all connected within a few seconds (after a
        // deploy, say) would otherwise be pinged, and answer, all at once, every interval, for as long as they stay.
        var pings = (int)Math.Ceiling(_clients.Count * (_period / options.WebSocketKeepAlive)) + 1;
        foreach (var (_, client) in _clients)
        {
            if (client.CloseReason is not null) continue;
            if (client.Transport == RealtimeTransport.WebSocket)
            {
                if (client.AuthExpired(now)) client.Close(RealtimeCloseReason.AuthExpired);
                else if (client.PingIfQuiet(now, options.WebSocketKeepAlive, ref pings)) client.Abort();
                continue;
            }
            if (now - client.OpenedAt >= options.MaxLifetime) client.Close(RealtimeCloseReason.Lifetime);
            else if (now - client.LastSent >= options.IdleTimeout) client.Close(RealtimeCloseReason.Idle);
        }
        _trim.Sweep(now);
    }

    public void Dispose() => _sweeper.Dispose();

    /// <summary>Ends every connection, telling each client to reconnect (graceful shutdown).</summary>
    public void CloseAll(RealtimeCloseReason reason)
    {
        foreach (var client in _clients.Values) client.Close(reason);
    }
}
