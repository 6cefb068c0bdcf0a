using System.Text.Json.Nodes;

namespace Cairn.Tests.Records;

/// <summary><c>GET /api/collections/{c}/records</c>: paging, sort, skipTotal and the fields picker (POCKETBASE_API.md 1.1, 0.3).</summary>
public sealed class RecordsListApiTests
{
    private sealed record Scenario(string Name, string Query, bool AsSuperuser, int Status, Action<ApiResponse>? Check = null);

    private static readonly string[] Seeded = ["b", "a", "c", "d"];

    // Scenarios are looked up by name so that each one is its own, readable test case.
    private static readonly Scenario[] Table =
    [
        new Scenario("defaults", "", false, 200, r =>
        {
            Assert.Equal(1, r.Json!["page"]!.GetValue<int>());
            Assert.Equal(30, r.Json["perPage"]!.GetValue<int>());
            Assert.Equal(4, r.Json["totalItems"]!.GetValue<int>());
            Assert.Equal(1, r.Json["totalPages"]!.GetValue<int>());
            Assert.Equal(Seeded, r.Titles());
        }),
        new Scenario("perPage clamped to 1000 and echoed", "?perPage=5000", false, 200, r => Assert.Equal(1000, r.Json!["perPage"]!.GetValue<int>())),
        new Scenario("perPage 0 becomes 30", "?perPage=0", false, 200, r => Assert.Equal(30, r.Json!["perPage"]!.GetValue<int>())),
        new Scenario("page 0 becomes 1", "?page=0", false, 200, r => Assert.Equal(1, r.Json!["page"]!.GetValue<int>())),
        new Scenario("negative page becomes 1", "?page=-3", false, 200, r => Assert.Equal(1, r.Json!["page"]!.GetValue<int>())),
        new Scenario("non-integer page", "?page=abc", false, 400),
        new Scenario("decimal page", "?page=1.5", false, 400),
        new Scenario("non-integer perPage", "?perPage=x", false, 400),
        new Scenario("paging and totals", "?perPage=3&page=2", false, 200, r =>
        {
            Assert.Equal(2, r.Json!["page"]!.GetValue<int>());
            Assert.Equal(4, r.Json["totalItems"]!.GetValue<int>());
            Assert.Equal(2, r.Json["totalPages"]!.GetValue<int>());
            Assert.Equal(["d"], r.Titles());
        }),
        new Scenario("page past the end", "?page=9", false, 200, r => Assert.Empty(r.Json!["items"]!.AsArray())),
        new Scenario("sort descending", "?sort=-n", false, 200, r =>
        {
            var titles = r.Titles().ToArray();
            Assert.Equal("a", titles[0]);
            Assert.Equal(["b", "d"], titles[1..3].Order());
            Assert.Equal("c", titles[3]);
        }),
        new Scenario("sort with + prefix", "?sort=%2Btitle", false, 200, r => Assert.Equal(["a", "b", "c", "d"], r.Titles())),
        new Scenario("sort bare field", "?sort=title", false, 200, r => Assert.Equal(["a", "b", "c", "d"], r.Titles())),
        new Scenario("sort multiple", "?sort=-n,title", false, 200, r => Assert.Equal(["a", "b", "d", "c"], r.Titles())),
        new Scenario("sort multiple descending", "?sort=-n,-title", false, 200, r => Assert.Equal(["a", "d", "b", "c"], r.Titles())),
        new Scenario("sort @rowid", "?sort=@rowid", false, 200, r => Assert.Equal(Seeded, r.Titles())),
        new Scenario("sort -@rowid", "?sort=-@rowid", false, 200, r => Assert.Equal(Seeded.Reverse(), r.Titles())),
        new Scenario("sort @random", "?sort=@random", false, 200, r => Assert.Equal(Seeded.Order(), r.Titles().Order())),
        new Scenario("unknown sort field", "?sort=nope", false, 400),
        new Scenario("hidden field sort by a guest", "?sort=secret", false, 400),
        new Scenario("hidden field sort by a superuser", "?sort=-secret", true, 200, r => Assert.Equal(["d", "c", "a", "b"], r.Titles())),
        new Scenario("more than 8 sort terms", "?sort=" + string.Join(",", Enumerable.Repeat("title", 9)), false, 400),
        new Scenario("skipTotal=1", "?skipTotal=1", false, 200, r =>
        {
            Assert.Equal(-1, r.Json!["totalItems"]!.GetValue<int>());
            Assert.Equal(-1, r.Json["totalPages"]!.GetValue<int>());
            Assert.Equal(4, r.Json["items"]!.AsArray().Count);
        }),
        new Scenario("skipTotal=true", "?skipTotal=true", false, 200, r => Assert.Equal(-1, r.Json!["totalItems"]!.GetValue<int>())),
        new Scenario("skipTotal=0 counts", "?skipTotal=0", false, 200, r => Assert.Equal(4, r.Json!["totalItems"]!.GetValue<int>())),
        new Scenario("fields picks item keys and keeps the envelope", "?fields=title", false, 200, r =>
        {
            Assert.Equal(["page", "perPage", "totalItems", "totalPages", "items"], r.Json!.AsObject().Select(p => p.Key));
            Assert.All(r.Json["items"]!.AsArray(), i => Assert.Equal(["title"], i!.AsObject().Select(p => p.Key)));
        }),
        new Scenario("fields with excerpt", "?fields=title,body:excerpt(10,true)&sort=title", false, 200, r =>
        {
            var first = r.Json!["items"]![0]!;
            Assert.Equal("Hello wond...", first.Str("body"));
            Assert.Equal(["title", "body"], first.AsObject().Select(p => p.Key));
        }),
        new Scenario("fields with excerpt without ellipsis", "?fields=body:excerpt(5)&sort=title", false, 200, r => Assert.Equal("Hello", r.Json!["items"]![0].Str("body"))),
        new Scenario("fields star", "?fields=*&perPage=1", false, 200, r => Assert.Contains("collectionName", r.Json!["items"]![0]!.AsObject().Select(p => p.Key))),
        new Scenario("hidden field not output to guests", "", false, 200, r => Assert.All(r.Json!["items"]!.AsArray(), i => Assert.False(i!.AsObject().ContainsKey("secret")))),
        new Scenario("hidden field output to superusers", "", true, 200, r => Assert.All(r.Json!["items"]!.AsArray(), i => Assert.True(i!.AsObject().ContainsKey("secret")))),
    ];

