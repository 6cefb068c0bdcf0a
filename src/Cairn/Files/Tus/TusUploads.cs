using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using Cairn.Api;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Cairn.Files.Tus;

/// <summary>What is known about one tus upload; <see cref="Offset"/> is the durable, acknowledged byte count.</summary>
public sealed record TusUpload(string Id, string Owner, long Length, string RawMetadata, Dictionary<string, string> Metadata, DateTimeOffset Created)
{
    public long Offset { get; internal set; }
    public DateTimeOffset LastActivity { get; internal set; }
    public bool IsFinished => Offset == Length;
    public string ClientName => Metadata.GetValueOrDefault("filename") ?? Metadata.GetValueOrDefault("name") ?? "file";
}

/// <summary>
/// Unfinished and finished-but-unattached tus uploads, in the <c>tus</c> folder of the data folder (local even when
/// files are kept in S3: an upload is appended to, which object stores cannot do). Each upload is three files:
/// <c>ID.bin</c> (the bytes), <c>ID.offset</c> (eight bytes: how many of them are acknowledged, rewritten only after
/// the bytes are flushed to disk) and <c>ID.info</c> (owner, length, metadata; written last, so an upload exists only
/// once it is complete on disk). After a crash the offset file says where to resume, whatever the data file holds
/// past it; the next PATCH cuts that tail off. Requests on one upload are serialised by a per-upload lock.
/// </summary>
public sealed class TusUploads(CairnOptions options, TimeProvider clock, ILogger<TusUploads> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public TusOptions Options => options.Tus;

    public string Folder { get; } = Path.Combine(options.DataDir, "tus");

    /// <summary>Upload ids are 32 lower-case hex characters (128 random bits), so an id in a URL can never be a path.</summary>
    public static bool IsId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private string PathOf(string id, string extension) => Path.Combine(Folder, id + extension);

    public TusUpload Create(string owner, long length, string rawMetadata, Dictionary<string, string> metadata)
    {
        Directory.CreateDirectory(Folder);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var now = clock.GetUtcNow();
        var upload = new TusUpload(id, owner, length, rawMetadata, metadata, now) { LastActivity = now };
        using (File.Create(PathOf(id, ".bin"))) { }
        SaveOffset(upload, 0);
        var temp = PathOf(id, ".info.tmp");
        using (var info = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(info, new StoredInfo(owner, length, rawMetadata, metadata, now));
            info.Flush(flushToDisk: true);
        }
        File.Move(temp, PathOf(id, ".info"));
        return upload;
    }

    /// <summary>The upload if it exists, belongs to <paramref name="owner"/> and has not expired; null otherwise, so another identity's upload looks missing.</summary>
    public TusUpload? Find(string id, string owner)
    {
        if (!IsId(id)) return null;
        StoredInfo? info;
        try
        {
            using var file = File.OpenRead(PathOf(id, ".info"));
            info = JsonSerializer.Deserialize<StoredInfo>(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
        if (info is null || !string.Equals(info.Owner, owner, StringComparison.Ordinal)) return null;
        var upload = new TusUpload(id, info.Owner, info.Length, info.RawMetadata, info.Metadata, info.Created);
        if (!LoadOffset(upload) || IsExpired(upload)) return null;
        return upload;
    }

    public DateTimeOffset ExpiresAt(TusUpload upload) => upload.LastActivity + Options.Expiry;

    private bool IsExpired(TusUpload upload) => ExpiresAt(upload) <= clock.GetUtcNow();

    /// <summary>The path of an upload's bytes; only its first <see cref="TusUpload.Offset"/> bytes are acknowledged.</summary>
    public string DataPath(TusUpload upload) => PathOf(upload.Id, ".bin");

    /// <summary>Waits (up to <see cref="TusOptions.LockWait"/>) for the upload's lock; null when another request still holds it.</summary>
    public async Task<IDisposable?> LockAsync(string id, CancellationToken cancellationToken, TimeSpan? wait = null)
    {
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(wait ?? Options.LockWait, cancellationToken) ? new Lease(gate) : null;
    }

    private sealed class Lease(SemaphoreSlim gate) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    /// <summary>
    /// Appends the body at the upload's offset (hold its lock). Without a checksum, bytes are acknowledged at every
    /// checkpoint and whatever arrived before a broken connection is kept, as tus asks. With a checksum (tus
    /// checksum extension) nothing of the chunk counts until the whole chunk matches it: a mismatch is 460 and the
    /// chunk is cut off again. A body longer than the upload is 413, and the chunk is cut off too.
    /// The body is read as the server's own buffers (a <see cref="PipeReader"/>) and each batch of them goes to the
    /// file in one gathering write, with no copy in between: large uploads are bound by the network and the disk.
    /// </summary>
    public async Task AppendAsync(TusUpload upload, PipeReader body, IncrementalHash? checksum, byte[]? expected, CancellationToken cancellationToken)
    {
        var start = upload.Offset;
        var remaining = upload.Length - start;
        long written = 0, sinceCheckpoint = 0;
        var segments = new List<ReadOnlyMemory<byte>>();
        using var data = File.OpenHandle(DataPath(upload), FileMode.Open, FileAccess.Write, FileShare.Read);
        RandomAccess.SetLength(data, start); // bytes past the acknowledged offset were never confirmed to anyone
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                if (written + buffer.Length > remaining)
                {
                    RandomAccess.SetLength(data, start);
                    throw new ApiException(413, "The chunk goes past the upload's length.");
                }
                segments.Clear();
                foreach (var segment in buffer)
                {
                    segments.Add(segment);
                    checksum?.AppendData(segment.Span);
                }
                RandomAccess.Write(data, segments, start + written);
                written += buffer.Length;
                sinceCheckpoint += buffer.Length;
                body.AdvanceTo(buffer.End);
                if (read.IsCompleted) break;
                if (checksum is null && sinceCheckpoint >= Options.CheckpointBytes)
                {
                    Checkpoint(data, upload, start + written);
                    sinceCheckpoint = 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // The connection broke (or was too slow): keep what arrived unless a checksum must vouch for it first.
            if (checksum is null) Checkpoint(data, upload, start + written);
            else RandomAccess.SetLength(data, start);
            throw;
        }
        if (checksum is not null && !CryptographicOperations.FixedTimeEquals(checksum.GetHashAndReset(), expected))
        {
            RandomAccess.SetLength(data, start);
            throw new ApiException(460, "Checksum mismatch.");
        }
        Checkpoint(data, upload, start + written);
    }

    private void Checkpoint(SafeFileHandle data, TusUpload upload, long offset)
    {
        RandomAccess.FlushToDisk(data);
        SaveOffset(upload, offset);
    }

    private void SaveOffset(TusUpload upload, long offset)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, offset);
        var path = PathOf(upload.Id, ".offset");
        // Eight bytes at the start of a file are written in one sector: the file holds the old offset or the new one.
        using (var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 0))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        var now = clock.GetUtcNow();
        File.SetLastWriteTimeUtc(path, now.UtcDateTime);
        upload.Offset = offset;
        upload.LastActivity = now;
    }

    private bool LoadOffset(TusUpload upload)
    {
        var path = PathOf(upload.Id, ".offset");
        try
        {
            Span<byte> bytes = stackalloc byte[8];
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0);
            if (file.ReadAtLeast(bytes, 8, throwOnEndOfStream: false) != 8) return false;
            var offset = BinaryPrimitives.ReadInt64LittleEndian(bytes);
            if (offset < 0 || offset > upload.Length) return false;
            upload.Offset = offset;
            upload.LastActivity = File.GetLastWriteTimeUtc(path);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Removes an upload (termination, attachment to a record, expiry). Hold its lock, or know nobody else can.</summary>
    public void Delete(string id)
    {
        // The info file goes first: without it the upload no longer exists, whatever else a crash leaves.
        foreach (var extension in new[] { ".info", ".offset", ".bin" })
            try { File.Delete(PathOf(id, extension)); }
            catch (IOException e) { logger.LogWarning(e, "Could not remove a part of the tus upload {Id}", id); }
    }

    /// <summary>Deletes expired uploads, and leftovers of uploads whose creation a crash interrupted.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Folder)) return;
        var now = clock.GetUtcNow();
        foreach (var path in Directory.EnumerateFiles(Folder))
        {
            var name = Path.GetFileName(path);
            var id = name.Split('.')[0];
            if (!IsId(id))
            {
                File.Delete(path);
                continue;
            }
            if (!name.EndsWith(".offset", StringComparison.Ordinal)) continue;
            var lastActivity = new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
            var orphan = !File.Exists(PathOf(id, ".info"));
            if (lastActivity + (orphan ? TimeSpan.FromMinutes(Math.Min(60, Options.Expiry.TotalMinutes)) : Options.Expiry) > now) continue;
            using var lease = await LockAsync(id, cancellationToken, TimeSpan.Zero);
            if (lease is null) continue; // in use right now, so not abandoned
            Delete(id);
            _locks.TryRemove(id, out _);
            logger.LogInformation("Removed the expired tus upload {Id}", id);
        }
        foreach (var temp in Directory.EnumerateFiles(Folder, "*.info.tmp")) File.Delete(temp);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromTicks(Math.Min(TimeSpan.FromHours(1).Ticks, Options.Expiry.Ticks / 4));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try { await SweepAsync(stoppingToken); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { logger.LogWarning(e, "Sweeping expired tus uploads failed"); }
                await Task.Delay(interval, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private sealed record StoredInfo(string Owner, long Length, string RawMetadata, Dictionary<string, string> Metadata, DateTimeOffset Created);
}
