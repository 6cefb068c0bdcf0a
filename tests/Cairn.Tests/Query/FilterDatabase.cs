using System.Data.Common;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Storage;
using Cairn.Storage.Postgres;
using Cairn.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Cairn.Tests.Query;

/// <summary>
/// One engine's database for the generated filter cases (<see cref="FilterCases"/>), serving a whole run of thousands
/// of cases: tables are created with the engine's dialect as CollectionStore creates them, and each data set's rows are
/// inserted through RecordStore in a transaction that is rolled back when the data set is done.
/// </summary>
internal sealed class FilterDatabase : IAsyncDisposable
{
    private readonly DbConnection _connection;
    private readonly string? _postgres;
    private readonly Dictionary<string, string> _schemas = [];
    private WriteContext? _loaded;

    private FilterDatabase(DbConnection connection, SqlDialect dialect, string? postgres)
    {
        _connection = connection;
        Dialect = dialect;
        _postgres = postgres;
    }

    public SqlDialect Dialect { get; }

    public string Engine => Dialect.IsSqlite ? "SQLite" : "PostgreSQL";

    public static FilterDatabase Sqlite()
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        return new FilterDatabase(connection, SqliteDialect.Instance, null);
    }

    /// <summary>A fresh database on the server of CAIRN_TEST_POSTGRES, dropped on dispose.</summary>
    public static async Task<FilterDatabase> PostgresAsync()
    {
        var connectionString = await TestDatabase.CreateAsync() ?? throw new InvalidOperationException("CAIRN_TEST_POSTGRES is not set.");
        var connection = new NpgsqlConnection(PostgresDatabase.SessionConnectionString(connectionString));
        await connection.OpenAsync();
        // The functions Cairn creates when it opens a PostgreSQL database (cairn_strftime).
        await using (var create = new NpgsqlCommand(PostgresFunctions.Create, connection)) await create.ExecuteNonQueryAsync();
        return new FilterDatabase(connection, PostgresDialect.Instance, connectionString);
    }

    /// <summary>Creates the world's tables and rows in a new transaction; disposing the result rolls them back.</summary>
    public IDisposable Load(FilterCases.World world)
    {
        var tables = world.Collections.Select(CreateTable).ToList();
        var schema = _postgres is null ? null : Schema(tables);
        var transaction = _connection.BeginTransaction();
        _loaded = new WriteContext(_connection, transaction);
        if (schema is null) foreach (var create in tables) _loaded.Execute(create);
        else _loaded.Execute($"SET LOCAL search_path TO {Dialect.Quote(schema)}, public");
        var store = new RecordStore(Dialect);
        foreach (var collection in world.Collections)
            foreach (var record in world.Records[collection.Id]) store.Insert(_loaded, record);
        return transaction;
    }

    // As CollectionStore.Create writes the table (indexes left out: the data sets already respect them).
    private string CreateTable(Collection collection)
    {
        var columns = collection.Fields.Where(f => f.Name != "id").Select(f => $", {Dialect.Quote(f.Name)} {Dialect.ColumnType(FieldTypes.ColumnKind(f))}");
        return $"CREATE TABLE {Dialect.Quote(collection.Name)} ({Dialect.Quote("id")} TEXT PRIMARY KEY NOT NULL, " +
               $"{Dialect.Quote(RecordsColumns.Version)} INTEGER NOT NULL DEFAULT 1" +
               (Dialect.RowIdColumn is { } rowId ? ", " + rowId : "") + string.Concat(columns) + ")";
    }

    // PostgreSQL's DDL costs more than the rest of a data set together, so each set of tables (the schema varies in
    // a few ways) is created once, in a schema of its own, and a data set's transaction only inserts rows.
    private string Schema(List<string> tables)
    {
        var key = string.Join(";", tables);
        if (_schemas.TryGetValue(key, out var schema)) return schema;
        schema = "s" + _schemas.Count;
        using var transaction = _connection.BeginTransaction();
        var create = new WriteContext(_connection, transaction);
        create.Execute($"CREATE SCHEMA {Dialect.Quote(schema)}");
        create.Execute($"SET LOCAL search_path TO {Dialect.Quote(schema)}");
        foreach (var table in tables) create.Execute(table);
        transaction.Commit();
        return _schemas[key] = schema;
    }

    /// <summary>The compiled condition and the ids of the world's items that match <paramref name="expression"/>, in ordinal order.</summary>
    public (string Sql, List<string> Ids) Items(FilterCases.World world, QueryExpr expression)
    {
        var bindings = new QueryBindings();
        var sql = FilterCompiler.Compile(expression, new QueryContext(world.Items, "_m", world.Find, world.Request, Dialect, world.Clock), bindings);
        using var command = (_loaded ?? throw new InvalidOperationException("No data set is loaded.")).Command(
            $"SELECT _m.{Dialect.Quote("id")} FROM {Dialect.Quote(world.Items.Name)} AS _m WHERE {sql}");
        foreach (var (name, value) in bindings.Parameters) command.AddParameter(name, value);
        var ids = new List<string>();
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read()) ids.Add(reader.GetString(0));
        }
        catch (DbException e)
        {
            throw new Xunit.Sdk.XunitException($"{Engine} refused the SQL: {e.Message}\nsql text: {sql}");
        }
        // Sorted here, not by ORDER BY: PostgreSQL would sort text by the database's collation.
        ids.Sort(StringComparer.Ordinal);
        return (sql, ids);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        await TestDatabase.DropAsync(_postgres);
    }
}
