using System.Collections.Frozen;

namespace Cairn.Collections;

/// <summary>
/// The schema cache: every collection in memory as an immutable snapshot, looked up by id or name
/// (case-insensitive). A schema change swaps the snapshot after its transaction commits.
/// </summary>
public sealed class CollectionRegistry
{
    private volatile Snapshot _snapshot = new([], 0);

    public IReadOnlyList<Collection> All => _snapshot.List;

    /// <summary>Raised by every schema change (rules included), with the collections it produced, read together.</summary>
    public (long Version, IReadOnlyList<Collection> All) Current => (_snapshot.Version, _snapshot.List);

    public Collection? Find(string idOrName) =>
        _snapshot.ById.GetValueOrDefault(idOrName) ?? _snapshot.ByName.GetValueOrDefault(idOrName);

    internal void Replace(IEnumerable<Collection> collections)
    {
        lock (_snapshotLock) _snapshot = new Snapshot(collections.ToList(), _snapshot.Version + 1);
    }

    private readonly Lock _snapshotLock = new();

    private sealed class Snapshot(List<Collection> list, long version)
    {
        public readonly long Version = version;
        public readonly IReadOnlyList<Collection> List = list;
        public readonly FrozenDictionary<string, Collection> ById = list.ToFrozenDictionary(c => c.Id);
        public readonly FrozenDictionary<string, Collection> ByName = list.ToFrozenDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
    }
}
