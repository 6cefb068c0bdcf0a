using System.Threading.Channels;
using Cairn.Collections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cairn.Files;

/// <summary>
/// The files of records in the blob store, and the order of operations that keeps them consistent with the database:
/// uploads are stored <em>before</em> the record that names them is written, so a committed record never names a
/// missing file; if the write fails they are removed again. Files a write replaces or removes, and all files of a
/// deleted record, are removed only after the transaction commits (kept if it rolls back), by a background queue so
/// that the database writer never waits on storage. A crash between the two steps can leave an unreferenced file,
/// never a missing one.
/// </summary>
public sealed class RecordFiles(IBlobStore store, ILogger<RecordFiles> logger) : BackgroundService
{
    private readonly Channel<string> _doomed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public IBlobStore Store => store;

    public static string Folder(Collection collection, string recordId) => $"{collection.Id}/{recordId}/";

    public static string Key(Collection collection, string recordId, string name) => Folder(collection, recordId) + name;

    /// <summary>Whether files of record <paramref name="recordId"/> can be stored at all (the id is a safe key segment).</summary>
    public static bool CanHold(Collection collection, string recordId) => BlobKeys.IsValid(Key(collection, recordId, "x"));

    /// <summary>Stores every upload of the request under the record's folder.</summary>
    public async Task StoreAsync(Collection collection, string recordId, UploadSpool uploads, CancellationToken cancellationToken)
    {
        foreach (var upload in uploads.Files)
            await store.WriteFileAsync(Key(collection, recordId, upload.StoredName), upload.TempPath, move: upload.Temporary, cancellationToken);
    }

    /// <summary>After a failed write: the uploads stored for it are removed at once.</summary>
    public async Task DiscardAsync(Collection collection, string recordId, IEnumerable<Upload> uploads)
    {
        foreach (var upload in uploads)
        {
            try { await store.DeleteAsync(Key(collection, recordId, upload.StoredName)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { logger.LogWarning(e, "Could not remove the upload {Name}", upload.StoredName); }
        }
    }

    /// <summary>Queues one file, and its thumbnails, for removal (call after the commit).</summary>
    public void DeleteLater(Collection collection, string recordId, string name)
    {
        _doomed.Writer.TryWrite(Key(collection, recordId, name));
        _doomed.Writer.TryWrite(Folder(collection, recordId) + "thumbs_" + name + "/");
    }

    /// <summary>Queues every file of a deleted record for removal (call after the commit).</summary>
    public void DeleteRecordLater(Collection collection, string recordId) => _doomed.Writer.TryWrite(Folder(collection, recordId));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var key in _doomed.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    if (key.EndsWith('/')) await store.DeletePrefixAsync(key, stoppingToken);
                    else await store.DeleteAsync(key, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Could not remove the stored file {Key}", key);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
