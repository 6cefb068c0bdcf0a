using System.Threading.Channels;
using Microsoft.Data.Sqlite;

/// <summary>The least a group commit needs: one writer thread drains the queue, one transaction and fsync per batch.</summary>
sealed class GroupWriter
{
    private readonly Channel<(Row Row, TaskCompletionSource Done)> _queue = Channel.CreateUnbounded<(Row, TaskCompletionSource)>(new() { SingleReader = true });

    public GroupWriter(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000";
            pragma.ExecuteNonQuery();
        }
        new Thread(() => Run(connection)) { IsBackground = true, Name = "floor-writer" }.Start();
    }

    public Task InsertAsync(Row row)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((row, done));
        return done.Task;
    }

    public void Complete() => _queue.Writer.TryComplete();

    private void Run(SqliteConnection connection)
    {
        var batch = new List<(Row Row, TaskCompletionSource Done)>(256);
        using var insert = connection.CreateCommand();
        insert.CommandText = """INSERT INTO "bench_create" ("id", "title", "body", "likes", "created", "updated") VALUES (@id, @title, @body, @likes, @created, @created)""";
        var id = insert.Parameters.Add("@id", SqliteType.Text);
        var title = insert.Parameters.Add("@title", SqliteType.Text);
        var body = insert.Parameters.Add("@body", SqliteType.Text);
        var likes = insert.Parameters.Add("@likes", SqliteType.Real);
        var created = insert.Parameters.Add("@created", SqliteType.Text);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < 256 && _queue.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                using var transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                foreach (var (row, _) in batch)
                {
                    id.Value = row.Id;
                    title.Value = row.Title;
                    body.Value = row.Body;
                    likes.Value = row.Likes;
                    created.Value = row.Created;
                    insert.ExecuteNonQuery();
                }
                transaction.Commit();
                foreach (var (_, done) in batch) done.SetResult();
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch) done.TrySetException(e);
            }
        }
    }
}
