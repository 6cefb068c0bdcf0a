using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Caching;
using Cairn.Collections;
using Cairn.Rules;
using Cairn.Records.Expand;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Records;

/// <summary>
/// <code>
/// GET    /api/collections/{collection}/records        list (page, perPage, sort, skipTotal, expand, fields)
/// GET    /api/collections/{collection}/records/{id}   view (ETag, If-None-Match → 304)
/// POST   /api/collections/{collection}/records        create → 200
/// PATCH  /api/collections/{collection}/records/{id}   update (If-Match → 412 when stale)
/// DELETE /api/collections/{collection}/records/{id}   delete → 204 (If-Match → 412 when stale)
/// </code>
/// </summary>
public static class RecordsApi
{
    public static IEndpointRouteBuilder MapRecordsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/collections/{collection}/records", List);
        app.MapGet("/api/collections/{collection}/records/{id}", View);
        app.MapPost("/api/collections/{collection}/records", Create);
        app.MapPatch("/api/collections/{collection}/records/{id}", Update);
        app.MapDelete("/api/collections/{collection}/records/{id}", Delete);
        return app;
    }

    internal static Collection FindCollection(CollectionRegistry registry, string idOrName, string message = "Missing collection context.") =>
        registry.Find(idOrName) ?? throw ApiException.NotFound(message);

    private static async Task<IResult> List(string collection, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, RecordRules rules, RecordExpander expander, ResponseCache cache)
    {
        var c = FindCollection(registry, collection);
        var auth = RequestAuth.Of(context);
        RuleGuard.Require(c.ListRule, auth);
        var query = ListQuery.Parse(context.Request.Query);
        var request = RecordRules.Request(context, auth);
        var statement = RecordListStatement.Build(c, query, auth, request, rules, store);
        var expand = context.Request.Query["expand"].ToString();
        // The loader never reads the HttpContext: under the cache it may run on for other callers after this request ended.
        async Task<RecordsResult> Load(CancellationToken cancellationToken)
        {
            var (items, total) = await db.ReadAsync(connection =>
            {
                using var select = connection.CreateCommand(statement.Select, query.PerPage, (long)(query.Page - 1) * query.PerPage);
                RecordRules.Bind(select, statement.Bindings);
                var rows = store.Query(select, c);
                rules.MarkManaged(connection, rows, auth, request);
                var count = -1L;
                if (!query.SkipTotal)
                {
                    using var counter = connection.CreateCommand(statement.Count);
                    RecordRules.Bind(counter, statement.Bindings);
                    count = Convert.ToInt64(store.QueryScalar(counter));
                }
                expander.Expand(connection, null, rows, expand, auth, request);
                return (rows, count);
            }, cancellationToken);
            return RecordsResult.Page(query, items, total, auth);
        }

        if (cache.KeyFor(context, c, "list", null, c.ListRule, auth) is not { } key) return await Load(context.RequestAborted);
        var fields = Fields(context);
        return await cache.GetOrLoadAsync(key, async cancel => (await Load(cancel)).ToCached(fields), context.RequestAborted);
    }

    private static async Task<IResult> View(string collection, string id, HttpContext context, CollectionRegistry registry, IDatabase db, RecordStore store, RecordRules rules, RecordExpander expander, ResponseCache cache)
    {
        var c = FindCollection(registry, collection);
        var auth = RequestAuth.Of(context);
        RuleGuard.Require(c.ViewRule, auth);
        var request = RecordRules.Request(context, auth);
        var expand = context.Request.Query["expand"].ToString();
        async Task<RecordsResult> Load(CancellationToken cancellationToken)
        {
            var record = await db.ReadAsync(connection => Visible(connection, c, id, auth, request, store, rules), cancellationToken)
                         ?? throw ApiException.NotFound();
            await expander.ExpandAsync(db, [record], expand, auth, request, cancellationToken);
            // A view row has no version of its own (its sources change under it), so it gets no ETag.
            return RecordsResult.One(record, auth, withETag: !c.IsView);
        }

        if (cache.KeyFor(context, c, "view", id, c.ViewRule, auth) is { } key)
        {
            var fields = Fields(context);
            var cached = await cache.GetOrLoadAsync(key, async cancel => (await Load(cancel)).ToCached(fields), context.RequestAborted);
            return NotModified(context, cached.ETag, expand) ?? cached;
        }
        var result = await Load(context.RequestAborted);
        return NotModified(context, result.ETag, expand) ?? result;
    }

    // The ETag versions the record alone: a response that embeds other records (expand) is never answered 304.
    private static IResult? NotModified(HttpContext context, string? etag, string expand)
    {
        if (etag is null || expand.Length > 0 || !context.Request.Headers.IfNoneMatch.ToString().Split(',', StringSplitOptions.TrimEntries).Contains(etag)) return null;
        context.Response.Headers.ETag = etag;
        return Results.StatusCode(StatusCodes.Status304NotModified);
    }

    private static string? Fields(HttpContext context) => context.Request.Query.TryGetValue("fields", out var fields) ? fields.ToString() : null;

    // A record the view rule does not match is reported as missing (404), never as forbidden.
    private static Record? Visible(System.Data.Common.DbConnection connection, Collection c, string id, RequestAuth auth, Query.RequestData request, RecordStore store, RecordRules rules)
    {
        if (store.FindById(connection, null, c, id) is not { } found || !rules.Matches(connection, null, c, c.ViewRule, id, auth, request)) return null;
        rules.MarkManaged(connection, [found], auth, request);
        return found;
    }

    private static async Task<IResult> Create(string collection, HttpContext context, CollectionRegistry registry, RecordService records, RecordExpander expander)
    {
        var c = FindCollection(registry, collection, "Missing or invalid collection context.");
        var auth = RequestAuth.Of(context);
        RequireWritable(c);
        RuleGuard.Require(c.CreateRule, auth);
        var body = await ReadBodyAsync(context, c);
        var record = await Validated("Failed to create record.", () => records.CreateAsync(c, body.Data, auth, context.RequestAborted, RecordRules.Request(context, auth), body.Uploads));
        await expander.ExpandAsync(records.Database, [record], context.Request.Query["expand"], auth, RecordRules.Request(context, auth), context.RequestAborted);
        return RecordsResult.One(record, auth);
    }

    private static async Task<IResult> Update(string collection, string id, HttpContext context, CollectionRegistry registry, RecordService records, RecordExpander expander)
    {
        var c = FindCollection(registry, collection, "Missing or invalid collection context.");
        var auth = RequestAuth.Of(context);
        RequireWritable(c);
        RuleGuard.Require(c.UpdateRule, auth);
        var body = await ReadBodyAsync(context, c);
        var ifMatch = context.Request.Headers.IfMatch.ToString();
        var record = await Validated("Failed to update record.", () => records.UpdateAsync(c, id, body.Data, auth, ifMatch, context.RequestAborted, RecordRules.Request(context, auth), body.Uploads));
        await expander.ExpandAsync(records.Database, [record], context.Request.Query["expand"], auth, RecordRules.Request(context, auth), context.RequestAborted);
        return RecordsResult.One(record, auth);
    }

    private static async Task<IResult> Delete(string collection, string id, HttpContext context, CollectionRegistry registry, RecordService records)
    {
        var c = FindCollection(registry, collection);
        var auth = RequestAuth.Of(context);
        RequireWritable(c);
        RuleGuard.Require(c.DeleteRule, auth);
        await records.DeleteAsync(c, id, auth, context.Request.Headers.IfMatch.ToString(), context.RequestAborted, RecordRules.Request(context, auth));
        return Results.NoContent();
    }

    internal static void RequireWritable(Collection collection)
    {
        if (collection.IsView) throw ApiException.BadRequest("Unsupported collection type.");
    }

    /// <summary>
    /// The body of a create or update: multipart files are streamed to temporary files under their fields' limits.
    /// The request may be as large as PocketBase allows (POCKETBASE_API.md 0.1): the usual limit plus
    /// <c>maxSize × maxSelect</c> of every file field; past that, 413 before the rest is read.
    /// </summary>
    internal static async Task<RequestBody> ReadBodyAsync(HttpContext context, Collection collection)
    {
        var options = context.RequestServices.GetRequiredService<CairnOptions>();
        var fileFields = collection.Fields.Where(f => f.Type == FieldTypes.File).ToList();
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit && fileFields.Count > 0)
            limit.MaxRequestBodySize = options.MaxBodySize + fileFields.Sum(f => Files.UploadPolicy.MaxSize(f) * Math.Max(1, f.MaxSelect));
        var body = await RequestBody.ReadAsync(context.Request, Files.UploadPolicy.ForFields(fileFields, options.TempFolder), context.RequestAborted);
        if (body.Uploads is null) context.Response.RegisterForDispose(body.Uploads = new Files.UploadSpool());
        await context.RequestServices.GetRequiredService<Files.Tus.TusAttachments>().ClaimAsync(body.Data, collection, RequestAuth.Of(context), body.Uploads, context.RequestAborted);
        return body;
    }

    internal static async Task<T> Validated<T>(string message, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (RecordValidationException e)
        {
            throw ApiException.BadRequest(message, e.Errors.ToJson());
        }
    }
}
