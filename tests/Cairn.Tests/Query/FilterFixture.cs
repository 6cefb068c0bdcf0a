using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Query;

/// <summary>
/// One server seeded once for the read-only filter scenarios: users Ann (email visible), Bob and Cy;
/// posts k1–k4 over every field kind; comments on k1 and k2; an empty collection for @collection.
/// The users list rule lets anyone list Ann, and each user list themselves.
/// </summary>
public sealed class FilterFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public Dictionary<string, string> UserIds { get; } = [];
    public Dictionary<string, string> UserTokens { get; } = [];
    public Dictionary<string, string> PostIds { get; } = [];

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        await Server.CreateCollectionAsync(TestCollections.Json("""
            {"name":"users","type":"auth","listRule":"name = 'Ann' || id = @request.auth.id","viewRule":"","createRule":"","updateRule":null,"deleteRule":null,
             "fields":[{"name":"name","type":"text"}]}
            """));
        foreach (var (name, visible) in new[] { ("Ann", true), ("Bob", false), ("Cy", false) })
        {
            var email = name.ToLowerInvariant() + "@example.com";
            var user = await Server.CreateRecordAsync("users",
                $$"""{"name":"{{name}}","email":"{{email}}","emailVisibility":{{(visible ? "true" : "false")}},"password":"password123","passwordConfirm":"password123"}""");
            UserIds[name] = user.Str("id");
            var auth = await Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json($$"""{"identity":"{{email}}","password":"password123"}"""));
            UserTokens[name] = auth.Json!.Str("token");
        }
        var usersId = (await Server.AsSuperuser(HttpMethod.Get, "/api/collections/users")).Json!.Str("id");
        await Server.CreatePublicAsync("posts", $$"""
            [{"name":"key","type":"text"},{"name":"title","type":"text"},{"name":"n","type":"number"},{"name":"flag","type":"bool"},
             {"name":"tags","type":"select","maxSelect":3,"values":["a","b","c"]},
             {"name":"author","type":"relation","collectionId":"{{usersId}}","maxSelect":1},
             {"name":"members","type":"relation","collectionId":"{{usersId}}","maxSelect":5},
             {"name":"meta","type":"json"},{"name":"loc","type":"geoPoint"},{"name":"secret","type":"text","hidden":true},
             {"name":"created","type":"autodate","onCreate":true}]
            """);
        var (ann, bob, cy) = (UserIds["Ann"], UserIds["Bob"], UserIds["Cy"]);
        var posts = new[]
        {
            $$"""{"key":"k1","title":"Hello Cairn","n":1,"flag":true,"tags":["a","b"],"author":"{{ann}}","members":["{{ann}}","{{bob}}"],"meta":{"items":[{"name":"x"}],"k":5},"loc":{"lon":0,"lat":0},"secret":"s1"}""",
            $$$"""{"key":"k2","title":"second post","n":2,"flag":false,"tags":["a"],"author":"{{{bob}}}","members":["{{{bob}}}"],"loc":{"lon":10,"lat":10}}""",
            """{"key":"k3","title":"100%_done\\","n":3,"flag":false,"tags":[],"author":"","members":[],"meta":{"k":"v"}}""",
            $$"""{"key":"k4","title":"","n":0,"tags":["c"],"author":"{{ann}}","members":["{{cy}}"]}""",
        };
        foreach (var post in posts)
        {
            var created = await Server.CreateRecordAsync("posts", post);
            PostIds[created.Str("key")] = created.Str("id");
        }
        var postsId = (await Server.AsSuperuser(HttpMethod.Get, "/api/collections/posts")).Json!.Str("id");
        await Server.CreatePublicAsync("comments", $$"""[{"name":"post","type":"relation","collectionId":"{{postsId}}","maxSelect":1},{"name":"message","type":"text"}]""");
        foreach (var (post, message) in new[] { ("k1", "hi there"), ("k1", "bye"), ("k2", "hi") })
            await Server.CreateRecordAsync("comments", $$"""{"post":"{{PostIds[post]}}","message":"{{message}}"}""");
        await Server.CreateCollectionAsync(TestCollections.Json("""{"name":"nothing","fields":[{"name":"x","type":"text"}]}"""));
    }

    /// <summary>The keys of the posts a list request returns, in response order.</summary>
    public async Task<(int Status, string[] Keys, ApiResponse Response)> ListAsync(string query, string? token, Action<HttpRequestMessage>? configure = null)
    {
        var response = await Server.SendAsync(HttpMethod.Get, "/api/collections/posts/records" + query, token: token, configure: configure);
        var keys = response.Status == 200 ? response.Json!["items"]!.AsArray().Select(i => i!.Str("key")).ToArray() : [];
        return (response.Status, keys, response);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
