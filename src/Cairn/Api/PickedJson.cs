using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Cairn.Api;

/// <summary>A JSON response with the request's <c>?fields=</c> picker applied (it applies to every 2xx JSON body).</summary>
public sealed class PickedJson(JsonNode? body, int status = 200, string? etag = null) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (etag is not null) response.Headers.ETag = etag;
        var picked = FieldsPicker.Apply(body, context.Request.Query["fields"].ToString());
        await using var writer = new Utf8JsonWriter(response.BodyWriter, CairnJson.WriterOptions);
        if (picked is null) writer.WriteNullValue();
        else picked.WriteTo(writer, CairnJson.Options);
        await writer.FlushAsync(context.RequestAborted);
    }
}
