using System.Data.Common;
using System.Diagnostics;
using Cairn.Storage;
using Microsoft.Extensions.Logging;

namespace Cairn.Observability;

/// <summary>
/// Times the record queries that filters and rules compile to, and logs those over the configured threshold
/// with the engine's plan for them, so a missing index shows up as a full scan in the log rather than as a
/// vague "the API is slow". The logged SQL holds placeholders (<c>@q1</c>), never the bound values, so
/// nothing a client sent (or a token) reaches the log.
/// </summary>
public sealed class SlowQueryLog(CairnOptions options, SqlDialect dialect, ILogger<SlowQueryLog> logger)
{
    private readonly TimeSpan? _threshold = options.SlowQueryMs < 0 ? null : TimeSpan.FromMilliseconds(options.SlowQueryMs);

    /// <summary>Runs <paramref name="run"/> on <paramref name="command"/>; when it took too long, logs the query and its plan.</summary>
    public T Run<T>(DbCommand command, Func<DbCommand, T> run)
    {
        if (_threshold is not { } threshold) return run(command);
        var started = Stopwatch.GetTimestamp();
        var result = run(command);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (elapsed >= threshold) Report(command, elapsed);
        return result;
    }

    private void Report(DbCommand command, TimeSpan elapsed)
    {
        string plan;
        try
        {
            plan = string.Join(" | ", dialect.QueryPlan(command));
        }
        catch (DbException e)
        {
            // The query itself succeeded; a plan we cannot get is reported as such rather than failing the request.
            plan = "unavailable: " + e.Message;
        }
        logger.LogWarning("Slow query ({ElapsedMs:0.0} ms): {Sql} -- plan: {Plan}", elapsed.TotalMilliseconds, command.CommandText, plan);
    }
}
