using System.Text.Json.Nodes;

namespace Cairn.Tests.Records;

/// <summary><c>DELETE /api/collections/{c}/records/{id}</c>: 204, relation cleanup, cascadeDelete and required relations (POCKETBASE_API.md 1.1, 3.2).</summary>
public sealed class RecordsDeleteApiTests
{
    private const string RequiredReference = "Failed to delete record. Make sure that the record is not part of a required relation reference.";

    /// <summary>authors, and posts whose <c>author</c> field points at authors with the given options.</summary>
    private static async Task<TestServer> StartAsync(string relationOptions)
    {
        var server = await TestServer.StartAsync();
        var authors = await server.CreatePublicAsync("authors", """[{"name":"name","type":"text"}]""");
        await server.CreatePublicAsync("posts",
            $$"""[{"name":"title","type":"text"},{"name":"author","type":"relation","collectionId":"{{authors.Str("id")}}",{{relationOptions}}}]""");
        return server;
    }

    [Fact]
    public async Task Delete_Existing_Is204WithoutBody()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var record = await server.CreateRecordAsync("posts", """{"title":"a"}""");
        var url = $"/api/collections/posts/records/{record.Str("id")}";

        var response = await server.SendAsync(HttpMethod.Delete, url);

        Assert.Equal(204, response.Status);
        Assert.Equal("", response.Text);
        (await server.SendAsync(HttpMethod.Get, url)).AssertError(404);
        (await server.SendAsync(HttpMethod.Delete, url)).AssertError(404);
    }

    [Fact]
    public async Task Delete_IfMatchStale_Is412AndKeepsTheRecord()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var created = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", TestCollections.Json("""{"title":"a"}"""));
        var url = $"/api/collections/posts/records/{created.Json.Str("id")}";
        await server.SendAsync(HttpMethod.Patch, url, TestCollections.Json("""{"title":"b"}"""));

        var delete = await server.SendAsync(HttpMethod.Delete, url, configure: r => r.Headers.IfMatch.Add(created.Headers.ETag!));

        delete.AssertError(412);
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, url)).Status);
    }

    [Fact]
    public async Task Delete_ReferencedByMultipleRelation_RemovesOnlyThatId()
    {
        await using var server = await StartAsync("\"maxSelect\":5");
        var a1 = (await server.CreateRecordAsync("authors", """{"name":"1"}""")).Str("id");
        var a2 = (await server.CreateRecordAsync("authors", """{"name":"2"}""")).Str("id");
        var post = await server.CreateRecordAsync("posts", $$"""{"title":"p","author":["{{a1}}","{{a2}}"]}""");

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/authors/records/{a1}")).Status);

        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{post.Str("id")}");
        Assert.Equal(new JsonArray(a2).ToJsonString(), view.Json!["author"]!.ToJsonString());
    }

    [Fact]
    public async Task Delete_ReferencedBySingleRelation_ClearsIt()
    {
        await using var server = await StartAsync("\"maxSelect\":1");
        var author = (await server.CreateRecordAsync("authors", """{"name":"1"}""")).Str("id");
        var post = await server.CreateRecordAsync("posts", $$"""{"title":"p","author":"{{author}}"}""");

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/authors/records/{author}")).Status);

        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{post.Str("id")}");
        Assert.Equal("", view.Json.Str("author"));
    }

    [Fact]
    public async Task Delete_CascadeDelete_DeletesReferencingRecords()
    {
        await using var server = await StartAsync("\"cascadeDelete\":true,\"required\":true");
        var author = (await server.CreateRecordAsync("authors", """{"name":"1"}""")).Str("id");
        var post = await server.CreateRecordAsync("posts", $$"""{"title":"p","author":"{{author}}"}""");

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/authors/records/{author}")).Status);

        (await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{post.Str("id")}")).AssertError(404);
    }

    [Fact]
    public async Task Delete_CascadeDeleteOfMultiple_KeepsRecordsWithOtherReferences()
    {
        await using var server = await StartAsync("\"cascadeDelete\":true,\"maxSelect\":5");
        var a1 = (await server.CreateRecordAsync("authors", """{"name":"1"}""")).Str("id");
        var a2 = (await server.CreateRecordAsync("authors", """{"name":"2"}""")).Str("id");
        var shared = await server.CreateRecordAsync("posts", $$"""{"title":"shared","author":["{{a1}}","{{a2}}"]}""");
        var only = await server.CreateRecordAsync("posts", $$"""{"title":"only","author":["{{a1}}"]}""");

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/authors/records/{a1}")).Status);

        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{shared.Str("id")}")).Status);
        (await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{only.Str("id")}")).AssertError(404);
    }

    [Fact]
    public async Task Delete_RequiredRelationWithoutCascade_Is400AndDeletesNothing()
    {
        await using var server = await StartAsync("\"required\":true");
        var author = (await server.CreateRecordAsync("authors", """{"name":"1"}""")).Str("id");
        var post = await server.CreateRecordAsync("posts", $$"""{"title":"p","author":"{{author}}"}""");

        var response = await server.SendAsync(HttpMethod.Delete, $"/api/collections/authors/records/{author}");

        response.AssertError(400, RequiredReference);
        Assert.Equal("{}", response.Json!["data"]!.ToJsonString());
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, $"/api/collections/authors/records/{author}")).Status);
        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{post.Str("id")}");
        Assert.Equal(author, view.Json.Str("author"));
    }

    [Fact]
    public async Task Delete_SelfReferenceCascade_DeletesTheWholeChain()
    {
        await using var server = await TestServer.StartAsync();
        var id = Cairn.Collections.CollectionIds.ForCollection("base", "nodes");
        await server.CreatePublicAsync("nodes", $$"""[{"name":"parent","type":"relation","collectionId":"{{id}}","cascadeDelete":true}]""");
        var root = (await server.CreateRecordAsync("nodes", "{}")).Str("id");
        var child = (await server.CreateRecordAsync("nodes", $$"""{"parent":"{{root}}"}""")).Str("id");
        await server.CreateRecordAsync("nodes", $$"""{"parent":"{{child}}"}""");

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/nodes/records/{root}")).Status);

        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/nodes/records");
        Assert.Equal(0, list.Json!["totalItems"]!.GetValue<int>());
    }
}
