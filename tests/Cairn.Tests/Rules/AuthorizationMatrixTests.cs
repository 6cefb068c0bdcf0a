using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Rules;

/// <summary>
/// Rules × principals × operations (POCKETBASE_API.md 2.5): every cell's status code and, for lists and
/// expands, the visible ids, compared with a table written by hand from the rule texts, not from the implementation.
/// Expand (POCKETBASE_API.md 0.3) is read from public records that relate to A and B: what shows is decided by
/// the view rule of the collection under test alone, never by its list rule or by the public parent's rules.
/// </summary>
public sealed class AuthorizationMatrixTests
{
    private const string A = "recaaaaaaaaaaaa", B = "recbbbbbbbbbbbb";
    private const string Ref = "ref000000000000", Hub = "hub000000000000";
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
        // List and view rules apart, so the expand columns show which of the two expand obeys.
        ("unviewable", "", null, "", "", "", """{"title":"new"}""", """{"title":"changed"}"""),
        ("unlisted", null, "", "", "", "", """{"title":"new"}""", """{"title":"changed"}"""),
    ];

    private const string Joined = "@collection.grants.user ?= @request.auth.id && @collection.grants.doc ?= id";
    private const string BodyGuard = "@request.body.status:isset = false || @request.body.status = 'draft'";

    private static string Rule(string text) => text;

    /// <summary>
    /// collection, principal → list ids ("-" none, or the status when refused), view, create, update, delete,
    /// batch (the create inside the batch), then the ids expanded (never a status: a refused expand is just empty)
    /// by <c>?expand=&lt;collection&gt;</c> on the public <c>refs</c> record, whose relation of that name holds [A, B],
    /// and by <c>?expand=&lt;collection&gt;_via_hub</c> on the public <c>hub</c> record, which A and B both point at.
    /// </summary>
    private static readonly string[] Expected =
    [
        // collection principal, list view create update delete batch, expand via
        "locked guest     403 403 403 403 403 403  -   -",
        "locked owner     403 403 403 403 403 403  -   -",
        "locked other     403 403 403 403 403 403  -   -",
        "locked staff     403 403 403 403 403 403  -   -",
        "locked super     AB 200 200 200 204 200   AB  AB",
        "public guest     AB 200 200 200 204 200   AB  AB",
        "public owner     AB 200 200 200 204 200   AB  AB",
        "public other     AB 200 200 200 204 200   AB  AB",
        "public staff     AB 200 200 200 204 200   AB  AB",
        "public super     AB 200 200 200 204 200   AB  AB",
        "owned guest      - 404 400 404 404 400    -   -",
        "owned owner      A 200 200 200 204 200    A   A",
        "owned other      B 404 400 404 404 400    B   B",
        "owned staff      - 404 400 404 404 400    -   -",
        "owned super      AB 200 200 200 204 200   AB  AB",
        "shared guest     - 404 400 404 404 400    -   -",
        "shared owner     A 200 200 200 204 200    A   A",
        "shared other     B 404 400 404 404 400    B   B",
        "shared staff     - 404 400 404 404 400    -   -",
        "shared super     AB 200 200 200 204 200   AB  AB",
        "joined guest     - 404 400 404 404 400    -   -",
        "joined owner     A 200 400 200 204 400    A   A",
        "joined other     - 404 400 404 404 400    -   -",
        "joined staff     - 404 400 404 404 400    -   -",
        "joined super     AB 200 200 200 204 200   AB  AB",
        "guarded guest    AB 200 400 404 204 400   AB  AB",
        "guarded owner    AB 200 400 404 204 400   AB  AB",
        "guarded other    AB 200 400 404 204 400   AB  AB",
        "guarded staff    AB 200 400 404 204 400   AB  AB",
        "guarded super    AB 200 200 200 204 200   AB  AB",
        "unviewable guest AB 403 200 200 204 200   -   -",
        "unviewable owner AB 403 200 200 204 200   -   -",
        "unviewable other AB 403 200 200 204 200   -   -",
        "unviewable staff AB 403 200 200 204 200   -   -",
        "unviewable super AB 200 200 200 204 200   AB  AB",
        "unlisted guest   403 200 200 200 204 200  AB  AB",
        "unlisted owner   403 200 200 200 204 200  AB  AB",
        "unlisted other   403 200 200 200 204 200  AB  AB",
        "unlisted staff   403 200 200 200 204 200  AB  AB",
        "unlisted super   AB 200 200 200 204 200   AB  AB",
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
            Check("list", expected[2], list.Status == 200 ? Letters(list.Json!["items"]) : list.Status.ToString());
            Check("view", expected[3], (await server.SendAsync(HttpMethod.Get, $"{url}/{A}", token: token)).Status.ToString());

            // Read before create, update and delete change A; the parent records are public, so a non-200 there is a failure of its own.
            Check("expand", expected[8], await ExpandedAsync(server, $"/api/collections/refs/records/{Ref}", c.Name, token));
            Check("via", expected[9], await ExpandedAsync(server, $"/api/collections/hub/records/{Hub}", $"{c.Name}_via_hub", token));

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

    /// <summary>Which of A and B the record at <paramref name="url"/> shows under <c>expand.&lt;relation&gt;</c>.</summary>
    private static async Task<string> ExpandedAsync(TestServer server, string url, string relation, string? token)
    {
        var response = await server.SendAsync(HttpMethod.Get, $"{url}?expand={relation}", token: token);
        return response.Status == 200 ? Letters(response.Json!["expand"]?[relation]) : $"parent {response.Status}";
    }

    /// <summary>A JSON array of records as their letters in order ("AB", "A"), "-" when absent or empty.</summary>
    private static string Letters(JsonNode? records)
    {
        var letters = string.Concat(records?.AsArray().Select(r => r.Str("id") switch { A => "A", B => "B", _ => "?" }) ?? []);
        return letters.Length == 0 ? "-" : letters;
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
        // A and B of every collection point at the one hub record, which expands them back through <name>_via_hub.
        var hubId = (await server.CreatePublicAsync("hub")).Str("id");
        await server.CreateRecordAsync("hub", $$"""{"id":"{{Hub}}"}""");
        var refsFields = new JsonArray();
        foreach (var c in Collections)
        {
            var body = new JsonObject
            {
                ["name"] = c.Name,
                ["listRule"] = c.List, ["viewRule"] = c.View, ["createRule"] = c.Create, ["updateRule"] = c.Update, ["deleteRule"] = c.Delete,
                ["fields"] = JsonNode.Parse($$"""
                    [{"name":"title","type":"text"},{"name":"status","type":"text"},
                     {"name":"author","type":"relation","collectionId":"{{usersId}}"},
                     {"name":"members","type":"relation","collectionId":"{{usersId}}","maxSelect":9},
                     {"name":"hub","type":"relation","collectionId":"{{hubId}}"}]
                    """),
            };
            var collectionId = (await server.CreateCollectionAsync(body)).Str("id");
            await server.CreateRecordAsync(c.Name, $$"""{"id":"{{A}}","title":"a","status":"draft","author":"{{Owner}}","members":["{{Owner}}"],"hub":"{{Hub}}"}""");
            await server.CreateRecordAsync(c.Name, $$"""{"id":"{{B}}","title":"b","status":"published","author":"{{Other}}","members":["{{Other}}"],"hub":"{{Hub}}"}""");
            refsFields.Add(new JsonObject { ["name"] = c.Name, ["type"] = "relation", ["collectionId"] = collectionId, ["maxSelect"] = 9 });
        }
        // The one refs record holds [A, B] of every collection, each in a relation named after it.
        await server.CreatePublicAsync("refs", refsFields.ToJsonString());
        var refsRecord = new JsonObject { ["id"] = Ref };
        foreach (var c in Collections) refsRecord[c.Name] = new JsonArray(A, B);
        await server.CreateRecordAsync("refs", refsRecord.ToJsonString());
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
