using System.Threading.Channels;

namespace Cairn.Realtime;

/// <summary>
/// The single-node backplane: a bounded in-memory queue between the write path and the dispatcher. When the
/// dispatcher falls a whole queue behind, writers wait for it rather than the queue growing without bound or
/// events being lost (a committed change that is never announced would leave clients silently stale).
/// </summary>
public sealed class InProcessBackplane : IRealtimeBackplane
{
    public const int Capacity = 65_536;

    private readonly Channel<RealtimeEvent> _events = Channel.CreateBounded<RealtimeEvent>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public void Publish(RealtimeEvent realtimeEvent)
    {
        if (_events.Writer.TryWrite(realtimeEvent)) return;
        _events.Writer.WriteAsync(realtimeEvent).AsTask().GetAwaiter().GetResult();
    }

    public IAsyncEnumerable<RealtimeEvent> ReadAllAsync(CancellationToken cancellationToken) => _events.Reader.ReadAllAsync(cancellationToken);
}