    public static TheoryData<string> Scenarios() => new(Table.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task List_Scenario(string name)
    {
        var scenario = Table.Single(s => s.Name == name);
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """
            [{"name":"title","type":"text"},{"name":"n","type":"number"},{"name":"body","type":"editor"},
             {"name":"secret","type":"text","hidden":true}]
            """);
        // Inserted in this order: @rowid order is b, a, c, d.
        foreach (var (title, n, secret) in new[] { ("b", 2, "1"), ("a", 3, "2"), ("c", 1, "3"), ("d", 2, "4") })
            await server.CreateRecordAsync("posts", $$"""{"title":"{{title}}","n":{{n}},"secret":"{{secret}}","body":"<p>Hello <b>wonderful</b> world</p>"}""");

        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records" + scenario.Query,
            token: scenario.AsSuperuser ? server.SuperuserToken : null);

        if (scenario.Status != 200) response.AssertError(scenario.Status);
        else Assert.True(response.Status == 200, response.Text);
        scenario.Check?.Invoke(response);
    }

    [Fact]
    public async Task List_ExcerptOfEmoji_CountsCharactersNotUtf16Units()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        await server.CreateRecordAsync("posts", """{"title":"😀😀😀"}""");
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?fields=title:excerpt(1,true)");
        Assert.Equal("😀...", response.Json!["items"]![0].Str("title"));
    }

    [Fact]
    public async Task List_UnknownCollection_Is404MissingCollectionContext()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/nope/records");
        response.AssertError(404, "Missing collection context.");
    }

    [Fact]
    public async Task List_ByCollectionId_Works()
    {
        await using var server = await TestServer.StartAsync();
        var collection = await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        await server.CreateRecordAsync("posts", """{"title":"x"}""");
        var response = await server.SendAsync(HttpMethod.Get, $"/api/collections/{collection.Str("id")}/records");
        Assert.Equal(200, response.Status);
        var item = response.Json!["items"]![0]!;
        Assert.Equal(collection.Str("id"), item.Str("collectionId"));
        Assert.Equal("posts", item.Str("collectionName"));
    }
}
