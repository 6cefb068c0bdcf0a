using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Files.Tus;

/// <summary>
/// Resumable uploads over the tus protocol 1.0.0 (tus.io), beyond PocketBase:
/// <code>
/// OPTIONS /api/tus          discovery: version, extensions, maximum size, checksum algorithms
/// POST    /api/tus          creation (Upload-Length, Upload-Metadata), with the first chunk if the body has one
/// HEAD    /api/tus/{id}     the durable offset to resume from
/// PATCH   /api/tus/{id}     a chunk at Upload-Offset (application/offset+octet-stream), optionally with Upload-Checksum: sha1
/// DELETE  /api/tus/{id}     termination
/// </code>
/// Extensions: creation, creation-with-upload, termination, expiration, checksum (sha1). Uploads need a signed-in
/// identity and belong to it; anyone else's upload id answers 404. A finished upload becomes a record's file by
/// naming it as <c>tus:ID</c> in a file field of a create or update (<see cref="TusAttachments"/>).
/// Ours because no .NET tus server library is available here, and because attaching to records is the point.
/// </summary>
public static class TusApi
{
    public const string BasePath = "/api/tus";
    public const string Version = "1.0.0";
    public const string Extensions = "creation,creation-with-upload,termination,expiration,checksum";
    public const string ChunkType = "application/offset+octet-stream";

    /// <summary>Headers a browser client must be allowed to read (CORS).</summary>
    public static readonly string[] ResponseHeaders = ["Location", "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Expires",
        "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm"];

    public static IEndpointRouteBuilder MapTusApi(this IEndpointRouteBuilder app)
    {
        var tus = app.MapGroup(BasePath).AddEndpointFilter(SpeakTus);
        tus.MapMethods("", ["OPTIONS"], Discover);
        tus.MapPost("", Create);
        tus.MapMethods("/{id}", ["OPTIONS"], Discover);
        tus.MapMethods("/{id}", ["HEAD"], Head);
        tus.MapPatch("/{id}", Patch);
        tus.MapDelete("/{id}", Terminate);
        tus.MapPost("/{id}", MethodOverride);
        return app;
    }

