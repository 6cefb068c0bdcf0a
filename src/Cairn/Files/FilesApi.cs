using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Files.Thumbnails;
using Cairn.Query;
using Cairn.Records;
using Cairn.Rules;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Cairn.Files;

/// <summary>
/// Serving stored files (POCKETBASE_API.md 1.5):
/// <code>
/// GET  /api/files/{collection}/{recordId}/{filename}   (?download=1, ?token= for protected files, ?thumb=WxH)
/// POST /api/files/token                                 a short-lived file token for the signed-in record
/// </code>
/// A file is found only through a record whose file field names it, so a URL can reach nothing else in the store.
/// Protected fields also need a file token and the collection's view rule (context <c>protectedFile</c>); public
/// ones are served to whoever holds the URL, as in PocketBase, whose names carry ten random characters.
/// A view collection's files are served through the record its row reads them from (<see cref="ViewFileSources"/>).
/// Every failure is 404. Responses are streamed from the store, with single byte ranges, an ETag, and headers that
/// keep a browser from running what it downloads.
/// </summary>
public static class FilesApi
{
    public const string ProtectedFileContext = "protectedFile";

    private const string Sandbox = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/files/{collection}/{recordId}/{filename}", ["GET", "HEAD"], Serve);
        app.MapPost("/api/files/token", IssueToken);
        return app;
    }

    private static IResult IssueToken(HttpContext context, TokenService tokens)
    {
        if (RequestAuth.Of(context).Record is not { } record) throw ApiException.Unauthorized("The request requires a valid record authorization token.");
        return Results.Json(new JsonObject { ["token"] = tokens.Issue(record, TokenService.File) }, CairnJson.Options);
    }

    private static async Task Serve(string collection, string recordId, string filename, HttpContext context, CollectionRegistry registry,
        IDatabase db, RecordStore records, RecordRules rules, TokenService tokens, RecordFiles files, ThumbnailGenerator thumbs, ViewFileSources views)
    {
        var c = registry.Find(collection);
        if (c is null || (!c.IsView && !RecordFiles.CanHold(c, recordId)) || !BlobKeys.IsValid(filename)) { await NotFound(context); return; }
        var record = await db.ReadAsync(connection => records.FindById(connection, null, c, recordId), context.RequestAborted);
        var field = record is null ? null : c.Fields.FirstOrDefault(f => f.Type == FieldTypes.File && record.GetList(f.Name).Contains(filename));
        if (record is null || field is null) { await NotFound(context); return; }

        if (field.Bool("protected"))
        {
            // Only the file token counts, never the Authorization header (POCKETBASE_API.md 1.5).
            var token = context.Request.Query["token"].ToString();
            var auth = token.Length > 0 && await tokens.ValidateAsync(token, TokenService.File, context.RequestAborted) is var (owner, _) ? new RequestAuth(owner) : RequestAuth.Guest;
            var request = RecordRules.Request(context, auth, ProtectedFileContext);
            var allowed = (auth.IsSuperuser || c.ViewRule is not null)
                          && await db.ReadAsync(connection => rules.Matches(connection, null, c, c.ViewRule, recordId, auth, request), context.RequestAborted);
            if (!allowed) { await NotFound(context); return; }
        }

        // A view's files are those of the record its row was read from.
        var (holder, holderId) = c.IsView
            ? await db.ReadAsync(connection => views.Resolve(connection, c, recordId, field.Name), context.RequestAborted) ?? (c, "")
            : (c, recordId);
        if (holder.IsView || !RecordFiles.CanHold(holder, holderId)) { await NotFound(context); return; }
        var key = RecordFiles.Key(holder, holderId, filename);
        if (await files.Store.StatAsync(key, context.RequestAborted) is not { } blob) { await NotFound(context); return; }
        blob = await ThumbnailOrOriginalAsync(context, files.Store, thumbs, blob, field, RecordFiles.Folder(holder, holderId), filename);
        await SendAsync(context, files.Store, blob, filename, Download(context));
    }

    /// <summary>
    /// <c>?thumb=WxH</c>: only the default <c>100x100</c> or a size the field lists, only for PNG, JPEG, GIF and WebP;
    /// made on first request and kept under <c>thumbs_NAME/SIZE_NAME</c>. Anything else, or a failure, serves the original.
    /// </summary>
    private static async Task<BlobInfo> ThumbnailOrOriginalAsync(HttpContext context, IBlobStore store, ThumbnailGenerator thumbs, BlobInfo original,
        Field field, string folder, string filename)
    {
        var thumb = context.Request.Query["thumb"].ToString();
        if (thumb.Length == 0 || !ThumbSize.TryParse(thumb, out var size) || (thumb != ThumbSize.Default && !field.List("thumbs").Contains(thumb)))
            return original;
        if (!ThumbnailGenerator.CanThumb(await SniffAsync(store, original.Key, context.RequestAborted))) return original;
        var thumbKey = $"{folder}thumbs_{filename}/{thumb}_{filename}";
        return await thumbs.EnsureAsync(store, original.Key, thumbKey, size, context.RequestAborted)
               && await store.StatAsync(thumbKey, context.RequestAborted) is { } made ? made : original;
    }

    private static bool Download(HttpContext context) => context.Request.Query["download"].ToString() is "1" or "true";

    private static Task NotFound(HttpContext context) => ErrorResponses.WriteAsync(context, 404);

    /// <summary>Streams a stored object with the file-serving headers, answering conditional and single-range requests.</summary>
    public static async Task SendAsync(HttpContext context, IBlobStore store, BlobInfo blob, string name, bool download)
    {
        var response = context.Response;
        var etag = $"\"{blob.Length:x}-{blob.LastModified.UtcTicks:x}\"";
        var type = await SniffAsync(store, blob.Key, context.RequestAborted);
        response.Headers.ETag = etag;
        response.Headers.LastModified = blob.LastModified.ToString("R", CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "max-age=2592000, stale-while-revalidate=86400";
        response.Headers.ContentSecurityPolicy = Sandbox;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue(download || !ContentSniffer.IsInline(type) ? "attachment" : "inline")
        { FileName = name }.ToString();
        response.ContentType = type;

        if (context.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } match && match.Split(',', StringSplitOptions.TrimEntries).Any(t => t == etag || t == "*"))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        long offset = 0, length = blob.Length;
        var ifRange = context.Request.Headers.IfRange.ToString();
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && (ifRange.Length == 0 || ifRange == etag))
        {
            if (!TryParseRange(range, blob.Length, out offset, out length))
            {
                response.Headers.ContentRange = $"bytes */{blob.Length}";
                response.Headers.ContentDisposition = default;
                await ErrorResponses.WriteAsync(context, 416, "The requested range cannot be satisfied.");
                return;
            }
            if (length != blob.Length)
            {
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = $"bytes {offset}-{offset + length - 1}/{blob.Length}";
            }
        }
        response.ContentLength = length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await using var stream = await store.OpenReadAsync(blob.Key, offset, length, context.RequestAborted);
        if (stream is null) return;
        await stream.CopyToAsync(response.Body, 81920, context.RequestAborted);
    }

    private static async Task<string> SniffAsync(IBlobStore store, string key, CancellationToken cancellationToken)
    {
        await using var head = await store.OpenReadAsync(key, 0, ContentSniffer.HeaderLength, cancellationToken);
        if (head is null) return ContentSniffer.Binary;
        var buffer = new byte[ContentSniffer.HeaderLength];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await head.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0) read += n;
        return ContentSniffer.Sniff(buffer.AsSpan(0, read));
    }

    /// <summary>
    /// One range of <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c>. Several ranges are answered with the whole
    /// file, which HTTP allows; a range that starts past the end cannot be satisfied (416).
    /// </summary>
    public static bool TryParseRange(string header, long size, out long offset, out long length)
    {
        offset = 0;
        length = size;
        if (!RangeHeaderValue.TryParse(header, out var parsed) || parsed.Unit != "bytes" || parsed.Ranges.Count != 1) return true;
        var r = parsed.Ranges.First();
        if (r.From is null)
        {
            if (r.To is not > 0) return false;
            length = Math.Min(r.To.Value, size);
            offset = size - length;
            return size > 0;
        }
        if (r.From >= size) return false;
        offset = r.From.Value;
        var end = Math.Min(r.To ?? size - 1, size - 1);
        if (end < offset) return false;
        length = end - offset + 1;
        return true;
    }
}
