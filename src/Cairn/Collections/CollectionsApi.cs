using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Collections;

/// <summary>
/// Superuser-only schema management (a guest gets 401, any other auth 403):
/// <code>
/// GET    /api/collections                      list (page, perPage, sort, skipTotal)
/// GET    /api/collections/meta/scaffolds       default models of each type
/// POST   /api/collections/meta/dry-run-view    {query} → inferred fields and up to 10 rows of a view query
/// PUT    /api/collections/import               create/update (and optionally delete) many at once → 204
/// GET    /api/collections/{collection}         view
/// POST   /api/collections                      create → 200
/// PATCH  /api/collections/{collection}         update (?allowDataLoss=true to drop fields holding data)
/// DELETE /api/collections/{collection}         delete → 204
/// DELETE /api/collections/{collection}/truncate  delete every record → 204
/// </code>
/// </summary>
public static class CollectionsApi
{
    private static readonly string[] SortableKeys = ["id", "created", "updated", "name", "system", "type"];

    public static IEndpointRouteBuilder MapCollectionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").AddEndpointFilter(async (context, next) =>
        {
            RuleGuard.RequireSuperuser(RequestAuth.Of(context.HttpContext));
            return await next(context);
        });
        group.MapGet("/api/collections", List);
        group.MapGet("/api/collections/meta/scaffolds", () => new PickedJson(CollectionScaffolds.All()));
        group.MapPost("/api/collections/meta/dry-run-view", DryRunView);
        group.MapPut("/api/collections/import", Import);
        group.MapGet("/api/collections/{collection}", View);
        group.MapPost("/api/collections", Create);
        group.MapPatch("/api/collections/{collection}", Update);
        group.MapDelete("/api/collections/{collection}", Delete);
        group.MapDelete("/api/collections/{collection}/truncate", Truncate);
        return app;
    }

    private static IResult List(HttpContext context, CollectionRegistry registry, TimeProvider clock)
    {
        var query = ListQuery.Parse(context.Request.Query, name => SortableKeys.FirstOrDefault(k => k == name));
        IEnumerable<JsonObject> all = CollectionFilter.Apply(registry.All, query.Filter, RequestAuth.Of(context), clock).Select(c => c.ToJson());
        if (query.Sort.Count == 0) all = all.OrderBy(c => c["created"]!.GetValue<string>(), StringComparer.Ordinal);
        foreach (var (column, descending) in query.Sort.Reverse())
        {
            if (column is ListQuery.RandomKey) { all = all.OrderBy(_ => Random.Shared.Next()); continue; }
            if (column is ListQuery.RowIdKey) continue;
            Func<JsonObject, string> key = c => c[column]?.ToJsonString() ?? "";
            all = descending ? all.OrderByDescending(key, StringComparer.Ordinal) : all.OrderBy(key, StringComparer.Ordinal);
        }
        var items = all.ToList();
        var total = query.SkipTotal ? -1 : items.Count;
        var page = items.Skip((query.Page - 1) * query.PerPage).Take(query.PerPage);
        return new PickedJson(new JsonObject
        {
            ["page"] = query.Page,
            ["perPage"] = query.PerPage,
            ["totalItems"] = total,
            ["totalPages"] = total < 0 ? -1 : (int)Math.Ceiling(total / (double)query.PerPage),
            ["items"] = new JsonArray(page.Select(c => (JsonNode)c).ToArray()),
        });
    }

    private static IResult View(string collection, CollectionRegistry registry) =>
        new PickedJson((registry.Find(collection) ?? throw ApiException.NotFound()).ToJson());

    private static async Task<IResult> Create(HttpContext context, CollectionStore store)
    {
        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        return new PickedJson((await store.CreateAsync(body.Data, context.RequestAborted)).ToJson());
    }

    private static async Task<IResult> Update(string collection, HttpContext context, CollectionStore store)
    {
        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        var allowDataLoss = ListQuery.ParseBool(context.Request.Query["allowDataLoss"].ToString());
        return new PickedJson((await store.UpdateAsync(collection, body.Data, allowDataLoss, context.RequestAborted)).ToJson());
    }

    private static async Task<IResult> Delete(string collection, HttpContext context, CollectionStore store)
    {
        await store.DeleteAsync(collection, context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> Truncate(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordService records, RecordStore store)
    {
        var c = registry.Find(collection) ?? throw ApiException.NotFound();
        if (c.IsView) throw ApiException.BadRequest("View collections cannot be truncated.");
        var auth = RequestAuth.Of(context);
        await db.WriteAsync(write =>
        {
            // Records go one by one through the normal delete so that relations pointing at them are cleaned up.
            // In a self-referencing collection a cascade may already have deleted a later record: skip it.
            using var select = write.Command($"SELECT {store.SelectColumns(c)} FROM {db.Dialect.Quote(c.Name)}");
            foreach (var record in store.Query(select, c).Where(r => records.Exists(write, c, r.Id)))
                records.Delete(write, c, record.Id, null, auth);
            return true;
        }, context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> DryRunView(HttpContext context, CollectionStore store)
    {
        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        var query = body.Data["query"] is JsonValue v && v.TryGetValue<string>(out var q) ? q : "";
        return new PickedJson(await store.DryRunViewAsync(query, context.RequestAborted));
    }

    private static async Task<IResult> Import(HttpContext context, CollectionStore store)
    {
        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        if (body.Data["collections"] is not JsonArray { Count: > 0 } collections)
            throw ApiException.BadRequest("Failed to import collections.",
                new JsonObject { ["collections"] = new JsonObject { ["code"] = "validation_required", ["message"] = "Cannot be blank." } });
        var deleteMissing = body.Data["deleteMissing"] is JsonValue v && v.TryGetValue<bool>(out var d) && d;
        await store.ImportAsync(collections, deleteMissing, context.RequestAborted);
        return Results.NoContent();
    }
}