    // Every response names the protocol version; every request but OPTIONS must speak it (412 otherwise).
    private static async ValueTask<object?> SpeakTus(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        context.Response.Headers["Tus-Resumable"] = Version;
        context.Response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers["Tus-Resumable"] != Version)
        {
            context.Response.Headers["Tus-Version"] = Version;
            throw new ApiException(412, $"The request must carry Tus-Resumable: {Version}.");
        }
        return await next(invocation);
    }

    private static IResult Discover(HttpContext context, TusUploads uploads)
    {
        var headers = context.Response.Headers;
        headers["Tus-Version"] = Version;
        headers["Tus-Extension"] = Extensions;
        headers["Tus-Max-Size"] = uploads.Options.MaxSize.ToString(CultureInfo.InvariantCulture);
        headers["Tus-Checksum-Algorithm"] = "sha1";
        return Results.NoContent();
    }

    private static string Owner(HttpContext context) => RequestAuth.Of(context).Record is { } record
        ? $"{record.Collection.Id}/{record.Id}"
        : throw ApiException.Unauthorized("Resumable uploads need a signed-in record or superuser.");

    private static async Task<IResult> Create(HttpContext context, TusUploads uploads, CollectionRegistry registry)
    {
        var owner = Owner(context);
        var request = context.Request;
        if (request.Headers.ContainsKey("Upload-Defer-Length")) throw ApiException.BadRequest("Upload-Defer-Length is not supported: send Upload-Length.");
        if (!TryLength(request.Headers["Upload-Length"], out var length)) throw ApiException.BadRequest("Upload-Length must be a whole number of bytes.");
        if (length > uploads.Options.MaxSize) throw new ApiException(413, $"Uploads may be at most {uploads.Options.MaxSize} bytes (Tus-Max-Size).");
        var raw = request.Headers["Upload-Metadata"].ToString();
        var metadata = TusMetadata.Parse(raw) ?? throw ApiException.BadRequest("Upload-Metadata must be comma-separated pairs of a key and a Base64 value.");
        CheckFieldLimit(registry, metadata, length);

        var upload = uploads.Create(owner, length, raw, metadata);
        var location = $"{BasePath}/{upload.Id}";
        if (HasChunk(request))
        {
            // creation-with-upload: the first chunk rides on the POST, under the same rules as a PATCH.
            using var lease = await uploads.LockAsync(upload.Id, context.RequestAborted);
            await AppendAsync(context, uploads, upload);
        }
        context.Response.Headers.Location = location;
        DescribeProgress(context, uploads, upload);
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    // With collection and field in the metadata, an upload too large for that field is refused before a byte is sent.
    private static void CheckFieldLimit(CollectionRegistry registry, Dictionary<string, string> metadata, long length)
    {
        if (!metadata.TryGetValue("collection", out var name) || !metadata.TryGetValue("field", out var fieldName)) return;
        var field = registry.Find(name)?.Fields.FirstOrDefault(f => f.Type == FieldTypes.File && f.Name.Equals(fieldName, StringComparison.OrdinalIgnoreCase))
            ?? throw ApiException.BadRequest("The collection and field in Upload-Metadata name no file field.");
        var max = UploadPolicy.MaxSize(field);
        if (length > max)
            throw new ApiException(413, "Request entity too large.", new JsonObject
            {
                [field.Name] = new JsonObject { ["code"] = "validation_file_size_limit", ["message"] = $"The file must be no larger than {max} bytes." },
            });
    }

    private static async Task<IResult> Head(string id, HttpContext context, TusUploads uploads)
    {
        var upload = uploads.Find(id, Owner(context)) ?? throw ApiException.NotFound();
        // A PATCH still writing (a client resuming before the server noticed its last connection die) finishes first,
        // so the offset given here is the one the next PATCH will be checked against.
        using var lease = await uploads.LockAsync(id, context.RequestAborted) ?? throw Locked();
        upload = uploads.Find(id, upload.Owner) ?? throw ApiException.NotFound();
        context.Response.Headers["Upload-Length"] = upload.Length.ToString(CultureInfo.InvariantCulture);
        if (upload.RawMetadata.Length > 0) context.Response.Headers["Upload-Metadata"] = upload.RawMetadata;
        DescribeProgress(context, uploads, upload);
        return Results.Ok();
    }

    private static async Task<IResult> Patch(string id, HttpContext context, TusUploads uploads)
    {
        if (!IsChunk(context.Request)) throw new ApiException(415, $"A chunk must be sent as {ChunkType}.");
        if (!TryLength(context.Request.Headers["Upload-Offset"], out var offset)) throw ApiException.BadRequest("Upload-Offset must be a whole number of bytes.");
        var owner = Owner(context);
        _ = uploads.Find(id, owner) ?? throw ApiException.NotFound();
        using var lease = await uploads.LockAsync(id, context.RequestAborted) ?? throw Locked();
        var upload = uploads.Find(id, owner) ?? throw ApiException.NotFound();
        if (offset != upload.Offset) throw ApiException.Conflict($"Upload-Offset is {offset} but the upload is at {upload.Offset}.");
        await AppendAsync(context, uploads, upload);
        DescribeProgress(context, uploads, upload);
        return Results.NoContent();
    }

    private static async Task<IResult> Terminate(string id, HttpContext context, TusUploads uploads)
    {
        _ = uploads.Find(id, Owner(context)) ?? throw ApiException.NotFound();
        using var lease = await uploads.LockAsync(id, context.RequestAborted) ?? throw Locked();
        uploads.Delete(id);
        return Results.NoContent();
    }

    // tus lets clients behind proxies that drop methods send POST with X-HTTP-Method-Override.
    private static Task<IResult> MethodOverride(string id, HttpContext context, TusUploads uploads) =>
        context.Request.Headers["X-HTTP-Method-Override"].ToString().ToUpperInvariant() switch
        {
            "PATCH" => Patch(id, context, uploads),
            "DELETE" => Terminate(id, context, uploads),
            "HEAD" => Head(id, context, uploads),
            _ => throw new ApiException(405, "Method not allowed."),
        };

    private static async Task AppendAsync(HttpContext context, TusUploads uploads, TusUpload upload)
    {
        var (checksum, expected) = Checksum(context.Request.Headers["Upload-Checksum"].ToString());
        using var _ = checksum;
        if (context.Request.ContentLength > upload.Length - upload.Offset) throw new ApiException(413, "The chunk goes past the upload's length.");
        // The chunk is bounded by the upload's own length instead of the server's body limit.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        try
        {
            await uploads.AppendAsync(upload, context.Request.BodyReader, checksum, expected, context.RequestAborted);
        }
        catch (ConnectionResetException e)
        {
            // The client is gone; what arrived is kept and a HEAD will say how much. Not a server fault.
            context.Abort();
            throw new OperationCanceledException("The client closed the connection.", e, context.RequestAborted);
        }
    }

    private static (IncrementalHash?, byte[]?) Checksum(string header)
    {
        if (header.Length == 0) return (null, null);
        var parts = header.Split(' ', 2);
        if (parts.Length != 2 || !parts[0].Equals("sha1", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadRequest("Upload-Checksum must be \"sha1 <Base64 digest>\" (Tus-Checksum-Algorithm).");
        var digest = new byte[20];
        if (!Convert.TryFromBase64String(parts[1].Trim(), digest, out var written) || written != 20)
            throw ApiException.BadRequest("Upload-Checksum's digest must be a Base64 SHA-1 digest.");
        return (IncrementalHash.CreateHash(HashAlgorithmName.SHA1), digest);
    }

    private static void DescribeProgress(HttpContext context, TusUploads uploads, TusUpload upload)
    {
        context.Response.Headers["Upload-Offset"] = upload.Offset.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["Upload-Expires"] = uploads.ExpiresAt(upload).ToString("R", CultureInfo.InvariantCulture);
    }

    private static ApiException Locked() => new(423, "Another request is writing to this upload; try again shortly.");

    private static bool TryLength(string? value, out long length) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out length);

    private static bool IsChunk(HttpRequest request) =>
        request.ContentType?.Split(';')[0].Trim().Equals(ChunkType, StringComparison.OrdinalIgnoreCase) == true;

    private static bool HasChunk(HttpRequest request) => IsChunk(request) && request.ContentLength != 0;
}
