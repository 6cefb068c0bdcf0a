using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Cairn.Collections;

namespace Cairn.Realtime;

/// <summary>The connections this node holds, by client id, and the door for server code that publishes on custom topics.</summary>
public sealed class RealtimeHub(IRealtimeBackplane backplane, RealtimeOptions options)
{
    private readonly ConcurrentDictionary<string, RealtimeClient> _clients = new(StringComparer.Ordinal);

    public RealtimeOptions Options => options;

    public ICollection<RealtimeClient> Clients => _clients.Values;

    public int Count => _clients.Count;

    /// <summary>A new connection with a fresh 40-character id (POCKETBASE_API.md 1.4), registered until <see cref="Remove"/>.</summary>
    public RealtimeClient Connect(string ip, RealtimeTransport transport)
    {
        for (;;)
        {
            var client = new RealtimeClient(CollectionIds.RandomAlphanumeric(40), ip, transport, options.SendQueueLimit);
            if (_clients.TryAdd(client.Id, client)) return client;
        }
    }

    public RealtimeClient? Find(string id) => _clients.GetValueOrDefault(id);

    public void Remove(RealtimeClient client) => _clients.TryRemove(new KeyValuePair<string, RealtimeClient>(client.Id, client));

    /// <summary>Sends <paramref name="data"/> to every subscriber of a custom topic, on every node.</summary>
    public void Publish(string topic, JsonNode? data) => backplane.Publish(new CustomMessage(topic, data));

    /// <summary>Sends <paramref name="data"/> on <paramref name="topic"/> to one client, wherever it is connected, if it subscribed to that topic.</summary>
    public void SendTo(string clientId, string topic, JsonNode? data) => backplane.Publish(new CustomMessage(topic, data, clientId));

    /// <summary>Ends every connection, telling each client to reconnect (graceful shutdown).</summary>
    public void CloseAll(RealtimeCloseReason reason)
    {
        foreach (var client in _clients.Values) client.Close(reason);
    }
}
