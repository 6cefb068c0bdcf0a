using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Rules;

/// <summary>
/// Rules × principals × operations (POCKETBASE_API.md 2.5): every cell's status code and, for lists, the
/// visible ids, compared with a table written by hand from the rule texts, not from the implementation.
/// </summary>
public sealed class AuthorizationMatrixTests
{
    private const string A = "recaaaaaaaaaaaa", B = "recbbbbbbbbbbbb";
    private const string Owner = "owner0000000000", Other = "other0000000000", StaffUser = "staff0000000000";

    /// <summary>Each collection gets the same rule for list, view, create, update and delete unless noted.</summary>
    private static readonly (string Name, string? List, string? View, string? Create, string? Update, string? Delete, string CreateBody, string UpdateBody)[] Collections =
    [
        ("locked", null, null, null, null, null, """{"title":"new"}""", """{"title":"changed"}"""),
        ("public", "", "", "", "", "", """{"title":"new"}""", """{"title":"changed"}"""),
        ("owned", Rule("author = @request.auth.id"), Rule("author = @request.auth.id"), Rule("author = @request.auth.id"), Rule("author = @request.auth.id"), Rule("author = @request.auth.id"),
            $$"""{"title":"new","author":"{{Owner}}"}""", """{"title":"changed"}"""),
        ("shared", Rule("members.id ?= @request.auth.id"), Rule("members.id ?= @request.auth.id"), Rule("members.id ?= @request.auth.id"), Rule("members.id ?= @request.auth.id"), Rule("members.id ?= @request.auth.id"),
            $$"""{"title":"new","members":["{{Owner}}"]}""", """{"title":"changed"}"""),
        ("joined", Rule(Joined), Rule(Joined), Rule(Joined), Rule(Joined), Rule(Joined), """{"title":"new"}""", """{"title":"changed"}"""),
        ("guarded", "", "", Rule(BodyGuard), Rule(BodyGuard), Rule("status = 'draft'"), """{"title":"new","status":"published"}""", """{"status":"published"}"""),
    ];

    private const string Joined = "@collection.grants.user ?= @request.auth.id && @collection.grants.doc ?= id";
    private const string BodyGuard = "@request.body.status:isset = false || @request.body.status = 'draft'";

    private static string Rule(string text) => text;

    /// <summary>collection, principal → list ids ("-" none, or the status when refused), view, create, update, delete, batch (the create inside the batch).</summary>
    private static readonly string[] Expected =
    [
        "locked guest    403 403 403 403 403 403",
        "locked owner    403 403 403 403 403 403",
        "locked other    403 403 403 403 403 403",
        "locked staff    403 403 403 403 403 403",
        "locked super    AB 200 200 200 204 200",
        "public guest    AB 200 200 200 204 200",
        "public owner    AB 200 200 200 204 200",
        "public other    AB 200 200 200 204 200",
        "public staff    AB 200 200 200 204 200",
        "public super    AB 200 200 200 204 200",
        "owned guest     - 404 400 404 404 400",
        "owned owner     A 200 200 200 204 200",
        "owned other     B 404 400 404 404 400",
        "owned staff     - 404 400 404 404 400",
        "owned super     AB 200 200 200 204 200",
        "shared guest    - 404 400 404 404 400",
        "shared owner    A 200 200 200 204 200",
        "shared other    B 404 400 404 404 400",
        "shared staff    - 404 400 404 404 400",
        "shared super    AB 200 200 200 204 200",
        "joined guest    - 404 400 404 404 400",
        "joined owner    A 200 400 200 204 400",
        "joined other    - 404 400 404 404 400",
        "joined staff    - 404 400 404 404 400",
        "joined super    AB 200 200 200 204 200",
        "guarded guest   AB 200 400 404 204 400",
        "guarded owner   AB 200 400 404 204 400",
        "guarded other   AB 200 400 404 204 400",
        "guarded staff   AB 200 400 404 204 400",
        "guarded super   AB 200 200 200 204 200",
    ];

