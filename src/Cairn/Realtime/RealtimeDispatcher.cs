using System.Text.Json.Nodes;
using Cairn.Api;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Realtime;

/// <summary>
/// Reads the backplane and hands each event to this node's clients, one event at a time so that every client
/// sees changes in commit order. A failing delivery is logged and skipped; it never stops the loop.
/// </summary>
internal sealed class RealtimeDispatcher(IRealtimeBackplane backplane, RealtimeHub hub, RecordEventDelivery records, ILogger<RealtimeDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var realtimeEvent in backplane.ReadAllAsync(stoppingToken))
            {
                try
                {
                    switch (realtimeEvent)
                    {
                        case RecordChanged change: await records.DeliverAsync(change, stoppingToken); break;
                        case CustomMessage message: DeliverCustom(message); break;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Realtime delivery of {Event} failed", realtimeEvent.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private void DeliverCustom(CustomMessage message)
    {
        ReadOnlyMemory<byte>? data = null;
        IEnumerable<RealtimeClient> clients = message.ClientId is { } id ? hub.Find(id) is { } one ? [one] : [] : hub.Clients;
        foreach (var client in clients)
        foreach (var subscription in client.Subscriptions)
        {
            if (subscription.Target != message.Topic) continue;
            data ??= System.Text.Encoding.UTF8.GetBytes((message.Data ?? JsonValue.Create((string?)null))?.ToJsonString(CairnJson.Options) ?? "null");
            client.Send(new RealtimeMessage(subscription.Topic, data.Value));
        }
    }
}
