using System.Data.Common;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cairn.Cli;

/// <summary>
/// A data folder's <c>data.db</c> opened read-only, inside one read transaction: every read sees the same
/// snapshot, so the copy and its check agree even if something wrote to the file meanwhile, and nothing is written.
/// </summary>
internal sealed class SqliteSnapshot : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly RecordStore _records = new(SqliteDialect.Instance);

    private SqliteSnapshot(SqliteConnection connection, SqliteTransaction transaction, List<Collection> collections)
    {
        _connection = connection;
        _transaction = transaction;
        Collections = collections;
    }

    /// <summary>The collections, in creation order (the order a view's sources come before it).</summary>
    public IReadOnlyList<Collection> Collections { get; }

    public static SqliteSnapshot Open(string path)
    {
        if (!File.Exists(path)) throw new CliException($"no Cairn database at {path}");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        try
        {
            connection.Open();
            var transaction = connection.BeginTransaction(deferred: true);
            if (connection.Scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_collections'") is null)
                throw new CliException($"{path} is not a Cairn database (it has no _collections table)");
            return new SqliteSnapshot(connection, transaction, CollectionStore.LoadAll(connection, transaction));
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new CliException($"the database {path} cannot be read: {e.Message}");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public long Count(Collection collection)
    {
        using var command = Command($"SELECT COUNT(*) FROM {SqliteDialect.Instance.Quote(collection.Name)}");
        return Convert.ToInt64(command.ExecuteScalar());
    }

    /// <summary>The records of a table in insertion order (<c>@rowid</c>), read as the server reads them.</summary>
    public IEnumerable<Record> Rows(Collection collection)
    {
        var dialect = SqliteDialect.Instance;
        using var command = Command($"SELECT {_records.SelectColumns(collection)} FROM {dialect.Quote(collection.Name)} ORDER BY {dialect.RowId}");
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return _records.Read(reader, collection);
    }

    /// <summary>The settings document a superuser saved (<c>_params</c>), or null when there is none.</summary>
    public string? StoredSettings()
    {
        using var table = Command("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_params'");
        if (table.ExecuteScalar() is null) return null;
        using var command = Command("""SELECT "value" FROM "_params" WHERE "id" = 'settings'""");
        return command.ExecuteScalar() as string;
    }

    private DbCommand Command(string sql)
    {
        var command = _connection.CreateCommand(sql);
        command.Transaction = _transaction;
        return command;
    }

    public void Dispose()
    {
        _transaction.Dispose();
        _connection.Dispose();
    }
}
