using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Files;
using Cairn.Files.Tus;
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
/// Files come as multipart parts named <c>requests.N.field</c> (or <c>requests[N].field</c>, with the usual modifiers), or
/// as <c>tus:ID</c> references in an item's body; they are stored before the transaction under the ids their records
/// will have, and removed again if it rolls back, exactly as for a single create or update (<see cref="RecordService"/>).
/// </summary>
public static class BatchApi
{
    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/batch", Run);
        return app;
    }

    private sealed record SubRequest(string Method, string Collection, string? Id, IQueryCollection Query, JsonObject Body, string? IfMatch, JsonObject? Headers)
    {
        /// <summary>The item's files, and the record id they were stored under before the transaction.</summary>
        public UploadSpool Uploads { get; init; } = new();
        public string? PresetId { get; set; }
        public Record? Saved { get; set; }
    }

    private static async Task<IResult> Run(HttpContext context, Settings.LiveSettings settings, CairnOptions server, CollectionRegistry registry, IDatabase db,
        RecordService records, RecordExpander expander, TusAttachments tus)
    {
        var options = settings.Current.Batch; // settings.batch, as it is when the batch starts
        if (!options.Enabled) throw ApiException.Forbidden("Batch requests are not allowed.");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxBodySize;
        // Which collection a file part is for is only known once @jsonPayload is read, which the SDK sends last: parts are
        // spooled under the batch's own limit here, and each field's maxSize is checked when its record is validated.
        var policy = new UploadPolicy(key => ItemKey(key) is var (index, field) ? new UploadTarget($"requests.{index}.{field}", options.MaxBodySize) : null, server.TempFolder);
        var body = await RequestBody.ReadAsync(context.Request, policy, context.RequestAborted);
        var requests = Parse(body.Data, options);
        Distribute(body, requests, registry, context);
        var auth = RequestAuth.Of(context);
        await StoreUploadsAsync(context, requests, auth, registry, records, tus);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.Timeout);
        JsonArray results;
        try
        {
            results = await db.WriteAsync(write => ExecuteAll(write, context, requests, auth, registry, records, expander), timeout.Token);
        }
        catch (Exception failure)
        {
            foreach (var item in requests.Where(r => r.PresetId is not null))
                await records.DiscardUnsavedAsync(registry.Find(item.Collection)!, item.PresetId!, item.Uploads);
            // The timeout only cancels a batch that has not started: nothing was written, so the client may retry.
            if (failure is OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                context.Response.Headers.RetryAfter = "1";
                throw new ApiException(503, $"The server was too busy to start the batch within its {options.Timeout.TotalSeconds:0.###} s timeout; nothing was written. Retry shortly.");
            }
            throw;
        }
        foreach (var item in requests.Where(r => r.Saved is not null && r.PresetId is not null)) records.UploadsSaved(item.Saved!, item.Uploads);
        return new PickedJson(results);
    }

    /// <summary><c>requests.N.field</c> or <c>requests[N].field</c> (the field with its modifiers) as (N, field).</summary>
    private static (int Index, string Field)? ItemKey(string key)
    {
        var match = System.Text.RegularExpressions.Regex.Match(key, @"^requests(?:\.(\d{1,4})|\[(\d{1,4})\])\.(.+)$");
        return match.Success ? (int.Parse(match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value), match.Groups[3].Value) : null;
    }

    /// <summary>Moves each file part's value (the stored name) into its item's body, and its upload into the item's spool under the real field name.</summary>
    private static void Distribute(RequestBody body, List<SubRequest> requests, CollectionRegistry registry, HttpContext context)
    {
        Field? FileField(int index, string key) => index < requests.Count
            ? registry.Find(requests[index].Collection)?.Fields.FirstOrDefault(f => f.Type == FieldTypes.File && f.Name.Equals(key.Trim('+').TrimEnd('-'), StringComparison.OrdinalIgnoreCase))
            : null;
        foreach (var (key, value) in body.Data.ToList())
        {
            if (ItemKey(key) is not var (index, fieldKey)) continue;
            body.Data.Remove(key);
            if (FileField(index, fieldKey) is null) continue; // like any part that is not a file field's: ignored
            var item = requests[index].Body;
            item[fieldKey] = item[fieldKey] switch
            {
                null => value,
                JsonArray list => new JsonArray([.. list.Select(n => n?.DeepClone()), .. FieldValues.ToList(value).Select(v => (JsonNode?)v)]),
                var single => new JsonArray([single.DeepClone(), .. FieldValues.ToList(value).Select(v => (JsonNode?)v)]),
            };
        }
        foreach (var item in requests) context.Response.RegisterForDispose(item.Uploads);
        foreach (var upload in body.Uploads?.Files ?? [])
            if (ItemKey(upload.Field) is var (index, fieldKey) && FileField(index, fieldKey) is { } field)
                requests[index].Uploads.Files.Add(upload with { Field = field.Name });
    }

    // Before the transaction: tus references are claimed and every item's files stored under the id its record will have.
    private static async Task StoreUploadsAsync(HttpContext context, List<SubRequest> requests, RequestAuth auth, CollectionRegistry registry, RecordService records, TusAttachments tus)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            var item = requests[i];
            if (item.Method == "DELETE" || registry.Find(item.Collection) is not { IsView: false } collection) continue;
            await tus.ClaimAsync(item.Body, collection, auth, item.Uploads, context.RequestAborted);
            if (item.Uploads.Files.Count == 0) continue;
            try
            {
                item.PresetId = await records.StoreUploadsAsync(collection, item.Id ?? FieldValues.ToText(item.Body["id"]), item.Uploads, context.RequestAborted);
            }
            catch (RecordValidationException e)
            {
                throw ItemFailed(i, ApiException.BadRequest(item.Id is null ? "Failed to create record." : "Failed to update record.", e.Errors.ToJson()));
            }
        }
    }

    private static JsonArray ExecuteAll(WriteContext write, HttpContext context, List<SubRequest> requests, RequestAuth auth,
        CollectionRegistry registry, RecordService records, RecordExpander expander)
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
                throw ItemFailed(i, failure);
            }
        }
        return responses;
    }

    private static ApiException ItemFailed(int index, ApiException failure)
    {
        var detail = Error("batch_request_failed", "Batch request failed.");
        detail["response"] = failure.ToJson();
        return ApiException.BadRequest("Batch transaction failed.", new JsonObject { ["requests"] = new JsonObject { [index.ToString()] = detail } });
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
        var id = request.Id;
        if (route == "upsert")
        {
            var given = FieldValues.ToText(request.Body["id"]);
            var exists = given.Length > 0 && records.Exists(write, collection, given);
            route = exists ? "update" : "create";
            if (exists) id = given;
        }
        switch (route)
        {
            case "create":
                RuleGuard.Require(collection.CreateRule, auth);
                var created = Validated("Failed to create record.", () => records.Create(write, collection, request.Body, auth, data, request.Uploads, request.PresetId));
                request.Saved = created;
                return RecordResponse(write, created, request, auth, data, expander);
            case "update":
                RuleGuard.Require(collection.UpdateRule, auth);
                var updated = Validated("Failed to update record.", () => records.Update(write, collection, id!, request.Body, auth, request.IfMatch, data, request.Uploads));
                request.Saved = updated;
                return RecordResponse(write, updated, request, auth, data, expander);
            default:
                RuleGuard.Require(collection.DeleteRule, auth);
                records.Delete(write, collection, id!, request.IfMatch, auth, data);
                return Response(204, null);
        }
    }

    // Expanded inside the batch's transaction, so an item sees the records earlier items created.
    private static JsonObject RecordResponse(WriteContext write, Record record, SubRequest request, RequestAuth auth, RequestData data, RecordExpander expander)
    {
        expander.Expand(write.Connection, write.Transaction, [record], request.Query["expand"], auth, data);
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
