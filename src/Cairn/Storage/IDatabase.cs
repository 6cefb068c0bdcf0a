using System.Data.Common;

namespace Cairn.Storage;

/// <summary>
/// The storage seam: SQLite now, PostgreSQL next. Reads run concurrently on pooled connections;
/// writes run as units of work inside a transaction and are acknowledged only after it commits.
/// </summary>
public interface IDatabase : IAsyncDisposable
{
    SqlDialect Dialect { get; }

    /// <summary>Runs a read on a pooled connection.</summary>
    Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken = default);

    /// <summary>Runs a write unit inside a transaction; the task completes only after the commit is durable.</summary>
    Task<T> WriteAsync<T>(Func<WriteContext, T> write, CancellationToken cancellationToken = default);
}

/// <summary>What a write unit gets: the connection, its transaction, and a place for after-commit work.</summary>
public sealed class WriteContext(DbConnection connection, DbTransaction transaction)
{
    private List<Action>? _afterCommit;

    public DbConnection Connection { get; } = connection;
    public DbTransaction Transaction { get; } = transaction;

    /// <summary>Runs after the transaction commits and before the caller is answered (cache invalidation, events).</summary>
    public void OnCommitted(Action action) => (_afterCommit ??= []).Add(action);

    public DbCommand Command(string sql, params object?[] parameters)
    {
        var command = Connection.CreateCommand(sql, parameters);
        command.Transaction = Transaction;
        return command;
    }

    /// <summary>The first column of the first row, or null.</summary>
    public object? Scalar(string sql, params object?[] parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    internal void RunAfterCommit()
    {
        if (_afterCommit is null) return;
        foreach (var action in _afterCommit) action();
    }
}

internal static class WriteContextExtensions
{
    public static void Execute(this WriteContext context, string sql)
    {
        using var command = context.Command(sql);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Runs a statement whose failure the caller handles and goes on from: on PostgreSQL a failed statement
    /// spoils the whole transaction unless it ran inside a savepoint that is rolled back.
    /// </summary>
    public static void ExecuteInSavepoint(this WriteContext context, string sql)
    {
        context.Execute("SAVEPOINT statement");
        try
        {
            context.Execute(sql);
            context.Execute("RELEASE SAVEPOINT statement");
        }
        catch (DbException)
        {
            context.Execute("ROLLBACK TO SAVEPOINT statement");
            context.Execute("RELEASE SAVEPOINT statement");
            throw;
        }
    }
}
