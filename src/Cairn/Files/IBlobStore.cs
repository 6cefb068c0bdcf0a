namespace Cairn.Files;

/// <summary>What a store knows about one stored object.</summary>
public sealed record BlobInfo(string Key, long Length, DateTimeOffset LastModified);

/// <summary>
/// Where file bytes live: a local folder by default (<see cref="LocalBlobStore"/>), or an S3-compatible service.
/// Keys are <c>collectionId/recordId/fileName</c> (thumbnails under <c>collectionId/recordId/thumbs_fileName/</c>),
/// made only of server-generated names; <see cref="BlobKeys.IsValid"/> is checked by every implementation anyway,
/// so no key can leave the store. Writes stream: no implementation holds a whole object in memory.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>, replacing any object there; the object appears whole or not at all.</summary>
    Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the local file at <paramref name="path"/>; with <paramref name="move"/> the file is taken over (a local
    /// store renames it rather than copying the bytes again), otherwise it is left as it was.
    /// </summary>
    Task WriteFileAsync(string key, string path, bool move, CancellationToken cancellationToken = default) => CopyFileAsync(this, key, path, move, cancellationToken);

    /// <summary>The plain way to <see cref="WriteFileAsync"/>: stream the file into <paramref name="store"/>, then delete it if it was handed over.</summary>
    static async Task CopyFileAsync(IBlobStore store, string key, string path, bool move, CancellationToken cancellationToken)
    {
        await using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan))
            await store.WriteAsync(key, source, cancellationToken);
        if (move) File.Delete(path);
    }

    /// <summary>The object's size and time, or null when there is none.</summary>
    Task<BlobInfo?> StatAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads <paramref name="length"/> bytes (null: to the end) from <paramref name="offset"/>; null when there is no object.</summary>
    Task<Stream?> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes one object; a missing one is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Deletes every object whose key starts with <paramref name="prefix"/> (a record's files and thumbnails).</summary>
    Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>The keys under <paramref name="prefix"/>, in no particular order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default);
}

/// <summary>The shape every blob key must have, whatever the store.</summary>
public static class BlobKeys
{
    public const int MaxLength = 1024;

    /// <summary>
    /// Segments of <c>[A-Za-z0-9_.-]</c> joined by <c>/</c>, none empty, none <c>.</c> or <c>..</c>, no leading dot:
    /// nothing a file system or an S3 proxy could read as a path outside the store.
    /// </summary>
    public static bool IsValid(string key)
    {
        if (key.Length is 0 or > MaxLength) return false;
        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment[0] == '.') return false;
            foreach (var c in segment)
                if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) return false;
        }
        return true;
    }

    /// <summary>A prefix: a valid key, optionally ending in <c>/</c>.</summary>
    public static bool IsValidPrefix(string prefix) => IsValid(prefix.EndsWith('/') ? prefix[..^1] : prefix);

    public static string Require(string key) =>
        IsValid(key) ? key : throw new ArgumentException($"\"{key}\" is not a valid blob key.", nameof(key));
}
