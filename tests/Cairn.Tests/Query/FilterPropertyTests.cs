using Cairn.Query;

namespace Cairn.Tests.Query;

/// <summary>
/// The SQL the compiler emits and the in-memory <see cref="ReferenceEvaluator"/> (SQLite's semantics) agree on
/// random well-formed filters over a random data set (<see cref="FilterCases"/>), on the engine under test:
/// SQLite, or PostgreSQL when CAIRN_TEST_POSTGRES is set. The seed is printed; set CAIRN_PROPERTY_SEED to replay a run.
/// </summary>
public sealed class FilterPropertyTests
{
    private const int DataSets = 800;

    [Fact]
    public async Task SqlAndReferenceEvaluator_Agree()
    {
        var seed = FilterCases.Seed();
        await using var database = TestDatabase.IsPostgres ? await FilterDatabase.PostgresAsync() : FilterDatabase.Sqlite();
        FilterCases.Log($"filter property seed {seed} on {database.Engine}: {DataSets} data sets x {FilterCases.ExpressionsPerDataSet} expressions (CAIRN_PROPERTY_SEED replays it)");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var checkedCount = 0;
        FilterCases.Check(seed, DataSets, engineOnly: false, c => checkedCount += Agree(database, c, seed));
        Assert.True(checkedCount >= DataSets * FilterCases.ExpressionsPerDataSet / 2, $"only {checkedCount} comparisons ran");
        FilterCases.Log($"filter property seed {seed} on {database.Engine}: {checkedCount} expressions compared in {started.Elapsed.TotalSeconds:0.0} s");
    }

    private static int Agree(FilterDatabase database, FilterCases.Case c, ulong seed)
    {
        var world = FilterCases.Build(c.Data);
        var evaluator = new ReferenceEvaluator(world.Find, col => world.Records[col.Id], world.Request, world.Clock);
        using var loaded = database.Load(world);
        var compared = 0;
        foreach (var text in c.Expressions)
        {
            var expression = QueryParser.Parse(text);
            var (sql, fromSql) = database.Items(world, expression);
            var fromOracle = world.Records[world.Items.Id].Where(r => evaluator.Matches(expression, world.Items, r)).Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
            if (!fromSql.SequenceEqual(fromOracle))
                throw new Xunit.Sdk.XunitException(
                    $"seed {seed}: {database.Engine} and oracle differ for\n  {text}\nSQL: [{string.Join(",", fromSql)}]\noracle: [{string.Join(",", fromOracle)}]\nsql text: {sql}\n{c.Data}");
            compared++;
        }
        return compared;
    }
}
