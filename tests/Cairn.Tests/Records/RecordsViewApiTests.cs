using System.Net.Http.Headers;

namespace Cairn.Tests.Records;

/// <summary><c>GET /api/collections/{c}/records/{id}</c>: the 404 shape, ETag and <c>If-None-Match</c>.</summary>
public sealed class RecordsViewApiTests
{
    private static async Task<(TestServer Server, string Id)> StartWithRecordAsync()
    {
        var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var record = await server.CreateRecordAsync("posts", """{"title":"hello"}""");
        return (server, record.Str("id"));
    }

    [Fact]
    public async Task View_Existing_ReturnsRecordWithETag()
    {
        var (server, id) = await StartWithRecordAsync();
        await using var _ = server;
        var response = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}");
        Assert.Equal(200, response.Status);
        Assert.Equal("hello", response.Json.Str("title"));
        Assert.Equal("posts", response.Json.Str("collectionName"));
        Assert.False(string.IsNullOrEmpty(response.Headers.ETag?.Tag));
    }

    [Fact]
    public async Task View_UnknownId_Is404InErrorShape()
    {
        var (server, _) = await StartWithRecordAsync();
        await using var _ = server;
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records/aaaaaaaaaaaaaaa");
        response.AssertError(404, "The requested resource wasn't found.");
        Assert.Equal("{}", response.Json!["data"]!.ToJsonString());
    }

    [Fact]
    public async Task View_UnknownCollection_Is404MissingCollectionContext()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/nope/records/aaaaaaaaaaaaaaa");
        response.AssertError(404, "Missing collection context.");
    }

    [Fact]
    public async Task View_IfNoneMatchCurrentETag_Is304WithoutBody()
    {
        var (server, id) = await StartWithRecordAsync();
        await using var _ = server;
        var first = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}");
        var etag = first.Headers.ETag!.Tag;

        var second = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}",
            configure: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag)));

        Assert.Equal(304, second.Status);
        Assert.Equal("", second.Text);
        Assert.Equal(etag, second.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task View_IfNoneMatchAfterUpdate_Is200WithNewETag()
    {
        var (server, id) = await StartWithRecordAsync();
        await using var _ = server;
        var first = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}");
        var etag = first.Headers.ETag!.Tag;
        var update = await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{id}", TestCollections.Json("""{"title":"changed"}"""));
        Assert.Equal(200, update.Status);

        var second = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}",
            configure: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag)));

        Assert.Equal(200, second.Status);
        Assert.Equal("changed", second.Json.Str("title"));
        Assert.NotEqual(etag, second.Headers.ETag!.Tag);
        Assert.Equal(update.Headers.ETag!.Tag, second.Headers.ETag.Tag);
    }
}
