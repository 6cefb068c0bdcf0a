namespace Cairn.Realtime.Connections;

/// <summary>
/// Compacts the managed heap once after a storm of new connections has settled (after a deploy, every client
/// reconnects at once), and gives what that frees back to the system.
/// </summary>
/// <remarks>
/// Why server code asks for a collection here, which it otherwise leaves to the runtime: each handshake runs the
/// whole HTTP pipeline, about 20 KB of short-lived objects. During a storm the collector runs while hundreds of
/// handshakes are in flight, so their state is promoted and then dies in the older generations, between the
/// connections that stay, and the allocation budget the storm grew stays committed. An idle server allocates next to
/// nothing, so no later collection comes to free it: 10,000 idle connections kept 11–12 KiB each instead of about 6
/// (bench/RESULTS.md, run O). A storm is <see cref="StormSize"/> connections or more opened within
/// <see cref="StormWindow"/> without a pause of <see cref="Settled"/>; slow, steady arrivals are not one (their
/// traffic lets the collector run as usual). The price is one blocking collection as the storm ends, which grows
/// with the heap: 0.27–0.28 s for the 65 MB heap of 10,000 connections on the 2-core benchmark box, about what the
/// storm's own collections paused it for each second. At most one per <see cref="MinInterval"/>, and heaps above
/// <see cref="MaxHeapBytes"/> are never trimmed, as their pause would be long.
/// </remarks>
public sealed class HeapTrim(Action collect)
{
    public const int StormSize = 1000;
    public const long MaxHeapBytes = 256L << 20;
    public static readonly TimeSpan Settled = TimeSpan.FromSeconds(2), StormWindow = TimeSpan.FromSeconds(60), MinInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private long _firstOpened, _lastOpened, _lastTrim = long.MinValue / 2;
    private int _opened; // connections opened since the last pause of Settled

    /// <summary>A full, compacting collection that also decommits what it frees, unless the heap is too large to pause for.</summary>
    public static void CollectProcessHeap()
    {
        if (GC.GetGCMemoryInfo().HeapSizeBytes <= MaxHeapBytes)
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>A connection was opened.</summary>
    public void Opened(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (now.UtcTicks - _lastOpened >= Settled.Ticks) (_opened, _firstOpened) = (0, now.UtcTicks);
            _opened++;
            _lastOpened = now.UtcTicks;
        }
    }

    /// <summary>The hub's periodic sweep: trims when a storm has settled; true when it did.</summary>
    public bool Sweep(DateTimeOffset now)
    {
        lock (_lock)
        {
            var t = now.UtcTicks;
            if (_opened < StormSize || t - _lastOpened < Settled.Ticks || t - _lastTrim < MinInterval.Ticks) return false;
            var storm = _lastOpened - _firstOpened <= StormWindow.Ticks;
            _opened = 0;
            if (!storm) return false;
            _lastTrim = t;
        }
        collect();
        return true;
    }
}
