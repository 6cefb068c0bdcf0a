using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cairn.Storage;

namespace Cairn.Observability;

/// <summary>
/// Every database read and write unit, measured: a duration histogram (<c>cairn.db.operation.duration</c>, by engine,
/// operation and outcome) and, when a trace exporter listens, a span per unit. Wraps whichever engine is configured, so
/// SQLite and PostgreSQL are measured the same way (neither ADO.NET provider does both here).
/// </summary>
public sealed class InstrumentedDatabase : IDatabase
{
    public static readonly ActivitySource Spans = new(CairnMetrics.MeterName);

    private readonly Histogram<double> _duration;
    private readonly KeyValuePair<string, object?> _system;

    public InstrumentedDatabase(IDatabase inner, IMeterFactory meters)
    {
        Inner = inner;
        _system = new("db.system", inner.Dialect.GetType().Name.StartsWith("Postgres", StringComparison.Ordinal) ? "postgresql" : "sqlite");
        _duration = meters.Create(CairnMetrics.MeterName).CreateHistogram<double>("cairn.db.operation.duration", "s",
            "Database read and write units, from asking for a connection (or the writer) to the result, commit included.");
    }

    /// <summary>The engine underneath.</summary>
    public IDatabase Inner { get; }

    public SqlDialect Dialect => Inner.Dialect;

    public Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken = default) =>
        MeasureAsync("read", () => Inner.ReadAsync(read, cancellationToken));

    public Task<T> WriteAsync<T>(Func<WriteContext, T> write, CancellationToken cancellationToken = default) =>
        MeasureAsync("write", () => Inner.WriteAsync(write, cancellationToken));

    private async Task<T> MeasureAsync<T>(string operation, Func<Task<T>> run)
    {
        using var span = Spans.StartActivity("db " + operation, ActivityKind.Client);
        span?.SetTag(_system.Key, _system.Value);
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            return await run();
        }
        catch (Exception e)
        {
            // Validation and rule failures surface as exceptions from the unit too; the type tells them apart.
            outcome = e.GetType().Name;
            span?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        finally
        {
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _system, new("db.operation", operation), new("outcome", outcome));
        }
    }

    public ValueTask DisposeAsync() => Inner.DisposeAsync();
}
