using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Cairn.Api;

/// <summary>
/// A request body as the PocketBase API reads it (POCKETBASE_API.md 0.1): JSON, multipart or
/// url-encoded, with string values of forms turned into booleans and numbers only where that is
/// lossless, repeated keys turned into arrays, and <c>@jsonPayload</c> parts merged in last.
/// </summary>
public sealed class RequestBody
{
    public const string JsonPayloadKey = "@jsonPayload";

    public JsonObject Data { get; init; } = new();

    /// <summary>Uploaded files by part name (multipart only).</summary>
    public List<(string Key, IFormFile File)> Files { get; init; } = [];

    /// <summary>
    /// Reads the body once per request; a later call gets the same parsed body, because the stream is gone by
    /// then and the sign-in end (MFA's <c>mfaId</c>) reads a body its route handler has already read.
    /// </summary>
    public static Task<RequestBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken) => ReadAsync(request, null, cancellationToken);

    /// <summary>
    /// Reads the body; with an <paramref name="uploads"/> policy, a multipart body's files are streamed to temporary
    /// files under their fields' limits (<see cref="Cairn.Files.MultipartUploadReader"/>), deleted when the request ends.
    /// </summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, Cairn.Files.UploadPolicy? uploads, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Items[typeof(RequestBody)] is RequestBody read) return read;
        var body = uploads is not null && IsMultipart(request)
            ? await ReadUploadsAsync(request, uploads, cancellationToken)
            : await ReadOnceAsync(request, cancellationToken);
        request.HttpContext.Items[typeof(RequestBody)] = body;
        return body;
    }

    private static async Task<RequestBody> ReadOnceAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")))
            return new RequestBody();
        var type = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "";
        try
        {
            return type switch
            {
                "application/json" => await ReadJsonAsync(request, cancellationToken),
                "multipart/form-data" or "application/x-www-form-urlencoded" => await ReadFormAsync(request, cancellationToken),
                _ => throw ApiException.BadRequest("Unsupported request content type."),
            };
        }
        catch (InvalidDataException)
        {
            throw ApiException.BadRequest("Failed to read the request body.");
        }
        catch (BadHttpRequestException e) when (e.StatusCode is >= 400 and < 500)
        {
            // Kestrel's limits (an IOException, so before the catch below): 413 past the body size, 408 for a body that stops arriving.
            throw new ApiException(e.StatusCode, ErrorResponses.DefaultMessage(e.StatusCode));
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            // A multipart body that ends before its boundary says so: the client sent a broken body.
            throw ApiException.BadRequest("Failed to read the request body.");
        }
    }

    private static bool IsMultipart(HttpRequest request) =>
        request.ContentType?.Split(';')[0].Trim().Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true;

    private static async Task<RequestBody> ReadUploadsAsync(HttpRequest request, Cairn.Files.UploadPolicy policy, CancellationToken cancellationToken)
    {
        var (values, spool) = await Cairn.Files.MultipartUploadReader.ReadAsync(request, policy, cancellationToken);
        request.HttpContext.Response.RegisterForDispose(spool);
        var fields = values.GroupBy(v => v.Key).Select(g => (g.Key, Values: g.Select(v => (string?)v.Value).ToArray())).ToList();
        return new RequestBody { Data = FormData(request, fields), Uploads = spool };
    }

    /// <summary>The uploaded files of a multipart body read with an upload policy (null otherwise).</summary>
    public Cairn.Files.UploadSpool? Uploads { get; set; }

    private static async Task<RequestBody> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            throw ApiException.BadRequest("Malformed JSON body.");
        }
        RequireDecodable(node);
        return node switch
        {
            JsonObject o => new RequestBody { Data = o },
            null => new RequestBody(),
            _ => throw ApiException.BadRequest("The JSON body must be an object."),
        };
    }

    private static async Task<RequestBody> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var form = await request.ReadFormAsync(cancellationToken);
        var data = FormData(request, form.Select(f => (f.Key, f.Value.ToArray())).ToList());
        return new RequestBody { Data = data, Files = form.Files.Select(f => (f.Name, f)).ToList() };
    }

    private static JsonObject FormData(HttpRequest request, List<(string Key, string?[] Values)> form)
    {
        var data = new JsonObject();
        var payloads = new List<string>();

        // Go's Request.Form also holds the URL query, for url-encoded and multipart bodies alike, and
        // PocketBase reads forms that way (POCKETBASE_API.md 0.1); a body value wins over a query one.
        foreach (var (key, values) in request.Query)
            if (!form.Any(f => f.Key == key)) Put(data, key, values.ToArray());

        foreach (var (key, values) in form)
        {
            if (key == JsonPayloadKey) { payloads.AddRange(values.OfType<string>()); continue; }
            Put(data, key, values);
        }
        foreach (var payload in payloads)
        {
            JsonNode? parsed;
            try { parsed = JsonNode.Parse(payload); }
            catch (JsonException) { throw ApiException.BadRequest("Malformed @jsonPayload part."); }
            if (parsed is not JsonObject values) throw ApiException.BadRequest("The @jsonPayload part must be a JSON object.");
            RequireDecodable(parsed);
            foreach (var (key, value) in values) data[key] = value?.DeepClone();
        }
        return data;
    }

    /// <summary>
    /// System.Text.Json accepts an escaped lone surrogate (<c>"\ud800"</c>) while parsing but throws when
    /// the string is read later, deep inside a write. Reading every key and string once here turns such
    /// a body into a 400 up front. (Go's decoder replaces them with U+FFFD instead; refusing is the safer
    /// half of that, since the text could not be stored faithfully anyway.)
    /// </summary>
    private static void RequireDecodable(JsonNode? node)
    {
        try
        {
            Visit(node);
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest("Malformed JSON body: invalid Unicode escape.");
        }

        static void Visit(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (_, value) in o) Visit(value);
                    break;
                case JsonArray a:
                    foreach (var item in a) Visit(item);
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    v.GetValue<string>();
                    break;
            }
        }
    }

    private static void Put(JsonObject data, string key, string?[] values)
    {
        var items = values.Select(v => Infer(v ?? "")).ToArray();
        data[key] = items.Length == 1 ? items[0] : new JsonArray(items);
    }

    /// <summary>"true"/"false" become booleans; a numeric string becomes a number only if it prints back identically.</summary>
    internal static JsonNode? Infer(string value)
    {
        if (value == "true") return JsonValue.Create(true);
        if (value == "false") return JsonValue.Create(false);
        if (value.Length > 0 && value.Length < 32 && (char.IsAsciiDigit(value[0]) || value[0] == '-')
            && double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            && double.IsFinite(number) && number.ToString("R", CultureInfo.InvariantCulture) == value)
            return number == Math.Floor(number) && Math.Abs(number) < 1e15 ? JsonValue.Create((long)number) : JsonValue.Create(number);
        return JsonValue.Create(value);
    }
}
