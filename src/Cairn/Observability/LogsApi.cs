using System.Data.Common;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Observability;

/// <summary>
/// The request logs of <see cref="LogStore"/> for superusers (POCKETBASE_API.md 1.7):
/// <code>
/// GET    /api/logs          list envelope of {id, created, level, message, data}; filter and sort on those and data.*
/// GET    /api/logs/stats    [{date, total}] per hour, with the same filter
/// GET    /api/logs/{id}
/// DELETE /api/logs          deletes every entry
/// </code>
/// Filters and sorts go through the same query language as records (parameterized SQL), over a description of the
/// log table as if it were a collection.
/// </summary>
public static class LogsApi
{
    /// <summary>The log table seen as a collection, so that the filter and sort compilers can read it.</summary>
    private static readonly Collection Logs = new()
    {
        Id = "_logs", Name = "_logs", Type = "base",
        Fields =
        [
            new Field { Name = "id", Type = FieldTypes.Text }, new Field { Name = "created", Type = FieldTypes.Date },
            new Field { Name = "level", Type = FieldTypes.Number }, new Field { Name = "message", Type = FieldTypes.Text },
            new Field { Name = "data", Type = FieldTypes.Json },
        ],
    };

    public static IEndpointRouteBuilder MapLogsApi(this IEndpointRouteBuilder app)
    {
        var logs = app.MapGroup("/api/logs").AddEndpointFilter((context, next) =>
        {
            RuleGuard.RequireSuperuser(RequestAuth.Of(context.HttpContext));
            return next(context);
        });
        logs.MapGet("", List);
        logs.MapGet("/stats", Stats);
        logs.MapGet("/{id}", One);
        logs.MapDelete("", Truncate);
        return app;
    }

    private static async Task<IResult> List(HttpContext context, LogStore store)
    {
        var query = ListQuery.Parse(context.Request.Query, name => Logs.FindField(name.Split('.')[0]) is null ? null : name);
        var bindings = new QueryBindings();
        var where = Where(query.Filter, bindings, store);
        var order = Order(query, bindings, store);
        var (items, total) = await store.Database.ReadAsync(connection =>
        {
            using var select = Command(connection, $"""SELECT "id", "created", "level", "message", "data" FROM "_logs" AS _m{where} ORDER BY {order} LIMIT @p0 OFFSET @p1""", bindings);
            select.AddParameter("@p0", query.PerPage);
            select.AddParameter("@p1", (long)(query.Page - 1) * query.PerPage);
            var rows = new JsonArray();
            using (var reader = select.ExecuteReader())
                while (reader.Read()) rows.Add(Entry(reader));
            if (query.SkipTotal) return (rows, -1L);
            using var count = Command(connection, $"""SELECT COUNT(*) FROM "_logs" AS _m{where}""", bindings);
            return (rows, Convert.ToInt64(count.ExecuteScalar()));
        }, context.RequestAborted);
        return Results.Json(new JsonObject
        {
            ["page"] = query.Page, ["perPage"] = query.PerPage, ["totalItems"] = total,
            ["totalPages"] = total < 0 ? -1 : (long)Math.Ceiling(total / (double)query.PerPage), ["items"] = items,
        }, CairnJson.Options);
    }

    private static async Task<IResult> Stats(HttpContext context, LogStore store)
    {
        var bindings = new QueryBindings();
        var filter = context.Request.Query["filter"].ToString();
        var where = Where(filter.Trim().Length == 0 ? null : filter, bindings, store);
        var stats = await store.Database.ReadAsync(connection =>
        {
            // Dates are stored as "2026-01-02 10:04:05.123Z": the first 13 characters are the hour.
            using var command = Command(connection,
                $"""SELECT substr("created", 1, 13) || ':00:00.000Z' AS "date", COUNT(*) FROM "_logs" AS _m{where} GROUP BY "date" ORDER BY "date" """, bindings);
            var result = new JsonArray();
            using var reader = command.ExecuteReader();
            while (reader.Read()) result.Add(new JsonObject { ["date"] = reader.GetString(0), ["total"] = reader.GetInt64(1) });
            return result;
        }, context.RequestAborted);
        return Results.Json(stats, CairnJson.Options);
    }

    private static async Task<IResult> One(string id, HttpContext context, LogStore store)
    {
        var entry = await store.Database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand("""SELECT "id", "created", "level", "message", "data" FROM "_logs" WHERE "id" = @p0""", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? Entry(reader) : null;
        }, context.RequestAborted);
        return entry is null ? throw ApiException.NotFound() : Results.Json(entry, CairnJson.Options);
    }

    private static async Task<IResult> Truncate(HttpContext context, LogStore store)
    {
        await store.Database.WriteAsync(write =>
        {
            write.Execute("""DELETE FROM "_logs" """);
            return true;
        }, context.RequestAborted);
        return Results.NoContent();
    }

    private static string Where(string? filter, QueryBindings bindings, LogStore store)
    {
        if (filter is null) return "";
        try
        {
            return " WHERE " + FilterCompiler.Compile(filter, Context(store), bindings);
        }
        catch (QueryException e)
        {
            throw ApiException.BadRequest("Invalid filter parameter: " + e.Message);
        }
    }

    private static string Order(ListQuery query, QueryBindings bindings, LogStore store)
    {
        if (query.Sort.Count == 0) return "\"created\" DESC, \"id\" DESC";
        var sort = new SortCompiler(Context(store), bindings);
        try
        {
            return string.Join(", ", query.Sort.Select(s => s.Column == ListQuery.RandomKey
                ? store.Database.Dialect.RandomOrder
                : string.Join(", ", sort.Expressions(s.Column == ListQuery.RowIdKey ? "created" : s.Column).Select(e => e + (s.Descending ? " DESC" : "")))));
        }
        catch (QueryException e)
        {
            throw ApiException.BadRequest("Invalid sort parameter: " + e.Message);
        }
    }

    private static QueryContext Context(LogStore store) => new(Logs, "_m", _ => null, RequestData.Guest, store.Database.Dialect, store.Clock);

    private static DbCommand Command(DbConnection connection, string sql, QueryBindings bindings)
    {
        var command = connection.CreateCommand(sql);
        Rules.RecordRules.Bind(command, bindings);
        return command;
    }

    private static JsonObject Entry(DbDataReader reader) => new()
    {
        ["id"] = reader.GetString(0),
        ["created"] = reader.GetString(1),
        ["level"] = reader.GetInt64(2),
        ["message"] = reader.GetString(3),
        ["data"] = JsonNode.Parse(reader.GetString(4)),
    };
}
