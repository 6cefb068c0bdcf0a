using Cairn.Realtime.Connections;

namespace Cairn.Tests.Realtime.Connections;

/// <summary>HeapTrim's policy: one collection once a storm of new connections has settled, and none for anything else.</summary>
public sealed class HeapTrimTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);

    private int _collections;
    private readonly HeapTrim _trim;

    public HeapTrimTests() => _trim = new HeapTrim(() => _collections++);

    /// <summary>Opens <paramref name="count"/> connections evenly over <paramref name="over"/> from <paramref name="from"/>; returns when the last opened.</summary>
    private DateTimeOffset Open(int count, DateTimeOffset from, TimeSpan over)
    {
        var at = from;
        for (var i = 0; i < count; i++) _trim.Opened(at = from + over * i / count);
        return at;
    }

    [Fact]
    public void A_storm_is_trimmed_once_it_has_settled()
    {
        var last = Open(HeapTrim.StormSize, Start, TimeSpan.FromSeconds(5));

        Assert.False(_trim.Sweep(last + TimeSpan.FromSeconds(1))); // still arriving, as far as anyone knows
        Assert.True(_trim.Sweep(last + HeapTrim.Settled));
        Assert.False(_trim.Sweep(last + HeapTrim.Settled + TimeSpan.FromSeconds(1)));
        Assert.Equal(1, _collections);
    }

    [Fact]
    public void Fewer_connections_than_a_storm_are_left_to_the_runtime()
    {
        var last = Open(HeapTrim.StormSize - 1, Start, TimeSpan.FromSeconds(5));

        Assert.False(_trim.Sweep(last + TimeSpan.FromMinutes(1)));
        Assert.Equal(0, _collections);
    }

    [Fact]
    public void A_pause_starts_a_new_count()
    {
        var last = Open(HeapTrim.StormSize / 2, Start, TimeSpan.FromSeconds(2));
        last = Open(HeapTrim.StormSize / 2, last + HeapTrim.Settled, TimeSpan.FromSeconds(2));

        Assert.False(_trim.Sweep(last + HeapTrim.Settled));
        Assert.Equal(0, _collections);
    }

    [Fact]
    public void Steady_arrivals_over_longer_than_the_storm_window_are_not_a_storm()
    {
        var last = Open(HeapTrim.StormSize * 2, Start, HeapTrim.StormWindow * 2); // no pause of Settled anywhere

        Assert.False(_trim.Sweep(last + HeapTrim.Settled));
        Assert.Equal(0, _collections);
    }

    [Fact]
    public void Storms_close_together_are_trimmed_at_most_once_per_interval()
    {
        var last = Open(HeapTrim.StormSize, Start, TimeSpan.FromSeconds(1));
        Assert.True(_trim.Sweep(last + HeapTrim.Settled));
        var trimmedAt = last + HeapTrim.Settled;

        last = Open(HeapTrim.StormSize, trimmedAt + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        Assert.True(last + HeapTrim.Settled < trimmedAt + HeapTrim.MinInterval);
        Assert.False(_trim.Sweep(last + HeapTrim.Settled));
        Assert.True(_trim.Sweep(trimmedAt + HeapTrim.MinInterval)); // the second storm waited, and was not forgotten
        Assert.Equal(2, _collections);
    }
}