    [Theory]
    [InlineData("guest")]
    [InlineData("owner")]
    [InlineData("other")]
    [InlineData("staff")]
    [InlineData("super")]
    public async Task Matrix_EveryCell_MatchesTheExpectation(string principal)
    {
        await using var server = await TestServer.StartAsync();
        var token = await SetUpAsync(server, principal);
        var mismatches = new List<string>();
        foreach (var c in Collections)
        {
            var expected = Expected.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Single(l => l[0] == c.Name && l[1] == principal);
            var url = $"/api/collections/{c.Name}/records";

            var list = await server.SendAsync(HttpMethod.Get, url + "?sort=@rowid", token: token);
            var listed = list.Status == 200 ? string.Concat(list.Json!["items"]!.AsArray().Select(i => i.Str("id") == A ? "A" : i.Str("id") == B ? "B" : "?")) : list.Status.ToString();
            if (listed.Length == 0) listed = "-";
            Check("list", expected[2], listed);

            Check("view", expected[3], (await server.SendAsync(HttpMethod.Get, $"{url}/{A}", token: token)).Status.ToString());
            Check("create", expected[4], (await server.SendAsync(HttpMethod.Post, url, TestCollections.Json(c.CreateBody), token)).Status.ToString());
            var batch = await server.SendAsync(HttpMethod.Post, "/api/batch", new JsonObject
            {
                ["requests"] = new JsonArray(new JsonObject { ["method"] = "POST", ["url"] = url, ["body"] = TestCollections.Json(c.CreateBody) }),
            }, token);
            var batchStatus = batch.Status == 200 ? "200" : batch.Json?["data"]?["requests"]?["0"]?["response"]?["status"]?.ToString() ?? $"batch {batch.Status}";
            Check("batch", expected[7], batchStatus);
            Check("update", expected[5], (await server.SendAsync(HttpMethod.Patch, $"{url}/{A}", TestCollections.Json(c.UpdateBody), token)).Status.ToString());
            Check("delete", expected[6], (await server.SendAsync(HttpMethod.Delete, $"{url}/{A}", token: token)).Status.ToString());

            void Check(string operation, string want, string got)
            {
                if (want != got) mismatches.Add($"{c.Name}/{principal} {operation}: expected {want}, got {got}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static async Task<string?> SetUpAsync(TestServer server, string principal)
    {
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"users","type":"auth"}"""));
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"staff","type":"auth"}"""));
        foreach (var (collection, id) in new[] { ("users", Owner), ("users", Other), ("staff", StaffUser) })
            await server.CreateRecordAsync(collection, $$"""{"id":"{{id}}","email":"{{id}}@example.com","password":"password123","passwordConfirm":"password123"}""");
        var usersId = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/users")).Json!.Str("id");
        await server.CreatePublicAsync("grants", $$"""[{"name":"user","type":"relation","collectionId":"{{usersId}}"},{"name":"doc","type":"text"}]""");
        await server.CreateRecordAsync("grants", $$"""{"user":"{{Owner}}","doc":"{{A}}"}""");
        foreach (var c in Collections)
        {
            var body = new JsonObject
            {
                ["name"] = c.Name,
                ["listRule"] = c.List, ["viewRule"] = c.View, ["createRule"] = c.Create, ["updateRule"] = c.Update, ["deleteRule"] = c.Delete,
                ["fields"] = JsonNode.Parse($$"""
                    [{"name":"title","type":"text"},{"name":"status","type":"text"},
                     {"name":"author","type":"relation","collectionId":"{{usersId}}"},
                     {"name":"members","type":"relation","collectionId":"{{usersId}}","maxSelect":9}]
                    """),
            };
            await server.CreateCollectionAsync(body);
            await server.CreateRecordAsync(c.Name, $$"""{"id":"{{A}}","title":"a","status":"draft","author":"{{Owner}}","members":["{{Owner}}"]}""");
            await server.CreateRecordAsync(c.Name, $$"""{"id":"{{B}}","title":"b","status":"published","author":"{{Other}}","members":["{{Other}}"]}""");
        }
        return principal switch
        {
            "guest" => null,
            "super" => server.SuperuserToken,
            _ => await SignInAsync(server, principal == "staff" ? "staff" : "users", principal switch { "owner" => Owner, "other" => Other, _ => StaffUser }),
        };
    }

    private static async Task<string> SignInAsync(TestServer server, string collection, string id)
    {
        var auth = await server.SendAsync(HttpMethod.Post, $"/api/collections/{collection}/auth-with-password",
            TestCollections.Json($$"""{"identity":"{{id}}@example.com","password":"password123"}"""));
        Assert.True(auth.Status == 200, auth.Text);
        return auth.Json!.Str("token");
    }
}
