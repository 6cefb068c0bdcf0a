using Npgsql;

namespace Cairn.Tests;

/// <summary>
/// The engine the suite runs on: SQLite by default, PostgreSQL when <c>CAIRN_TEST_POSTGRES</c> holds a connection
/// string to a server the suite may create databases on (scripts/test.sh starts one and runs the suite twice).
/// Each server under test gets its own database, so tests stay parallel.
/// </summary>
public static class TestDatabase
{
    public static string? PostgresAdmin { get; } = Environment.GetEnvironmentVariable("CAIRN_TEST_POSTGRES") is { Length: > 0 } s ? s : null;

    public static bool IsPostgres => PostgresAdmin is not null;

    /// <summary>A new empty database: its connection string, or null on SQLite.</summary>
    public static async Task<string?> CreateAsync()
    {
        if (PostgresAdmin is null) return null;
        var name = "cairn_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        // A few connections per server: the suite runs many servers at once against one PostgreSQL.
        return new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name, MaxPoolSize = 8 }.ConnectionString;
    }

    /// <summary>Whether two connection strings name the same database (one may add session options to the other).</summary>
    public static bool SameDatabase(string? a, string? b) =>
        a is null || b is null ? a == b : new NpgsqlConnectionStringBuilder(a).Database == new NpgsqlConnectionStringBuilder(b).Database;

    public static async Task DropAsync(string? connectionString)
    {
        if (PostgresAdmin is null || connectionString is null) return;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var admin = new NpgsqlConnection(PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
