using System.Text.Json.Nodes;
using Cairn.Records;

namespace Cairn.Realtime;

/// <summary>Something that happened and that realtime clients may hear about.</summary>
public abstract record RealtimeEvent;

/// <summary>A committed record change (<c>create</c>, <c>update</c> or <c>delete</c>) with the record as written.</summary>
public sealed record RecordChanged(string Action, Record Record) : RealtimeEvent;

/// <summary>A message from server code on a custom topic: to every subscriber, or to one client when <see cref="ClientId"/> is set.</summary>
public sealed record CustomMessage(string Topic, JsonNode? Data, string? ClientId = null) : RealtimeEvent;

/// <summary>
/// The seam between the nodes that change data and the nodes that hold connections. Every event is published
/// here after its transaction commits and read back by each node's <see cref="RealtimeDispatcher"/>, which
/// delivers it to that node's own clients. Alone, it is <see cref="InProcessBackplane"/>; scaled out, a
/// Redis pub/sub implementation carries the same events between nodes.
/// </summary>
public interface IRealtimeBackplane
{
    /// <summary>Publishes an event; called on the write path, so it must not wait on clients.</summary>
    void Publish(RealtimeEvent realtimeEvent);

    /// <summary>Every event published from now on, in publication order per publisher.</summary>
    IAsyncEnumerable<RealtimeEvent> ReadAllAsync(CancellationToken cancellationToken);
}
