using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Rules;
using Cairn.Records.Expand;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;

namespace Cairn.Batch;

/// <summary>
/// <code>
/// POST /api/batch   {requests:[{method, url, headers?, body?}]} → 200 [{status, body}] or 400 with every change rolled back
/// </code>
/// All sub-requests run in one write unit, so they commit together or not at all (POCKETBASE_API.md 1.2).
/// </summary>
public static class BatchApi
{
    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/batch", Run);
        return app;
    }

    private sealed record SubRequest(string Method, string Collection, string? Id, IQueryCollection Query, JsonObject Body, string? IfMatch, JsonObject? Headers);

    private static async Task<IResult> Run(HttpContext context, BatchOptions options, CollectionRegistry registry, IDatabase db, RecordService records, RecordExpander expander)
    {
        if (!options.Enabled) throw ApiException.Forbidden("Batch requests are not allowed.");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxBodySize;
        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        if (body.Files.Count > 0) throw ApiException.BadRequest("Invalid batch request data.",
            new JsonObject { ["requests"] = Error("validation_invalid_file", "File uploads are not supported by this server yet.") });
        var requests = Parse(body.Data, options);
        var auth = RequestAuth.Of(context);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.Timeout);
        var results = await TimeoutAsFailure(db.WriteAsync(write =>
        {
            var responses = new JsonArray();
            for (var i = 0; i < requests.Count; i++)
            {
                try
                {
                    responses.Add(Execute(write, requests[i], auth, RequestData(context, auth, requests[i]), registry, records, expander));
                }
                catch (ApiException failure)
                {
                    var detail = Error("batch_request_failed", "Batch request failed.");
                    detail["response"] = failure.ToJson();
                    throw ApiException.BadRequest("Batch transaction failed.", new JsonObject { ["requests"] = new JsonObject { [i.ToString()] = detail } });
                }
            }
            return responses;
        }, timeout.Token), timeout.Token, context.RequestAborted);
        return new PickedJson(results);
    }

    // The timeout fired before the batch ran, or while it waited to be retried: nothing was written. PocketBase answers
    // its "batch transaction timeout" with this 400; a client that went away is the error middleware's business.
    private static async Task<T> TimeoutAsFailure<T>(Task<T> write, CancellationToken timeout, CancellationToken requestAborted)
    {
        try
        {
            return await write;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            throw ApiException.BadRequest("Batch transaction failed.");
        }
    }

    private static JsonObject Error(string code, string message) => new() { ["code"] = code, ["message"] = message };

    private static List<SubRequest> Parse(JsonObject data, BatchOptions options)
    {
        if (data["requests"] is not JsonArray { Count: > 0 } items)
            throw ApiException.BadRequest("Invalid batch request data.", new JsonObject { ["requests"] = Error("validation_required", "Cannot be blank.") });
        if (items.Count > options.MaxRequests)
            throw ApiException.BadRequest("Invalid batch request data.", new JsonObject { ["requests"] = Error("validation_length_too_long", $"The length must be no more than {options.MaxRequests}.") });

        var list = new List<SubRequest>();
        var errors = new ValidationErrors();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] as JsonObject;
            var method = FieldValues.ToText(item?["method"]).ToUpperInvariant();
            var url = FieldValues.ToText(item?["url"]);
            var e = new ValidationErrors();
            if (method is not ("GET" or "POST" or "PUT" or "PATCH" or "DELETE")) e.Add("method", "validation_in_invalid", "Must be a valid value.");
            if (url.Length == 0) e.Add("url", "validation_required", "Cannot be blank.");
            else if (url.Length > 2000) e.Add("url", "validation_length_too_long", "The length must be no more than 2000.");
            errors.Nest(i.ToString(), e);
            if (e.Any) continue;

            var (path, query) = SplitUrl(url);
            var segments = path.Trim('/').Split('/');
            var headers = item!["headers"] as JsonObject;
            var ifMatch = headers?.FirstOrDefault(h => string.Equals(h.Key, "If-Match", StringComparison.OrdinalIgnoreCase)).Value?.ToString();
            string? collection = null, id = null;
            if (segments.Length is 4 or 5 && segments[0] == "api" && segments[1] == "collections" && segments[3] == "records")
            {
                collection = Uri.UnescapeDataString(segments[2]);
                id = segments.Length == 5 ? Uri.UnescapeDataString(segments[4]) : null;
            }
            list.Add(new SubRequest(method, collection ?? "", collection is null ? "\0" : id, query, item["body"] as JsonObject ?? new JsonObject(), ifMatch, headers));
        }
        if (errors.Any) throw ApiException.BadRequest("Invalid batch request data.", new JsonObject { ["requests"] = errors.ToJson() });
        return list;
    }

    private static (string Path, IQueryCollection Query) SplitUrl(string url)
    {
        var at = url.IndexOf('?');
        return at < 0
            ? (url, QueryCollection.Empty)
            : (url[..at], new QueryCollection(QueryHelpers.ParseQuery(url[at..])));
    }

    /// <summary>
    /// The <c>@request.*</c> data of a sub-request: its method, query and body, the main request's headers
    /// overridden by its own (except Authorization: every item runs with the main request's auth), and
    /// <c>@request.context = "batch"</c> (POCKETBASE_API.md 1.2).
    /// </summary>
    private static RequestData RequestData(HttpContext context, RequestAuth auth, SubRequest request)
    {
        var main = RecordRules.Request(context, auth, Query.RequestData.BatchContext);
        var own = RecordRules.Headers((request.Headers ?? []).Where(h => !string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase))
            .Select(h => (h.Key, FieldValues.ToText(h.Value))));
        foreach (var (name, value) in main.Headers) own.TryAdd(name, value);
        return main with
        {
            Method = request.Method,
            Query = request.Query.ToDictionary(q => q.Key, q => q.Value.FirstOrDefault() ?? ""),
            Headers = own,
        };
    }

    private static JsonObject Execute(WriteContext write, SubRequest request, RequestAuth auth, RequestData data, CollectionRegistry registry, RecordService records, RecordExpander expander)
    {
        var route = (request.Method, request.Id) switch
        {
            (_, "\0") => null,
            ("POST", null) => "create",
            ("PUT", null) => "upsert",
            ("PATCH", not null) => "update",
            ("DELETE", not null) => "delete",
            _ => null,
        };
        if (route is null) throw ApiException.NotFound("Batch requests may only create, upsert, update or delete records.");
        var collection = RecordsApi.FindCollection(registry, request.Collection);
        RecordsApi.RequireWritable(collection);
        if (route == "upsert")
        {
            var id = FieldValues.ToText(request.Body["id"]);
            var exists = id.Length > 0 && records.Exists(write, collection, id);
            route = exists ? "update" : "create";
            request = request with { Id = exists ? id : null };
        }
        switch (route)
        {
            case "create":
                RuleGuard.Require(collection.CreateRule, auth);
                var created = Validated("Failed to create record.", () => records.Create(write, collection, request.Body, auth, data));
                return RecordResponse(write, created, request, auth, expander);
            case "update":
                RuleGuard.Require(collection.UpdateRule, auth);
                var updated = Validated("Failed to update record.", () => records.Update(write, collection, request.Id!, request.Body, auth, request.IfMatch, data));
                return RecordResponse(write, updated, request, auth, expander);
            default:
                RuleGuard.Require(collection.DeleteRule, auth);
                records.Delete(write, collection, request.Id!, request.IfMatch, auth, data);
                return Response(204, null);
        }
    }

    // Expanded inside the batch's transaction, so an item sees the records earlier items created.
    private static JsonObject RecordResponse(WriteContext write, Record record, SubRequest request, RequestAuth auth, RecordExpander expander)
    {
        expander.Expand(write.Connection, write.Transaction, [record], request.Query["expand"], auth);
        return Response(200, FieldsPicker.Apply(RecordJson.ToJson(record, auth), request.Query["fields"]));
    }

    private static JsonObject Response(int status, JsonNode? body) => new() { ["status"] = status, ["body"] = body };

    // The message names what the item turned out to be: an upsert (PUT) fails as a create or an update.
    private static Record Validated(string message, Func<Record> action)
    {
        try
        {
            return action();
        }
        catch (RecordValidationException e)
        {
            throw ApiException.BadRequest(message, e.Errors.ToJson());
        }
    }
}
