using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Cairn.Tests.Records;

/// <summary><c>PATCH /api/collections/{c}/records/{id}</c>: modifiers, <c>If-Match</c> and the primary key (POCKETBASE_API.md 1.1).</summary>
public sealed class RecordsUpdateApiTests
{
    private const string Fields = """
        [{"name":"title","type":"text"},{"name":"n","type":"number"},
         {"name":"tags","type":"select","values":["a","b","c","d"],"maxSelect":4},
         {"name":"one","type":"select","values":["a","b","c"]},
         {"name":"code","type":"text","autogeneratePattern":"[0-9]{4}"}]
        """;

    private sealed record Scenario(string Name, string Initial, string Patch, Action<JsonNode> Check);

    private static readonly Scenario[] Table =
    [
        new("plain value", """{"title":"a"}""", """{"title":"b"}""", r => Assert.Equal("b", r.Str("title"))),
        new("n+ adds", """{"n":10}""", """{"n+":5}""", r => Assert.Equal(15, r["n"]!.GetValue<double>())),
        new("n- subtracts", """{"n":10}""", """{"n-":3}""", r => Assert.Equal(7, r["n"]!.GetValue<double>())),
        new("n+ with a numeric string", """{"n":1}""", """{"n+":"2.5"}""", r => Assert.Equal(3.5, r["n"]!.GetValue<double>())),
        new("n then n+ in one body", """{"n":1}""", """{"n":10,"n+":2}""", r => Assert.Equal(12, r["n"]!.GetValue<double>())),
        new("tags+ appends", """{"tags":["b"]}""", """{"tags+":"c"}""", r => Assert.Equal("""["b","c"]""", r["tags"]!.ToJsonString())),
        new("tags+ appends many, skipping present ones", """{"tags":["b"]}""", """{"tags+":["b","c","d"]}""", r => Assert.Equal("""["b","c","d"]""", r["tags"]!.ToJsonString())),
        new("+tags prepends", """{"tags":["b"]}""", """{"+tags":"a"}""", r => Assert.Equal("""["a","b"]""", r["tags"]!.ToJsonString())),
        new("tags- removes", """{"tags":["a","b","c"]}""", """{"tags-":["a","c"]}""", r => Assert.Equal("""["b"]""", r["tags"]!.ToJsonString())),
        new("tags- of everything leaves an empty list", """{"tags":["b"]}""", """{"tags-":"b"}""", r => Assert.Equal("[]", r["tags"]!.ToJsonString())),
        new("one+ on a single select replaces", """{"one":"a"}""", """{"one+":"b"}""", r => Assert.Equal("b", r.Str("one"))),
        new("one- clears a single select", """{"one":"a"}""", """{"one-":"a"}""", r => Assert.Equal("", r.Str("one"))),
        new("code:autogenerate", """{"code":"x"}""", """{"code:autogenerate":"pre-"}""", r => Assert.Matches("^pre-[0-9]{4}$", r.Str("code"))),
        new("unknown keys are ignored", """{"title":"a"}""", """{"nope":1,"nope+":2}""", r => Assert.Equal("a", r.Str("title"))),
    ];

    public static TheoryData<string> Scenarios() => new(Table.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Update_Scenario(string name)
    {
        var scenario = Table.Single(s => s.Name == name);
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var record = await server.CreateRecordAsync("posts", scenario.Initial);
        var url = $"/api/collections/posts/records/{record.Str("id")}";

        var response = await server.SendAsync(HttpMethod.Patch, url, TestCollections.Json(scenario.Patch));

        Assert.True(response.Status == 200, response.Text);
        scenario.Check(response.Json!);
        // What was answered is what was stored.
        var view = await server.SendAsync(HttpMethod.Get, url);
        scenario.Check(view.Json!);
        Assert.Equal(response.Headers.ETag!.Tag, view.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Update_ChangesUpdatedButNotCreated()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var record = await server.CreateRecordAsync("posts", """{"title":"a"}""");
        await Task.Delay(5, TestContext.Current.CancellationToken); // dates have millisecond precision
        var response = await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{record.Str("id")}",
            TestCollections.Json("""{"title":"b","created":"2000-01-01 00:00:00.000Z"}"""));
        Assert.Equal(record.Str("created"), response.Json.Str("created"));
        Assert.NotEqual(record.Str("updated"), response.Json.Str("updated"));
    }

    [Fact]
    public async Task Update_IfMatchCurrent_Is200_AndStale_Is412()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var created = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", TestCollections.Json("""{"title":"a"}"""));
        var url = $"/api/collections/posts/records/{created.Json.Str("id")}";
        var etag = created.Headers.ETag!;

        var first = await server.SendAsync(HttpMethod.Patch, url, TestCollections.Json("""{"title":"b"}"""), configure: r => r.Headers.IfMatch.Add(etag));
        var stale = await server.SendAsync(HttpMethod.Patch, url, TestCollections.Json("""{"title":"c"}"""), configure: r => r.Headers.IfMatch.Add(etag));

        Assert.Equal(200, first.Status);
        stale.AssertError(412);
        var view = await server.SendAsync(HttpMethod.Get, url);
        Assert.Equal("b", view.Json.Str("title"));
    }

    [Fact]
    public async Task Update_ChangedId_IsPkChange()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var record = await server.CreateRecordAsync("posts", """{"title":"a"}""");
        var response = await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{record.Str("id")}",
            TestCollections.Json("""{"id":"abcdefghij12345","title":"b"}"""));
        response.AssertFieldError("Failed to update record.", "id", "validation_pk_change");
    }

    [Fact]
    public async Task Update_SameIdInBody_IsAccepted()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var record = await server.CreateRecordAsync("posts", """{"title":"a"}""");
        var response = await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{record.Str("id")}",
            new JsonObject { ["id"] = record.Str("id"), ["title"] = "b" });
        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Update_InvalidValue_IsFailedToUpdate()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var record = await server.CreateRecordAsync("posts", """{"title":"a"}""");
        var response = await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{record.Str("id")}",
            TestCollections.Json("""{"tags+":"zzz"}"""));
        response.AssertFieldError("Failed to update record.", "tags", "validation_invalid_value");
    }

    [Fact]
    public async Task Update_UnknownId_Is404()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var response = await server.SendAsync(HttpMethod.Patch, "/api/collections/posts/records/aaaaaaaaaaaaaaa", TestCollections.Json("""{"title":"b"}"""));
        response.AssertError(404);
    }

    [Fact]
    public async Task Update_ReturnsNewETag()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", Fields);
        var created = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", TestCollections.Json("""{"title":"a"}"""));
        var updated = await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{created.Json.Str("id")}",
            TestCollections.Json("""{"title":"b"}"""), configure: r => r.Headers.IfMatch.Add(EntityTagHeaderValue.Any));
        Assert.Equal(200, updated.Status);
        Assert.NotEqual(created.Headers.ETag!.Tag, updated.Headers.ETag!.Tag);
    }
}
