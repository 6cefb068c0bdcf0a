using Cairn.Query;

namespace Cairn.Tests.Query;

/// <summary>
/// SQLite and PostgreSQL return the same rows for the same generated filter over the same data
/// (<see cref="FilterCases"/>), including the operands the reference evaluator leaves to SQL: JSON paths,
/// <c>geoDistance</c>, <c>strftime</c> and date macros. SQLite's answer is the expected one. Runs in the
/// PostgreSQL pass (CAIRN_TEST_POSTGRES); the seed is printed and CAIRN_PROPERTY_SEED replays it.
/// </summary>
public sealed class EngineDifferentialTests
{
    private const int DataSets = 800;

    [Fact]
    public async Task SqliteAndPostgres_ReturnSameRows()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "Compares SQLite with PostgreSQL: runs when CAIRN_TEST_POSTGRES names a server (scripts/test.sh does).");
        var seed = FilterCases.Seed();
        FilterCases.Log($"engine differential seed {seed}: {DataSets} data sets x {FilterCases.ExpressionsPerDataSet} expressions (CAIRN_PROPERTY_SEED replays it)");
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var sqlite = FilterDatabase.Sqlite();
        await using var postgres = await FilterDatabase.PostgresAsync();
        var compared = 0;
        FilterCases.Check(seed, DataSets, engineOnly: true, c => compared += Same(sqlite, postgres, c, seed));
        Assert.Equal(DataSets * FilterCases.ExpressionsPerDataSet, compared);
        FilterCases.Log($"engine differential seed {seed}: {compared} expressions compared in {started.Elapsed.TotalSeconds:0.0} s");
    }

    private static int Same(FilterDatabase sqlite, FilterDatabase postgres, FilterCases.Case c, ulong seed)
    {
        var world = FilterCases.Build(c.Data);
        using var onSqlite = sqlite.Load(world);
        using var onPostgres = postgres.Load(world);
        foreach (var text in c.Expressions)
        {
            var expression = QueryParser.Parse(text);
            var (sqliteSql, expected) = sqlite.Items(world, expression);
            var (postgresSql, actual) = postgres.Items(world, expression);
            if (!actual.SequenceEqual(expected))
                throw new Xunit.Sdk.XunitException(
                    $"seed {seed}: SQLite and PostgreSQL differ for\n  {text}\nSQLite: [{string.Join(",", expected)}]\nPostgreSQL: [{string.Join(",", actual)}]\n" +
                    $"SQLite sql: {sqliteSql}\nPostgreSQL sql: {postgresSql}\n{c.Data}");
        }
        return c.Expressions.Length;
    }
}
