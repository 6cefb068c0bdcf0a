using Cairn.RateLimiting;

namespace Cairn.Tests.RateLimiting;

/// <summary>
/// The three algorithms against a hand-moved clock, request by request: <c>+</c> let through, <c>-</c> refused. The
/// fixed window's double burst at a window edge is shown, and the sliding log refusing the same sequence.
/// </summary>
public sealed class RateLimitAlgorithmTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static RateLimitRule Rule(RateLimitAlgorithm algorithm, int max, int seconds) =>
        new() { Label = "/api/", MaxRequests = max, Duration = seconds, Algorithm = algorithm };

    /// <summary>One request at each time (seconds after the start), in order.</summary>
    private static string Run(RateLimitRule rule, params double[] times)
    {
        var clock = new ManualClock(Start);
        var store = new InMemoryRateLimitStore(clock);
        var outcome = "";
        foreach (var t in times)
        {
            clock.Now = Start.AddSeconds(t);
            outcome += store.Acquire(rule, "ip:10.0.0.1").Allowed ? "+" : "-";
        }
        return outcome;
    }

    private static double[] Repeat(double time, int count) => Enumerable.Repeat(time, count).ToArray();

    // 5 per 10 s: one request opens the window at 0, four more at 9.9 s, five more at 10.0 s when a new window opens.
    private static readonly double[] EdgeBurst = [0, .. Repeat(9.9, 4), .. Repeat(10.0, 5), 10.0];

    [Fact]
    public void FixedWindow_LetsADoubleBurstThrough_AroundAWindowEdge() =>
        // Nine requests pass within 0.1 s although the rule says five per ten seconds.
        Assert.Equal("+" + "++++" + "+++++" + "-", Run(Rule(RateLimitAlgorithm.FixedWindow, 5, 10), EdgeBurst));

    [Fact]
    public void SlidingLog_RefusesTheSameBurst_NeverMoreThanNInAnyWindow() =>
        // At 10.0 only the request from 0 has left the window (the window is (now − 10 s, now]): one more passes.
        Assert.Equal("+" + "++++" + "+----" + "-", Run(Rule(RateLimitAlgorithm.SlidingLog, 5, 10), EdgeBurst));

    [Fact]
    public void TokenBucket_BurstsToN_ThenRefillsOneTokenPerInterval() =>
        // 5 per 10 s is one token every 2 s: a full burst, then one at 2.0 (not at 1.9), then one at 4.0.
        Assert.Equal("+++++-" + "-+-" + "+-", Run(Rule(RateLimitAlgorithm.TokenBucket, 5, 10), [.. Repeat(0, 6), 1.9, 2.0, 2.0, 4.0, 4.0]));

    [Fact]
    public void FixedWindow_OpensANewWindowAtTheFirstRequestAfterTheLastEnded() =>
        // 3 per 10 s: the window of 0 ends at 10; the next opens at 15 and ends at 25.
        Assert.Equal("+++-" + "+++-" + "-" + "+", Run(Rule(RateLimitAlgorithm.FixedWindow, 3, 10), [0, 1, 2, 9.99, 15, 16, 17, 24.99, 24.99, 25]));

    [Fact]
    public void SlidingLog_LetsOneMoreThroughAsEachLoggedRequestLeavesTheWindow() =>
        Assert.Equal("+++" + "-" + "+" + "-" + "+", Run(Rule(RateLimitAlgorithm.SlidingLog, 3, 10), [0, 1, 2, 9.99, 10.0, 10.5, 11.0]));

    [Theory]
    [InlineData(RateLimitAlgorithm.FixedWindow, 9.0, 9.0)]
    [InlineData(RateLimitAlgorithm.SlidingLog, 9.0, 9.0)]
    [InlineData(RateLimitAlgorithm.TokenBucket, 9.0, 1.0)] // half a token back after 1 s: one more in 1 s, full in 9 s
    public void ARefusal_SaysWhenToRetry_AndWhenTheLimitResets(RateLimitAlgorithm algorithm, double reset, double retryAfter)
    {
        var clock = new ManualClock(Start);
        var store = new InMemoryRateLimitStore(clock);
        var rule = Rule(algorithm, 5, 10);
        for (var i = 0; i < 5; i++) Assert.True(store.Acquire(rule, "c").Allowed);
        clock.Advance(TimeSpan.FromSeconds(1));

        var refused = store.Acquire(rule, "c");

        Assert.False(refused.Allowed);
        Assert.Equal((5, 0), (refused.Limit, refused.Remaining));
        Assert.Equal(reset, refused.Reset.TotalSeconds, precision: 6);
        Assert.Equal(retryAfter, refused.RetryAfter.TotalSeconds, precision: 6);
    }

    [Fact]
    public void EachClientAndEachRule_CountsSeparately()
    {
        var store = new InMemoryRateLimitStore(new ManualClock(Start));
        var one = Rule(RateLimitAlgorithm.FixedWindow, 1, 10);
        var other = one with { Label = "*:create" };

        Assert.True(store.Acquire(one, "a").Allowed);
        Assert.False(store.Acquire(one, "a").Allowed);
        Assert.True(store.Acquire(one, "b").Allowed);
        Assert.True(store.Acquire(other, "a").Allowed);
    }

    [Fact]
    public void IdleCounters_AreDropped_SoMemoryFollowsRecentClients()
    {
        var clock = new ManualClock(Start);
        var store = new InMemoryRateLimitStore(clock);
        var rule = Rule(RateLimitAlgorithm.SlidingLog, 5, 10);
        for (var i = 0; i < 100; i++) store.Acquire(rule, $"client-{i}");
        clock.Advance(TimeSpan.FromMinutes(2));

        store.Acquire(rule, "latest");

        Assert.Equal(1, store.Count);
    }
}
