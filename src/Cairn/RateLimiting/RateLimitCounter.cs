namespace Cairn.RateLimiting;

/// <summary>What one counted request gets: through or not, and what the <c>RateLimit</c> headers say.</summary>
/// <param name="Reset">Until the limit is fully available again (fixed window: the window's end; token bucket: a full
/// bucket; sliding log: the oldest logged request leaving the window).</param>
/// <param name="RetryAfter">For a refused request, until one more would be let through.</param>
public readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, TimeSpan Reset, TimeSpan RetryAfter);

/// <summary>
/// The state of one rule for one client, and the three algorithms over it. Exact and driven by the caller's clock,
/// so every edge can be tested (the framework's <c>FixedWindowRateLimiter</c> and <c>TokenBucketRateLimiter</c> read
/// the Stopwatch, not a TimeProvider, and keep their state private, which a shared Redis store cannot use).
/// </summary>
internal sealed class RateLimitCounter(RateLimitRule rule)
{
    private DateTimeOffset _windowStart;
    private int _count;
    private double _tokens = rule.MaxRequests;
    private DateTimeOffset? _refilled;
    private readonly Queue<DateTimeOffset> _log = new();

    public DateTimeOffset LastUsed { get; private set; }

    public RateLimitDecision Acquire(DateTimeOffset now)
    {
        lock (_log)
        {
            LastUsed = now;
            return rule.Algorithm switch
            {
                RateLimitAlgorithm.TokenBucket => TokenBucket(now),
                RateLimitAlgorithm.SlidingLog => SlidingLog(now),
                _ => FixedWindow(now),
            };
        }
    }

    /// <summary>Idle long enough that a fresh counter would decide the same.</summary>
    public bool IsIdle(DateTimeOffset now) => now - LastUsed > rule.Window;

    // A window opens at the first request after the last one closed; within it, the first N pass.
    private RateLimitDecision FixedWindow(DateTimeOffset now)
    {
        if (_count == 0 || now >= _windowStart + rule.Window)
        {
            _windowStart = now;
            _count = 0;
        }
        var reset = _windowStart + rule.Window - now;
        if (_count >= rule.MaxRequests) return new(false, rule.MaxRequests, 0, reset, reset);
        _count++;
        return new(true, rule.MaxRequests, rule.MaxRequests - _count, reset, TimeSpan.Zero);
    }

    // N tokens, refilled continuously at N per window; a request takes one.
    private RateLimitDecision TokenBucket(DateTimeOffset now)
    {
        var perSecond = rule.MaxRequests / rule.Window.TotalSeconds;
        if (_refilled is { } last) _tokens = Math.Min(rule.MaxRequests, _tokens + (now - last).TotalSeconds * perSecond);
        _refilled = now;
        if (_tokens < 1)
            return new(false, rule.MaxRequests, 0, TimeSpan.FromSeconds((rule.MaxRequests - _tokens) / perSecond), TimeSpan.FromSeconds((1 - _tokens) / perSecond));
        _tokens -= 1;
        return new(true, rule.MaxRequests, (int)_tokens, TimeSpan.FromSeconds((rule.MaxRequests - _tokens) / perSecond), TimeSpan.Zero);
    }

    // The times of the requests let through in the last window (now - W, now]; a request passes while there are fewer than N.
    private RateLimitDecision SlidingLog(DateTimeOffset now)
    {
        while (_log.Count > 0 && _log.Peek() <= now - rule.Window) _log.Dequeue();
        if (_log.Count >= rule.MaxRequests)
        {
            var wait = _log.Peek() + rule.Window - now;
            return new(false, rule.MaxRequests, 0, wait, wait);
        }
        _log.Enqueue(now);
        return new(true, rule.MaxRequests, rule.MaxRequests - _log.Count, _log.Peek() + rule.Window - now, TimeSpan.Zero);
    }
}
