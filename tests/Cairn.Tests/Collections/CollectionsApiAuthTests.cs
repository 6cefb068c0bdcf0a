using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// Every collections route is superuser-only (POCKETBASE_API.md 1.6): a guest (or an invalid token) gets 401,
/// a regular auth record 403, a superuser success, and a refused request changes nothing.
/// </summary>
public sealed class CollectionsApiAuthTests
{
    private static readonly (string Route, HttpMethod Method, string Url, string? Body, int Status)[] Routes =
    [
        ("List", HttpMethod.Get, "/api/collections", null, 200),
        ("Scaffolds", HttpMethod.Get, "/api/collections/meta/scaffolds", null, 200),
        ("Import", HttpMethod.Put, "/api/collections/import", """{"collections":[{"name":"imported"}]}""", 204),
        ("View", HttpMethod.Get, "/api/collections/posts", null, 200),
        ("Create", HttpMethod.Post, "/api/collections", """{"name":"articles"}""", 200),
        ("Update", HttpMethod.Patch, "/api/collections/posts", """{"listRule":""}""", 200),
        ("Delete", HttpMethod.Delete, "/api/collections/posts", null, 204),
        ("Truncate", HttpMethod.Delete, "/api/collections/posts/truncate", null, 204),
    ];

    public static TheoryData<ApiScenario> Scenarios()
    {
        var data = new TheoryData<ApiScenario>();
        foreach (var (route, method, url, body, status) in Routes)
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var refused = caller switch { Caller.Superuser => 0, Caller.User => 403, _ => 401 };
            data.Add(new ApiScenario($"{route}_{caller}_Returns{(refused == 0 ? status : refused)}", method, url)
            {
                Body = body is null ? null : Obj(body),
                Caller = caller,
                Status = refused == 0 ? status : refused,
                Setup = SeedPostsAsync,
                Verify = refused == 0 ? null : (server, _) => AssertUnchangedAsync(server),
            });
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Route_Caller_IsSuperuserOnly(ApiScenario scenario) => scenario.RunAsync();

    [Fact]
    public async Task Refused_Guest_GetsPocketBaseMessage()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections");
        Assert.Equal(401, response.Status);
        Assert.Equal("The request requires valid superuser authorization token.", response.Json!["message"]!.GetValue<string>());
        Assert.Equal("{}", response.Json["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Refused_User_GetsPocketBaseMessage()
    {
        await using var server = await TestServer.StartAsync();
        var token = await server.CreateUserTokenAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections", token: token);
        Assert.Equal(403, response.Status);
        Assert.Equal("The authorized record is not allowed to perform this action.", response.Json!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bearer_SuperuserToken_IsAccepted()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections", token: "Bearer " + server.SuperuserToken);
        Assert.Equal(200, response.Status);
    }

    private static async Task SeedPostsAsync(TestServer server)
    {
        await server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"title","type":"text"}]}"""));
        await server.CreateRecordAsync("posts", Obj("""{"title":"kept"}"""));
    }

    private static async Task AssertUnchangedAsync(TestServer server)
    {
        var posts = await server.CollectionAsync("posts");
        Assert.Null(posts["listRule"]);
        Assert.Single(await server.RecordsAsync("posts"));
        await server.AssertNoCollectionAsync("articles");
        await server.AssertNoCollectionAsync("imported");
    }
}
