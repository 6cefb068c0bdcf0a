using System.Text.Json.Nodes;
using Cairn.Collections;

namespace Cairn.Tests.Records;

/// <summary>API rules on the record routes: <c>null</c> is superusers only (403), <c>""</c> is public (POCKETBASE_API.md 1.1, 2.5).</summary>
public sealed class RecordsRulesApiTests
{
    public static TheoryData<string, string, bool> Routes() => new()
    {
        { "GET", "", false },
        { "GET", "/{id}", false },
        { "POST", "", true },
        { "PATCH", "/{id}", true },
        { "DELETE", "/{id}", false },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task LockedRule_Guest_Is403(string method, string suffix, bool withBody)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"secrets","fields":[{"name":"title","type":"text"}]}"""));
        var record = await server.CreateRecordAsync("secrets", """{"title":"a"}""");

        var response = await server.SendAsync(new HttpMethod(method), "/api/collections/secrets/records" + suffix.Replace("{id}", record.Str("id")),
            withBody ? TestCollections.Json("""{"title":"b"}""") : null);

        response.AssertError(403, "Only superusers can perform this action.");
        var after = await server.AsSuperuser(HttpMethod.Get, $"/api/collections/secrets/records/{record.Str("id")}");
        Assert.Equal("a", after.Json.Str("title"));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task LockedRule_AuthenticatedUser_Is403(string method, string suffix, bool withBody)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (_, token) = await server.CreateUserAsync("u@example.com");
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"secrets","fields":[{"name":"title","type":"text"}]}"""));
        var record = await server.CreateRecordAsync("secrets", """{"title":"a"}""");

        var response = await server.SendAsync(new HttpMethod(method), "/api/collections/secrets/records" + suffix.Replace("{id}", record.Str("id")),
            withBody ? TestCollections.Json("""{"title":"b"}""") : null, token);

        response.AssertError(403);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task LockedRule_Superuser_IsAllowed(string method, string suffix, bool withBody)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"secrets","fields":[{"name":"title","type":"text"}]}"""));
        var record = await server.CreateRecordAsync("secrets", """{"title":"a"}""");

        var response = await server.SendAsync(new HttpMethod(method), "/api/collections/secrets/records" + suffix.Replace("{id}", record.Str("id")),
            withBody ? TestCollections.Json("""{"title":"b"}""") : null, server.SuperuserToken);

        Assert.True(response.Status is 200 or 204, response.Text);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task PublicRule_Guest_IsAllowed(string method, string suffix, bool withBody)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var record = await server.CreateRecordAsync("posts", """{"title":"a"}""");

        var response = await server.SendAsync(new HttpMethod(method), "/api/collections/posts/records" + suffix.Replace("{id}", record.Str("id")),
            withBody ? TestCollections.Json("""{"title":"b"}""") : null);

        Assert.True(response.Status is 200 or 204, response.Text);
    }

    [Fact]
    public async Task LockedRule_UnknownRecord_Is403BeforeLookup()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"secrets"}"""));
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/secrets/records/aaaaaaaaaaaaaaa");
        response.AssertError(403);
    }

    [Theory]
    [InlineData("POST", "")]
    [InlineData("PATCH", "/aaaaaaaaaaaaaaa")]
    [InlineData("DELETE", "/aaaaaaaaaaaaaaa")]
    public async Task ViewCollection_Write_Is400UnsupportedCollectionType(string method, string suffix)
    {
        await using var server = await TestServer.StartAsync();
        // The collections API does not create view collections yet, so the view is placed in the schema cache directly.
        var registry = server.Service<CollectionRegistry>();
        var view = new Collection { Id = "pbc_1000000001", Name = "stats", Type = Collection.View, ViewQuery = "SELECT id FROM _superusers", CreateRule = "", UpdateRule = "", DeleteRule = "" };
        view.Fields.Add(CollectionScaffolds.IdField());
        registry.Replace(registry.All.Append(view));

        var response = await server.SendAsync(new HttpMethod(method), "/api/collections/stats/records" + suffix, method == "DELETE" ? null : new JsonObject());

        response.AssertError(400, "Unsupported collection type.");
    }
}
