using System.Data;
using System.Data.Common;
using Cairn.Api;
using Npgsql;

namespace Cairn.Storage.Postgres;

/// <summary>
/// PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>. Unlike SQLite there is no single writer to
/// batch behind: each write unit is its own transaction on its own connection, and PostgreSQL's commit path
/// (WAL, group commit of its own with <c>commit_delay</c>) makes it durable. Units that lose a serialization
/// or deadlock race are run again from the start, a few times, before the caller gets a 409.
/// </summary>
public sealed class PostgresDatabase : IDatabase
{
    private const int Attempts = 4;
    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(PostgresConnectionString.Normalize(connectionString));
        _dataSource = builder.Build();
        using var connection = _dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var create = new NpgsqlCommand(PostgresFunctions.Create, connection, transaction)) create.ExecuteNonQuery();
        transaction.Commit();
    }

    public SqlDialect Dialect => PostgresDialect.Instance;

    public string DatabaseName => _dataSource.ConnectionString is var s ? new NpgsqlConnectionStringBuilder(s).Database ?? "" : "";

    public async Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return read(connection);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CharacterNotInRepertoire)
        {
            throw NulCharacter();
        }
    }

    // PostgreSQL text cannot hold the NUL character, which SQLite stores; a value with one is the client's error.
    private static ApiException NulCharacter() => ApiException.BadRequest("Text values cannot contain the NUL character (\\u0000).");

    public async Task<T> WriteAsync<T>(Func<WriteContext, T> write, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            var context = new WriteContext(connection, transaction);
            try
            {
                var result = write(context);
                // Once a unit has run it commits, as on SQLite's writer: a cancelled commit could have happened or
                // not, and the caller would be told it failed either way.
                await transaction.CommitAsync(CancellationToken.None);
                context.RunAfterCommit();
                return result;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CharacterNotInRepertoire)
            {
                throw NulCharacter();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
            {
                if (attempt == Attempts) throw ApiException.Conflict("The record was changed by another request at the same time; try again.");
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken);
            }
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
