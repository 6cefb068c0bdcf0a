using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Cairn.Storage.Sqlite;

/// <summary>
/// Group commit: SQLite allows one writer at a time and each commit costs an fsync, so instead of
/// one transaction per request the writer drains every queued write unit, runs each inside its own
/// SAVEPOINT (a failing unit rolls back alone), commits the batch once, and only then completes the
/// callers' tasks. Throughput grows with concurrency while every acknowledged write is durable.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly int _maxBatch;
    private readonly Channel<IWriteJob> _queue = Channel.CreateUnbounded<IWriteJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public GroupCommitWriter(SqliteConnection connection, int maxBatch)
    {
        _connection = connection;
        _maxBatch = Math.Max(1, maxBatch);
        _loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
    }

    public GroupCommitStats Stats { get; } = new();

    public Task<T> EnqueueAsync<T>(Func<WriteContext, T> work, CancellationToken cancellationToken)
    {
        var job = new WriteJob<T>(work, cancellationToken);
        if (!_queue.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(GroupCommitWriter), "The database is closing.");
        return job.Task;
    }

    private void Run()
    {
        var batch = new List<IWriteJob>(_maxBatch);
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var job))
                if (!job.IsCancelled) batch.Add(job);
            if (batch.Count > 0) Commit(batch);
        }
        _connection.Dispose();
    }

    private void Commit(List<IWriteJob> batch)
    {
        SqliteTransaction transaction;
        try
        {
            transaction = _connection.BeginTransaction(deferred: false);
        }
        catch (Exception e)
        {
            foreach (var job in batch) job.Fail(e);
            return;
        }

        var context = new WriteContext(_connection, transaction);
        var succeeded = new List<(IWriteJob Job, WriteContext Context)>(batch.Count);
        foreach (var job in batch)
        {
            var jobContext = new WriteContext(_connection, transaction);
            context.Execute("SAVEPOINT unit");
            try
            {
                job.Execute(jobContext);
                context.Execute("RELEASE unit");
                succeeded.Add((job, jobContext));
            }
            catch (Exception e)
            {
                job.Fail(e);
                if (!TryRollbackUnit(context))
                {
                    // Some errors (disk full, I/O) end the whole transaction: nothing in it committed.
                    var lost = new IOException("The write batch was aborted by the database.", e);
                    foreach (var (done, _) in succeeded) done.Fail(lost);
                    foreach (var rest in batch.SkipWhile(j => j != job).Skip(1)) rest.Fail(lost);
                    transaction.Dispose();
                    return;
                }
            }
        }

        try
        {
            transaction.Commit();
        }
        catch (Exception e)
        {
            transaction.Dispose();
            foreach (var (job, _) in succeeded) job.Fail(e);
            return;
        }
        transaction.Dispose();
        Stats.Record(batch.Count);

        foreach (var (job, jobContext) in succeeded)
        {
            try
            {
                jobContext.RunAfterCommit();
                job.Complete();
            }
            catch (Exception e)
            {
                job.Fail(e);
            }
        }
    }

    private static bool TryRollbackUnit(WriteContext context)
    {
        try
        {
            context.Execute("ROLLBACK TO unit");
            context.Execute("RELEASE unit");
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private interface IWriteJob
    {
        bool IsCancelled { get; }
        void Execute(WriteContext context);
        void Complete();
        void Fail(Exception error);
    }

    private sealed class WriteJob<T>(Func<WriteContext, T> work, CancellationToken cancellationToken) : IWriteJob
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Task => _completion.Task;

        // A request that went away before its turn is dropped; once running, a unit always finishes
        // so that a client disconnect can never leave half a write behind.
        public bool IsCancelled
        {
            get
            {
                if (!cancellationToken.IsCancellationRequested) return false;
                _completion.TrySetCanceled(cancellationToken);
                return true;
            }
        }

        public void Execute(WriteContext context) => _result = work(context);
        public void Complete() => _completion.TrySetResult(_result);
        public void Fail(Exception error) => _completion.TrySetException(error);
    }
}

/// <summary>Counts of committed batches, to show what group commit achieved.</summary>
public sealed class GroupCommitStats
{
    private long _batches, _units, _largest;

    public long Batches => Interlocked.Read(ref _batches);
    public long Units => Interlocked.Read(ref _units);
    public long Largest => Interlocked.Read(ref _largest);
    public double AverageBatch => Batches == 0 ? 0 : (double)Units / Batches;

    internal void Record(int size)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _units, size);
        long seen;
        while (size > (seen = Interlocked.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, size, seen) != seen) { }
    }
}
