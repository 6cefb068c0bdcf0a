using System.Runtime.CompilerServices;

namespace Cairn.Files;

/// <summary>
/// Blobs as files under one root folder (<c>storage/</c> in the data folder by default). A write goes to a temporary
/// file in the same folder, is flushed to disk, and is then renamed over the key, so a reader or a crash never
/// sees half an object.
/// </summary>
public sealed class LocalBlobStore : IBlobStore
{
    private const string TempSuffix = ".cairn-tmp";
    private readonly string _root;

    public LocalBlobStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    // Keys are checked before they touch the file system, and the resolved path is checked again: belt and braces.
    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(_root, BlobKeys.Require(key)));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new ArgumentException($"\"{key}\" resolves outside the store.", nameof(key));
        return path;
    }

    public async Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + TempSuffix;
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, 81920, cancellationToken);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public async Task WriteFileAsync(string key, string path, bool move, CancellationToken cancellationToken = default)
    {
        if (move)
        {
            var target = PathOf(key);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            // The file came from a request that did not flush it: it reaches the disk before its name becomes the key's.
            using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read)) file.Flush(flushToDisk: true);
            try
            {
                File.Move(path, target, overwrite: true);
                return;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another file system (a temp folder mounted elsewhere): copy instead.
            }
        }
        await IBlobStore.CopyFileAsync(this, key, path, move, cancellationToken);
    }

    public Task<BlobInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? new BlobInfo(key, file.Length, file.LastWriteTimeUtc) : null);
    }

    public Task<Stream?> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return Task.FromResult<Stream?>(null);
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            file.Seek(offset, SeekOrigin.Begin);
            return Task.FromResult<Stream?>(length is { } n ? new LimitedStream(file, n) : file);
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        try { File.Delete(path); }
        catch (DirectoryNotFoundException) { } // nothing was ever stored for that record
        return Task.CompletedTask;
    }

    public Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        if (!BlobKeys.IsValidPrefix(prefix)) throw new ArgumentException($"\"{prefix}\" is not a valid blob key prefix.", nameof(prefix));
        var trimmed = prefix.TrimEnd('/');
        var folder = PathOf(trimmed);
        if (prefix.EndsWith('/'))
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            return Task.CompletedTask;
        }
        var parent = Path.GetDirectoryName(folder)!;
        if (!Directory.Exists(parent)) return Task.CompletedTask;
        var name = Path.GetFileName(folder);
        foreach (var entry in Directory.EnumerateFileSystemEntries(parent, name + "*"))
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(_root)) yield break;
        foreach (var path in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
        {
            if (path.EndsWith(TempSuffix, StringComparison.Ordinal)) continue;
            var key = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal)) yield return key;
        }
    }

    /// <summary>A read-only view of the next <c>length</c> bytes of a stream (a <c>Range</c> request).</summary>
    private sealed class LimitedStream(Stream inner, long length) : Stream
    {
        private long _left = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) return 0;
            var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0) return 0;
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken);
            _left -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
