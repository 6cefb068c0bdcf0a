using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Microsoft.AspNetCore.Http;

namespace Cairn.Records;

/// <summary>
/// A record or a page of records as a response. Without <c>?fields=</c> the records, and their
/// <c>?expand=</c>ed records, are written straight to the response (list and view are the hottest paths,
/// and building a JSON tree per record cost about half of a list: bench/RESULTS.md); with it the tree is
/// built so that the picker can reshape it.
/// </summary>
internal sealed class RecordsResult : IResult
{
    private readonly Record? _record;
    private readonly IReadOnlyList<Record>? _items;
    private readonly ListQuery? _query;
    private readonly long _total;
    private readonly RequestAuth _auth;

    /// <param name="withETag">False for a view collection's row, which has no version of its own.</param>
    public static RecordsResult One(Record record, RequestAuth auth, bool withETag = true) => new(record, null, null, 0, auth) { _withETag = withETag };

    private bool _withETag = true;

    public static RecordsResult Page(ListQuery query, IReadOnlyList<Record> items, long total, RequestAuth auth) => new(null, items, query, total, auth);

    private RecordsResult(Record? record, IReadOnlyList<Record>? items, ListQuery? query, long total, RequestAuth auth)
    {
        (_record, _items, _query, _total, _auth) = (record, items, query, total, auth);
    }

    /// <summary>The record's ETag, when the response is one record that has one.</summary>
    public string? ETag => _record is not null && _withETag ? _record.ETag : null;

    private long TotalPages => _total < 0 ? -1 : (long)Math.Ceiling(_total / (double)_query!.PerPage);

    public async Task ExecuteAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (query.ContainsKey("fields"))
        {
            await new PickedJson(ToJson(), etag: ETag).ExecuteAsync(context);
            return;
        }
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        if (ETag is not null) response.Headers.ETag = ETag;
        await using var writer = new Utf8JsonWriter(response.BodyWriter, CairnJson.WriterOptions);
        Write(writer);
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>The response as the cache keeps it: the same bytes <see cref="ExecuteAsync"/> sends, with <paramref name="fields"/> (<c>?fields=</c>, null when absent) applied.</summary>
    public Caching.CachedResponse ToCached(string? fields)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, CairnJson.WriterOptions))
        {
            if (fields is null) Write(writer);
            else if (FieldsPicker.Apply(ToJson(), fields) is { } picked) picked.WriteTo(writer, CairnJson.Options);
            else writer.WriteNullValue();
        }
        return new Caching.CachedResponse(buffer.WrittenSpan.ToArray(), ETag);
    }

    private void Write(Utf8JsonWriter writer)
    {
        if (_record is not null)
        {
            RecordJson.Write(writer, _record, _auth);
            return;
        }
        writer.WriteStartObject();
        writer.WriteNumber("page", _query!.Page);
        writer.WriteNumber("perPage", _query.PerPage);
        writer.WriteNumber("totalItems", _total);
        writer.WriteNumber("totalPages", TotalPages);
        writer.WriteStartArray("items");
        foreach (var item in _items!) RecordJson.Write(writer, item, _auth);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public JsonNode ToJson() => _record is not null
        ? RecordJson.ToJson(_record, _auth)
        : new JsonObject
        {
            ["page"] = _query!.Page,
            ["perPage"] = _query.PerPage,
            ["totalItems"] = _total,
            ["totalPages"] = TotalPages,
            ["items"] = new JsonArray(_items!.Select(r => (JsonNode)RecordJson.ToJson(r, _auth)).ToArray()),
        };
}
