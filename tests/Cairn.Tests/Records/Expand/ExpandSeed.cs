using System.Text.Json.Nodes;

namespace Cairn.Tests.Records.Expand;

/// <summary>
/// The schema the expand scenarios share: teams ← users (auth, with a hidden field) ← posts → tags (multiple),
/// posts → posts (parent), posts → locked (viewRule null), comments → posts, profiles → posts (uniquely indexed).
/// </summary>
internal sealed class ExpandSeed
{
    public required TestServer Server { get; init; }
    public required string Team { get; init; }
    public required string Ann { get; init; }
    public required string Bob { get; init; }
    public required string TagA { get; init; }
    public required string TagB { get; init; }
    public required string Secret { get; init; }
    public required string Post { get; init; }
    public required string Reply { get; init; }
    public required string Comment1 { get; init; }
    public required string Comment2 { get; init; }
    public required string Profile { get; init; }

    public static async Task<ExpandSeed> CreateAsync(TestServer server)
    {
        await server.CreatePublicAsync("teams", """[{"name":"name","type":"text"}]""");
        var teamsId = await IdOf(server, "teams");
        await server.CreateCollectionAsync(TestCollections.Json($$"""
            {"name":"users","type":"auth","listRule":"","viewRule":"","createRule":"","updateRule":"","deleteRule":null,
             "fields":[{"name":"name","type":"text"},{"name":"secret","type":"text","hidden":true},
                       {"name":"team","type":"relation","collectionId":"{{teamsId}}","maxSelect":1},
                       {"name":"hiddenTeam","type":"relation","collectionId":"{{teamsId}}","maxSelect":1,"hidden":true}]}
            """));
        await server.CreatePublicAsync("tags", """[{"name":"name","type":"text"}]""");
        var locked = TestCollections.Json("""{"name":"locked","listRule":null,"viewRule":null,"fields":[{"name":"name","type":"text"}]}""");
        await server.CreateCollectionAsync(locked);
        var (usersId, tagsId, lockedId) = (await IdOf(server, "users"), await IdOf(server, "tags"), await IdOf(server, "locked"));
        await server.CreatePublicAsync("posts", $$"""
            [{"name":"title","type":"text"},
             {"name":"author","type":"relation","collectionId":"{{usersId}}","maxSelect":1},
             {"name":"tags","type":"relation","collectionId":"{{tagsId}}","maxSelect":5},
             {"name":"secret","type":"relation","collectionId":"{{lockedId}}","maxSelect":1}]
            """);
        // A self-relation needs the collection's id, so it is added once the collection exists (fields are sent whole).
        var posts = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts")).Json!.AsObject();
        var fields = posts["fields"]!.AsArray();
        fields.Add(TestCollections.Json($$"""{"name":"parent","type":"relation","collectionId":"{{posts.Str("id")}}","maxSelect":1}"""));
        var postsId = posts.Str("id");
        var patch = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/posts", new JsonObject { ["fields"] = fields.DeepClone() });
        Assert.True(patch.Status == 200, patch.Text);
        await server.CreatePublicAsync("comments", $$"""
            [{"name":"message","type":"text"},{"name":"post","type":"relation","collectionId":"{{postsId}}","maxSelect":1}]
            """);
        await server.CreatePublicAsync("profiles", $$"""
            [{"name":"bio","type":"text"},{"name":"post","type":"relation","collectionId":"{{postsId}}","maxSelect":1}]
            """, indexesJson: """["CREATE UNIQUE INDEX idx_profiles_post ON profiles (post)"]""");

        var team = (await server.CreateRecordAsync("teams", """{"name":"core"}""")).Str("id");
        var ann = (await server.CreateRecordAsync("users", $$"""
            {"email":"ann@example.com","password":"password123","passwordConfirm":"password123","name":"Ann","secret":"s1","team":"{{team}}","hiddenTeam":"{{team}}","emailVisibility":true}
            """)).Str("id");
        var bob = (await server.CreateRecordAsync("users",
            """{"email":"bob@example.com","password":"password123","passwordConfirm":"password123","name":"Bob","secret":"s2"}""")).Str("id");
        var tagA = (await server.CreateRecordAsync("tags", """{"name":"a"}""")).Str("id");
        var tagB = (await server.CreateRecordAsync("tags", """{"name":"b"}""")).Str("id");
        var secret = (await server.CreateRecordAsync("locked", """{"name":"hush"}""")).Str("id");
        var post = (await server.CreateRecordAsync("posts", $$"""
            {"title":"hello","author":"{{ann}}","tags":["{{tagB}}","{{tagA}}"],"secret":"{{secret}}"}
            """)).Str("id");
        var reply = (await server.CreateRecordAsync("posts", $$"""{"title":"re","author":"{{bob}}","parent":"{{post}}"}""")).Str("id");
        var c1 = (await server.CreateRecordAsync("comments", $$"""{"message":"one","post":"{{post}}"}""")).Str("id");
        var c2 = (await server.CreateRecordAsync("comments", $$"""{"message":"two","post":"{{post}}"}""")).Str("id");
        var profile = (await server.CreateRecordAsync("profiles", $$"""{"bio":"about","post":"{{post}}"}""")).Str("id");
        return new ExpandSeed
        {
            Server = server, Team = team, Ann = ann, Bob = bob, TagA = tagA, TagB = tagB, Secret = secret,
            Post = post, Reply = reply, Comment1 = c1, Comment2 = c2, Profile = profile,
        };
    }

    private static async Task<string> IdOf(TestServer server, string name) =>
        (await server.AsSuperuser(HttpMethod.Get, "/api/collections/" + name)).Json.Str("id");

    public Task<ApiResponse> GetAsync(string url, string? token = null) => Server.SendAsync(HttpMethod.Get, url, token: token);

    public Task<ApiResponse> ViewPostAsync(string query, string? token = null) => GetAsync($"/api/collections/posts/records/{Post}?{query}", token);

    public static JsonNode? At(ApiResponse response, string path) => Collections.ApiScenario.At(response.Json, path);
}
