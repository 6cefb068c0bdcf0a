using System.Collections.Concurrent;

namespace Cairn.RateLimiting;

/// <summary>Where the counters live: in this process now; in Redis when several nodes must share them (the scale-out issue).</summary>
public interface IRateLimitStore
{
    /// <summary>Counts one request of <paramref name="client"/> against <paramref name="rule"/>.</summary>
    RateLimitDecision Acquire(RateLimitRule rule, string client);
}

/// <summary>Counters in a dictionary keyed by rule and client; idle ones are dropped by a sweep on the side.</summary>
public sealed class InMemoryRateLimitStore(TimeProvider clock) : IRateLimitStore
{
    // Keyed by the rule's value (a changed rule is another key, so it starts fresh) and the client: no string built per request.
    private readonly ConcurrentDictionary<(RateLimitRule Rule, string Client), RateLimitCounter> _counters = new();
    private long _nextSweep;

    public int Count => _counters.Count;

    public RateLimitDecision Acquire(RateLimitRule rule, string client)
    {
        var now = clock.GetUtcNow();
        SweepIfDue(now);
        return _counters.GetOrAdd((rule, client), static key => new RateLimitCounter(key.Rule)).Acquire(now);
    }

    // Once a minute, by whichever request comes first: no timer, and memory bounded by the clients of the last windows.
    private void SweepIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweep, now.AddMinutes(1).UtcTicks, due) != due) return;
        foreach (var (key, counter) in _counters)
            if (counter.IsIdle(now)) _counters.TryRemove(KeyValuePair.Create(key, counter));
    }
}
