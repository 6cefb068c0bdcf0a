using Cairn.Storage;
using Cairn.Storage.Sqlite;

namespace Cairn.Tests.Storage;

/// <summary>
/// The group-commit writer behind <see cref="SqliteDatabase.WriteAsync"/>: queued units share one
/// transaction, and a failing unit rolls back alone. A unit that blocks the writer makes the batching
/// deterministic: everything queued behind it is committed as one batch once it is released.
/// </summary>
public sealed class GroupCommitWriterTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cairn-writer-" + Guid.NewGuid().ToString("N"));
    private SqliteDatabase _db = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _db = new SqliteDatabase(Path.Combine(_dir, "data.db"));
        await _db.WriteAsync(w => w.Connection.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")).WaitAsync(Timeout, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Occupies the writer until the returned gate is opened, so that later units queue up.</summary>
    private async Task<(ManualResetEventSlim Gate, Task Blocker)> BlockWriterAsync()
    {
        var gate = new ManualResetEventSlim();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = _db.WriteAsync(_ =>
        {
            running.SetResult();
            return gate.Wait(Timeout);
        });
        await running.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        return (gate, blocker);
    }

    private Task<int> InsertAsync(int id, bool fail = false, CancellationToken? cancellationToken = null) =>
        _db.WriteAsync(w =>
        {
            using var command = w.Command("INSERT INTO t (id, v) VALUES (@p0, 'x')", id);
            command.ExecuteNonQuery();
            if (fail) throw new InvalidOperationException("unit fails after writing");
            return id;
        }, cancellationToken ?? TestContext.Current.CancellationToken);

    private Task<List<long>> IdsAsync() =>
        _db.ReadAsync(c =>
        {
            using var command = c.CreateCommand("SELECT id FROM t ORDER BY id");
            using var reader = command.ExecuteReader();
            var ids = new List<long>();
            while (reader.Read()) ids.Add(reader.GetInt64(0));
            return ids;
        });

    [Fact]
    public async Task QueuedUnits_CommitAsOneBatch()
    {
        var (gate, blocker) = await BlockWriterAsync();
        var before = _db.WriterStats.Batches;
        var writes = Enumerable.Range(1, 50).Select(i => InsertAsync(i)).ToList();
        gate.Set();

        await Task.WhenAll(writes.Append(blocker)).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), await IdsAsync().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(before + 2, _db.WriterStats.Batches); // the blocker's batch, then all 50 together
        Assert.True(_db.WriterStats.Largest >= 50);
    }

    [Fact]
    public async Task ConcurrentWriters_AverageMoreThanOneUnitPerBatch()
    {
        var (gate, blocker) = await BlockWriterAsync();
        var before = (_db.WriterStats.Batches, _db.WriterStats.Units);
        // Many writers racing: while one batch commits, the next one fills up.
        var writes = Enumerable.Range(1, 400).Select(i => Task.Run(() => InsertAsync(i))).ToList();
        gate.Set();

        await Task.WhenAll(writes.Append(blocker)).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var batches = _db.WriterStats.Batches - before.Batches;
        var units = _db.WriterStats.Units - before.Units;
        Assert.Equal(401, units);
        Assert.True(units / (double)batches > 1, $"{units} units in {batches} batches");
        Assert.Equal(400, (await IdsAsync().WaitAsync(Timeout, TestContext.Current.CancellationToken)).Count);
    }

    [Fact]
    public async Task FailingUnit_RollsBackAloneWhileItsBatchCommits()
    {
        var (gate, blocker) = await BlockWriterAsync();
        var before = _db.WriterStats.Batches;
        var first = InsertAsync(1);
        var failing = InsertAsync(2, fail: true);
        var duplicate = InsertAsync(1); // a constraint error inside the database
        var last = InsertAsync(3);
        gate.Set();

        await Task.WhenAll(first, last, blocker).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => duplicate.WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Equal([1L, 3L], await IdsAsync().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(before + 2, _db.WriterStats.Batches); // the four units shared one transaction
    }

    [Fact]
    public async Task UnitCancelledBeforeItsTurn_NeverRuns()
    {
        var (gate, blocker) = await BlockWriterAsync();
        using var cancel = new CancellationTokenSource();
        var cancelled = InsertAsync(1, cancellationToken: cancel.Token);
        var kept = InsertAsync(2);
        cancel.Cancel();
        gate.Set();

        await Task.WhenAll(kept, blocker).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal([2L], await IdsAsync().WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AfterCommitActions_RunOnlyForCommittedUnits()
    {
        var ran = new List<int>();
        var ok = _db.WriteAsync(w => { w.OnCommitted(() => ran.Add(1)); return 1; }, TestContext.Current.CancellationToken);
        var failed = _db.WriteAsync<int>(w => { w.OnCommitted(() => ran.Add(2)); throw new InvalidOperationException("no"); }, TestContext.Current.CancellationToken);

        await ok.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal([1], ran);
    }

    [Fact]
    public async Task WriteAfterDispose_FailsInsteadOfHanging()
    {
        await _db.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => InsertAsync(1).WaitAsync(Timeout, TestContext.Current.CancellationToken));
        _db = new SqliteDatabase(Path.Combine(_dir, "data.db"));
    }
}
