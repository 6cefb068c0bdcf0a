using Cairn.Files.S3;
using Cairn.Settings;

namespace Cairn.Files;

/// <summary>
/// The blob store <c>settings.s3</c> names right now: the bucket when it is enabled, else <c>storage/</c> in the data
/// folder. A settings change applies to the next file operation, as in PocketBase; files already stored are not moved,
/// so those kept on the other side are no longer served until the setting is switched back (docs/settings.md).
/// </summary>
public sealed class SettingsBlobStore : IBlobStore, IDisposable
{
    private readonly LiveSettings _settings;
    private readonly string _localFolder;
    private readonly Lock _switch = new();
    private volatile Active? _current; // one reference, so a reader never sees one store with the other's settings

    private sealed record Active(S3Settings Settings, IBlobStore Store);

    public SettingsBlobStore(LiveSettings settings, string localFolder)
    {
        (_settings, _localFolder) = (settings, localFolder);
        _ = Current; // the store of the settings at start exists from the start (the local one makes its folder)
    }

    /// <summary>The store for the settings in force; built again only when the S3 section changes.</summary>
    public IBlobStore Current
    {
        get
        {
            var s3 = _settings.Current.S3;
            if (_current is { } known && known.Settings.Equals(s3)) return known.Store;
            lock (_switch)
            {
                if (_current is { } raced && raced.Settings.Equals(s3)) return raced.Store;
                // The old client is left to the collector rather than disposed: operations that began on it may still run.
                IBlobStore store = s3.ToOptions() is { } options ? new S3BlobStore(options) : new LocalBlobStore(_localFolder);
                _current = new Active(s3, store);
                return store;
            }
        }
    }

    public Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default) => Current.WriteAsync(key, content, cancellationToken);
    public Task WriteFileAsync(string key, string path, bool move, CancellationToken cancellationToken = default) => Current.WriteFileAsync(key, path, move, cancellationToken);
    public Task<BlobInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => Current.StatAsync(key, cancellationToken);
    public Task<Stream?> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => Current.OpenReadAsync(key, offset, length, cancellationToken);
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => Current.DeleteAsync(key, cancellationToken);
    public Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default) => Current.DeletePrefixAsync(prefix, cancellationToken);
    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default) => Current.ListAsync(prefix, cancellationToken);

    public void Dispose() => (_current?.Store as IDisposable)?.Dispose();
}
