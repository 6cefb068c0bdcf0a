using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Cairn.Collections;
using Cairn.Storage;

namespace Cairn.Caching;

/// <summary>
/// One write counter per collection, raised after every committed record write and before the writer is answered.
/// Cached responses are stored under the sum of the counters they depend on (<see cref="ResponseCache"/>), so a
/// write retires every entry that could hold its old value without finding or deleting any of them.
/// </summary>
/// <remarks>
/// Why counters in the key rather than deleting entries on write: a read that began before a write commits may
/// still be loading the old value when the write deletes it, and would then store it back, stale for its whole
/// lifetime. Under a counter it can only store it under the old count, which no read after the write asks for.
/// </remarks>
public sealed class WriteGenerations
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _byCollection = new(StringComparer.Ordinal);
    private long _all;

    /// <summary>Raised by every record write of every collection.</summary>
    public long All => Volatile.Read(ref _all);

    public long Of(string collectionId) => _byCollection.TryGetValue(collectionId, out var counter) ? Volatile.Read(ref counter.Value) : 0;

    /// <summary>Raises the collection's counter once the unit commits, before anything else runs after the commit (realtime events included).</summary>
    public void Wrote(WriteContext context, Collection collection) => context.OnCommitted(() => Raise(collection.Id));

    public void Raise(string collectionId)
    {
        Interlocked.Increment(ref _byCollection.GetOrAdd(collectionId, _ => new StrongBox<long>()).Value);
        Interlocked.Increment(ref _all);
    }
}
