using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage.Sqlite;

/// <summary>
/// SQLite in WAL mode: pooled reader connections, and one writer connection owned by a
/// <see cref="GroupCommitWriter"/> so that concurrent writes share transactions and fsyncs.
/// </summary>
public sealed class SqliteDatabase : IDatabase
{
    private readonly string _readConnectionString;
    private readonly GroupCommitWriter _writer;

    public SqliteDatabase(string path, SqliteDatabaseOptions? options = null)
    {
        options ??= new SqliteDatabaseOptions();
        Path = path;
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 };
        _readConnectionString = builder.ToString();

        var writerConnection = new SqliteConnection(builder.ToString());
        writerConnection.Open();
        writerConnection.Execute("PRAGMA journal_mode=WAL");
        writerConnection.Execute($"PRAGMA synchronous={(options.SynchronousFull ? "FULL" : "NORMAL")}");
        writerConnection.Execute("PRAGMA busy_timeout=10000");
        writerConnection.Execute("PRAGMA foreign_keys=ON");
        writerConnection.Execute($"PRAGMA cache_size=-{options.WriterCacheKiB}");
        _writer = new GroupCommitWriter(writerConnection, options.MaxBatchSize);
    }

    public string Path { get; }

    public SqlDialect Dialect => SqliteDialect.Instance;

    /// <summary>Sizes of the batches the writer has committed (for benchmarks and tests).</summary>
    public GroupCommitStats WriterStats => _writer.Stats;

    public Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken = default)
    {
        // Microsoft.Data.Sqlite pools connections, so opening one per read is cheap; SQLite calls are
        // synchronous, so the read runs on the calling thread without a detour through the thread pool.
        using var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        MemoryMapOnce(connection);
        return Task.FromResult(read(connection));
    }

    // Physical reader connections that already map the file (the pool hands the same ones out again).
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _mapped = new();

    /// <summary>
    /// Readers map the database file into memory (<c>mmap_size</c>), so a page already in the OS cache is
    /// read in place instead of being copied into each connection's own page cache. The setting belongs to
    /// the physical connection, so it is applied once per pooled handle, not once per read.
    /// </summary>
    private void MemoryMapOnce(SqliteConnection connection)
    {
        if (connection.Handle is not { } handle || _mapped.TryGetValue(handle, out _)) return;
        connection.Execute("PRAGMA mmap_size=268435456");
        _mapped.AddOrUpdate(handle, handle);
    }

    public Task<T> WriteAsync<T>(Func<WriteContext, T> write, CancellationToken cancellationToken = default) =>
        _writer.EnqueueAsync(write, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }
}

/// <summary>Durability and batching settings of the SQLite engine.</summary>
public sealed record SqliteDatabaseOptions
{
    /// <summary><c>synchronous=FULL</c>: an acknowledged write survives power loss. NORMAL survives a process crash only.</summary>
    public bool SynchronousFull { get; init; } = true;

    /// <summary>The most write units committed in one transaction.</summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>The writer's page cache (<c>cache_size</c>), KiB; readers map the file instead.</summary>
    public int WriterCacheKiB { get; init; } = 32_000;
}
