using System.Collections.Concurrent;

namespace Cairn.Auth;

/// <summary>
/// Counts events per key inside a fixed window that starts with the key's first event: failed sign-ins per
/// account and per IP, tries of a one-time code, resends of a mail. Kept in memory on this node; the
/// scale-out issue moves it to Redis behind the same members. Time comes from the injected clock, so tests
/// move past a window without waiting.
/// </summary>
public sealed class AttemptCounter(TimeProvider clock)
{
    private sealed class Window(DateTimeOffset ends)
    {
        public DateTimeOffset Ends = ends;
        public int Count;
    }

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private int _sincePrune;

    /// <summary>Records one event and returns how many the key has had in its current window, this one included.</summary>
    public int Increment(string key, TimeSpan window)
    {
        PruneNow();
        var now = clock.GetUtcNow();
        while (true)
        {
            var current = _windows.GetOrAdd(key, _ => new Window(now + window));
            lock (current)
            {
                if (current.Ends <= now)
                {
                    // Passed: start a new window (unless another thread already did) and count in that one.
                    _windows.TryUpdate(key, new Window(now + window), current);
                    continue;
                }
                return ++current.Count;
            }
        }
    }

    /// <summary>Events of the key in its current window (0 when it has none or the window has passed).</summary>
    public int Count(string key)
    {
        if (!_windows.TryGetValue(key, out var current)) return 0;
        lock (current) return current.Ends > clock.GetUtcNow() ? current.Count : 0;
    }

    /// <summary>When the key's current window ends, or null when it has none.</summary>
    public DateTimeOffset? WindowEnds(string key) =>
        _windows.TryGetValue(key, out var current) && current.Ends > clock.GetUtcNow() ? current.Ends : null;

    public void Reset(string key) => _windows.TryRemove(key, out _);

    // Every few thousand events the passed windows are dropped, so memory follows the keys in use, not every key ever seen.
    private void PruneNow()
    {
        if (Interlocked.Increment(ref _sincePrune) % 4096 != 0) return;
        var now = clock.GetUtcNow();
        foreach (var (key, window) in _windows)
            if (window.Ends <= now) _windows.TryRemove(new KeyValuePair<string, Window>(key, window));
    }
}
