using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections.Views;

/// <summary>View collections (POCKETBASE_API.md 3.3, 1.6): query validation, field inference, reads, writes refused, dependencies, dry run.</summary>
public sealed class ViewCollectionsApiTests
{
    // The view query is the engine's own SQL: PostgreSQL casts a number to a boolean only by comparing it, and
    // folds unquoted names to lower case, so mixed-case aliases are quoted.
    private static readonly string Stats = $"""
        SELECT p.id AS id, p.title AS title, p.status, p.author AS writer, a.id AS "authorRef", COUNT(c.id) AS comments,
               TOTAL(p.views) AS total, CAST(p.views AS INT) AS "asInt", CAST(p.views AS REAL) AS "asReal", CAST(p.views AS TEXT) AS "asText",
               CAST({(TestDatabase.IsPostgres ? "p.views <> 0" : "p.views")} AS BOOL) AS "asBool", p.title || '!' AS shout, MAX(p.views) AS peak
        FROM posts p LEFT JOIN authors a ON a.id = p.author LEFT JOIN comments c ON c.post = p.id
        GROUP BY p.id, a.id
        """;

    /// <summary>authors ← posts (title, views, status, author, a hidden note) ← comments; two posts, one with two comments.</summary>
    private static async Task SeedAsync(TestServer server)
    {
        await server.CreatePublicAsync("authors", """[{"name":"name","type":"text"}]""");
        var authors = (await server.CollectionAsync("authors")).Str("id");
        await server.CreatePublicAsync("posts", $$"""
            [{"name":"title","type":"text","max":50},{"name":"views","type":"number"},
             {"name":"status","type":"select","values":["draft","live"],"maxSelect":1},
             {"name":"author","type":"relation","collectionId":"{{authors}}","maxSelect":1},
             {"name":"note","type":"text","hidden":true}]
            """);
        var posts = (await server.CollectionAsync("posts")).Str("id");
        await server.CreatePublicAsync("comments", $$"""[{"name":"message","type":"text"},{"name":"post","type":"relation","collectionId":"{{posts}}","maxSelect":1}]""");
        var ann = (await server.CreateRecordAsync("authors", """{"id":"ann000000000001","name":"Ann"}""")).Str("id");
        await server.CreateRecordAsync("posts", $$"""{"id":"post00000000001","title":"hello","views":3,"status":"live","author":"{{ann}}","note":"n1"}""");
        await server.CreateRecordAsync("posts", """{"id":"post00000000002","title":"draft","views":0,"status":"draft"}""");
        await server.CreateRecordAsync("comments", """{"message":"one","post":"post00000000001"}""");
        await server.CreateRecordAsync("comments", """{"message":"two","post":"post00000000001"}""");
    }

    private static JsonObject ViewBody(string query, string? listRule = "", string? viewRule = "", string name = "stats") =>
        new() { ["name"] = name, ["type"] = "view", ["listRule"] = listRule, ["viewRule"] = viewRule, ["viewQuery"] = query };

    private static async Task<(TestServer Server, JsonObject View)> ServerWithViewAsync(string? query = null)
    {
        query ??= Stats;
        var server = await TestServer.StartAsync();
        await SeedAsync(server);
        return (server, await server.CreateCollectionAsync(ViewBody(query)));
    }

    private static JsonObject FieldOf(JsonObject collection, string name) =>
        collection["fields"]!.AsArray().Single(f => f.Str("name") == name)!.AsObject();

    [Fact]
    public async Task Create_InfersEachFieldKind()
    {
        var (server, view) = await ServerWithViewAsync();
        await using var _ = server;
        var authors = (await server.CollectionAsync("authors")).Str("id");
        Assert.Equal("view", view.Str("type"));
        Assert.Equal(CollectionId("view", "stats"), view.Str("id"));
        Assert.StartsWith("SELECT p.id AS id", view.Str("viewQuery"));
        Assert.Null(view["createRule"]);
        Assert.Equal(["id", "title", "status", "writer", "authorRef", "comments", "total", "asInt", "asReal", "asText", "asBool", "shout", "peak"],
            view["fields"]!.AsArray().Select(f => f.Str("name")));

        var id = FieldOf(view, "id");
        Assert.Equal(("text", true, true), (id.Str("type"), id["primaryKey"]!.GetValue<bool>(), id["system"]!.GetValue<bool>()));
        var title = FieldOf(view, "title");
        Assert.Equal(("text", 50), (title.Str("type"), title["max"]!.GetValue<int>()));
        Assert.Equal(["draft", "live"], FieldOf(view, "status")["values"]!.AsArray().Select(v => v!.GetValue<string>()));
        var writer = FieldOf(view, "writer");
        Assert.Equal(("relation", authors), (writer.Str("type"), writer.Str("collectionId")));
        var authorRef = FieldOf(view, "authorRef");
        Assert.Equal(("relation", authors, 1), (authorRef.Str("type"), authorRef.Str("collectionId"), authorRef["maxSelect"]!.GetValue<int>()));
        Assert.Equal(("number", true), (FieldOf(view, "comments").Str("type"), FieldOf(view, "comments")["onlyInt"]!.GetValue<bool>()));
        Assert.Equal(("number", false), (FieldOf(view, "total").Str("type"), FieldOf(view, "total")["onlyInt"]!.GetValue<bool>()));
        Assert.Equal(("number", true), (FieldOf(view, "asInt").Str("type"), FieldOf(view, "asInt")["onlyInt"]!.GetValue<bool>()));
        Assert.Equal(("number", false), (FieldOf(view, "asReal").Str("type"), FieldOf(view, "asReal")["onlyInt"]!.GetValue<bool>()));
        Assert.Equal("text", FieldOf(view, "asText").Str("type"));
        Assert.Equal("bool", FieldOf(view, "asBool").Str("type"));
        Assert.Equal("json", FieldOf(view, "shout").Str("type"));
        Assert.Equal("json", FieldOf(view, "peak").Str("type"));
        Assert.Equal(view["fields"]!.AsArray().Count, view["fields"]!.AsArray().Select(f => f.Str("id")).Distinct().Count());
    }

    [Fact]
    public async Task ListAndView_ReadTheRowsWithInferredTypes()
    {
        var (server, _) = await ServerWithViewAsync();
        await using var __ = server;
        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/stats/records?sort=-comments&expand=writer");
        Assert.True(list.Status == 200, list.Text);
        Assert.Equal(2, list.Json!["totalItems"]!.GetValue<int>());
        var first = list.Json!["items"]![0]!;
        Assert.Equal("post00000000001", first.Str("id"));
        Assert.Equal("stats", first.Str("collectionName"));
        Assert.Equal(2, first["comments"]!.GetValue<double>());
        // Joined with its two comments, the post's views are summed twice.
        Assert.Equal(6, first["total"]!.GetValue<double>());
        Assert.True(first["asBool"]!.GetValue<bool>());
        Assert.Equal("3", first.Str("asText"));
        Assert.Equal("hello!", first.Str("shout"));
        Assert.Equal(3, first["peak"]!.GetValue<double>());
        Assert.Equal("Ann", first["expand"]!["writer"].Str("name"));

        var view = await server.SendAsync(HttpMethod.Get, "/api/collections/stats/records/post00000000002");
        Assert.True(view.Status == 200, view.Text);
        Assert.Equal("draft", view.Json.Str("status"));
        Assert.Equal(0, view.Json!["comments"]!.GetValue<double>());
        Assert.Null(view.Header("ETag"));
        var missing = await server.SendAsync(HttpMethod.Get, "/api/collections/stats/records/nope");
        missing.AssertError(404);
    }

    [Fact]
    public async Task Read_RowNumberIdAndHiddenSourceFields()
    {
        var (server, view) = await ServerWithViewAsync("SELECT (ROW_NUMBER() OVER (ORDER BY title)) AS id, title, note FROM posts");
        await using var _ = server;
        Assert.True(FieldOf(view, "note")["hidden"]!.GetValue<bool>());
        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/stats/records");
        Assert.Equal(["1", "2"], list.Json!["items"]!.AsArray().Select(i => i.Str("id")));
        Assert.Equal(["draft", "hello"], list.Titles());
        Assert.DoesNotContain("\"note\"", list.Text);
        var superuser = await server.AsSuperuser(HttpMethod.Get, "/api/collections/stats/records?sort=-id");
        Assert.Equal("n1", superuser.Json!["items"]![0].Str("note"));
    }

    [Fact]
    public async Task Rules_NullLocksAndEmptyOpens()
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        await SeedAsync(server);
        await server.CreateCollectionAsync(ViewBody("SELECT id, title FROM posts", listRule: null, viewRule: ""));
        (await server.SendAsync(HttpMethod.Get, "/api/collections/stats/records")).AssertError(403);
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/collections/stats/records/post00000000001")).Status);
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Get, "/api/collections/stats/records")).Status);
    }

    [Theory]
    [InlineData("POST", "")]
    [InlineData("PATCH", "/post00000000001")]
    [InlineData("DELETE", "/post00000000001")]
    public async Task Write_IsRefusedAsUnsupported(string method, string suffix)
    {
        var (server, _) = await ServerWithViewAsync();
        await using var __ = server;
        var response = await server.AsSuperuser(new HttpMethod(method), "/api/collections/stats/records" + suffix, method == "DELETE" ? null : Obj("""{"title":"x"}"""));
        response.AssertError(400, "Unsupported collection type.");
        (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/stats/truncate")).AssertError(400);
    }

    public static TheoryData<string, string, string> Refusals() => new()
    {
        { "Blank", "  ", "validation_required" },
        { "TwoStatements", "SELECT id FROM posts; DROP TABLE posts", "validation_view_query_multiple_statements" },
        { "Delete", "DELETE FROM posts", "validation_view_query_not_select" },
        { "Pragma", "PRAGMA table_info(posts)", "validation_view_query_not_select" },
        { "Attach", "ATTACH DATABASE 'other.db' AS other", "validation_view_query_not_select" },
        { "WithDelete", "WITH x AS (SELECT id FROM posts) DELETE FROM posts", "validation_view_query_not_select" },
        { "Star", "SELECT * FROM posts", "validation_view_query_wildcard" },
        { "AliasStar", "SELECT p.* FROM posts p", "validation_view_query_wildcard" },
        { "NoId", "SELECT title FROM posts", "validation_view_query_missing_id" },
        { "DuplicateName", "SELECT id, title AS name, status AS name FROM posts", "validation_view_query_duplicate_column" },
        { "UnknownColumn", "SELECT id, nope FROM posts", "validation_invalid_view_query" },
        { "UnnamedExpression", "SELECT id, views + 1 FROM posts", "validation_view_query_invalid_column" },
        { "Unbalanced", "SELECT id FROM (SELECT id FROM posts", "validation_invalid_view_query" },
        { "BreakOut", "SELECT id FROM posts) UNION SELECT (id FROM posts", "validation_invalid_view_query" },
        { "Unterminated", "SELECT id, 'x FROM posts", "validation_invalid_view_query" },
        { "DuplicateIds", "SELECT 'same' AS id FROM posts", "validation_view_query_id_not_unique" },
        { "EmptyIds", "SELECT '' AS id FROM posts LIMIT 1", "validation_view_query_id_not_unique" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Create_InvalidQuery_Is400WithCode(string name, string query, string code)
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        await SeedAsync(server);
        var response = await server.AsSuperuser(HttpMethod.Post, "/api/collections", ViewBody(query));
        Assert.True(response.Status == 400, $"{name}: {response.Text}");
        response.AssertFieldError("Failed to create collection.", "viewQuery", code);
        await server.AssertNoCollectionAsync("stats");
        Assert.Equal(2, (await server.RecordsAsync("posts")).Count);
        Assert.False(await ViewExistsAsync(server, "stats"));
    }

    [Fact]
    public async Task Create_IndexesOnAView_Is400()
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        await SeedAsync(server);
        var body = ViewBody("SELECT id, title FROM posts");
        body["indexes"] = new JsonArray("CREATE INDEX idx_stats_title ON stats (title)");
        var response = await server.AsSuperuser(HttpMethod.Post, "/api/collections", body);
        response.AssertFieldError("Failed to create collection.", "indexes", "validation_view_indexes");
    }

    [Fact]
    public async Task Create_CommentsAndQuotedSemicolons_AreAccepted()
    {
        var (server, view) = await ServerWithViewAsync("SELECT id, title /* ; */ FROM posts WHERE title != ';' -- ) DROP TABLE posts\n;");
        await using var _ = server;
        Assert.Equal(2, (await server.RecordsAsync("stats")).Count);
        Assert.Equal(2, (await server.RecordsAsync("posts")).Count);
    }

    [Fact]
    public async Task Update_Query_RebuildsTheViewAndReinfersFields()
    {
        var (server, view) = await ServerWithViewAsync("SELECT id, title, views FROM posts");
        await using var _ = server;
        var titleId = FieldOf(view, "title").Str("id");
        var response = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/stats", Obj("""{"viewQuery":"SELECT id, title, status FROM posts WHERE views > 0"}"""));
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(["id", "title", "status"], response.Json!["fields"]!.AsArray().Select(f => f.Str("name")));
        Assert.Equal(titleId, FieldOf(response.Json!.AsObject(), "title").Str("id"));
        var rows = await server.RecordsAsync("stats");
        Assert.Equal(["hello"], rows.Select(r => r.Str("title")));
        Assert.Equal("live", rows[0].Str("status"));

        var bad = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/stats", Obj("""{"viewQuery":"SELECT title FROM posts"}"""));
        bad.AssertFieldError("Failed to update collection.", "viewQuery", "validation_view_query_missing_id");
        Assert.Single(await server.RecordsAsync("stats"));
    }

    [Fact]
    public async Task Delete_CollectionAViewReads_IsRefusedUntilTheViewIsGone()
    {
        var (server, _) = await ServerWithViewAsync();
        await using var __ = server;
        var response = await server.AsSuperuser(HttpMethod.Delete, "/api/collections/comments");
        response.AssertError(400);
        Assert.Contains("stats", response.Json.Str("message"));
        Assert.True(await server.TableExistsAsync("comments"));
        Assert.Equal(2, (await server.RecordsAsync("stats")).Count);

        Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/stats")).Status);
        Assert.False(await ViewExistsAsync(server, "stats"));
        Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/comments")).Status);
    }

    [Fact]
    public async Task Update_SourceChanges_BreakingTheViewAreRefusedAndOthersReachIt()
    {
        var (server, _) = await ServerWithViewAsync("SELECT id, title, status FROM posts");
        await using var __ = server;
        var posts = await server.CollectionAsync("posts");
        var fields = posts["fields"]!.AsArray();

        // Renaming a field the view reads would leave its query pointing at nothing.
        var renamed = (JsonArray)fields.DeepClone();
        renamed.Single(f => f.Str("name") == "title")!["name"] = "headline";
        var rename = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/posts", new JsonObject { ["fields"] = renamed });
        rename.AssertError(400);
        Assert.Contains("stats", rename.Json.Str("message"));
        Assert.Contains("title", await server.ColumnsAsync("posts"));

        // A change to a source field's options reaches the view's inferred field.
        var widened = (JsonArray)fields.DeepClone();
        widened.Single(f => f.Str("name") == "status")!["values"] = new JsonArray("draft", "live", "archived");
        var widen = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/posts?allowDataLoss=true", new JsonObject { ["fields"] = widened });
        Assert.True(widen.Status == 200, widen.Text);
        var stats = await server.CollectionAsync("stats");
        Assert.Equal(3, FieldOf(stats, "status")["values"]!.AsArray().Count);
        Assert.Equal(2, (await server.RecordsAsync("stats")).Count);
    }

    [Fact]
    public async Task ViewOverView_IsRebuiltInOrder()
    {
        var (server, _) = await ServerWithViewAsync("SELECT id, title FROM posts");
        await using var __ = server;
        await server.CreateCollectionAsync(ViewBody("SELECT id, title AS label FROM stats", name: "labels"));
        var labels = await server.CollectionAsync("labels");
        Assert.Equal("text", FieldOf(labels, "label").Str("type"));
        // Any schema change rebuilds both views; the dependent one still works afterwards.
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/authors", Obj("""{"listRule":null}"""))).Status);
        Assert.Equal(2, (await server.RecordsAsync("labels")).Count);
        (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/stats")).AssertError(400);
    }

    [Fact]
    public async Task Import_ViewWithItsSourceInOneImport_InfersFields()
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        var response = await server.AsSuperuser(HttpMethod.Put, "/api/collections/import", Obj("""
            {"collections":[
              {"name":"digest","type":"view","listRule":"","viewQuery":"SELECT id, body, CAST(LENGTH(body) AS INT) AS size FROM notes"},
              {"name":"notes","fields":[{"name":"body","type":"editor"}]}]}
            """));
        Assert.True(response.Status == 204, response.Text);
        var digest = await server.CollectionAsync("digest");
        Assert.Equal(["id", "body", "size"], digest["fields"]!.AsArray().Select(f => f.Str("name")));
        Assert.Equal("editor", FieldOf(digest, "body").Str("type"));
        await server.CreateRecordAsync("notes", """{"body":"<p>hi</p>"}""");
        Assert.Equal(9, (await server.RecordsAsync("digest"))[0]["size"]!.GetValue<double>());
    }

    [Fact]
    public async Task DryRun_ReturnsFieldsAndAtMostTenRowsAndSavesNothing()
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        await SeedAsync(server);
        for (var i = 0; i < 10; i++) await server.CreateRecordAsync("posts", $$"""{"title":"p{{i}}"}""");
        var response = await server.AsSuperuser(HttpMethod.Post, "/api/collections/meta/dry-run-view",
            Obj("""{"query":"SELECT id, title, COUNT(*) OVER () AS n FROM posts"}"""));
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(["id", "title", "n"], response.Json!["fields"]!.AsArray().Select(f => f.Str("name")));
        Assert.Equal(10, response.Json!["rows"]!.AsArray().Count);
        Assert.Equal(12, response.Json!["rows"]![0]!["n"]!.GetValue<int>());
        Assert.False(await ViewExistsAsync(server, "dry_run"));
    }

    [Theory]
    [InlineData("""{"query":"DELETE FROM posts"}""", "validation_view_query_not_select")]
    [InlineData("""{"query":"SELECT id FROM posts; DELETE FROM posts"}""", "validation_view_query_multiple_statements")]
    [InlineData("""{"query":"SELECT title FROM posts"}""", "validation_view_query_missing_id")]
    [InlineData("""{}""", "validation_required")]
    public async Task DryRun_InvalidQuery_Is400AndChangesNothing(string body, string code)
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        await SeedAsync(server);
        var response = await server.AsSuperuser(HttpMethod.Post, "/api/collections/meta/dry-run-view", Obj(body));
        response.AssertFieldError("Failed to run the view query.", "query", code);
        Assert.Equal(2, (await server.RecordsAsync("posts")).Count);
    }

    [Fact]
    public async Task DryRun_QueryOverFiveThousandCharacters_Is400()
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        var query = "SELECT id FROM _superusers WHERE '" + new string('x', 5000) + "' != ''";
        var response = await server.AsSuperuser(HttpMethod.Post, "/api/collections/meta/dry-run-view", new JsonObject { ["query"] = query });
        response.AssertFieldError("Failed to run the view query.", "query", "validation_length_too_long");
    }

    [Fact]
    public async Task DryRun_NonSuperusers_AreRefused()
    {
        var server = await TestServer.StartAsync();
        await using var _ = server;
        var body = Obj("""{"query":"SELECT id FROM _superusers"}""");
        (await server.SendAsync(HttpMethod.Post, "/api/collections/meta/dry-run-view", body)).AssertError(401);
        var user = await server.CreateUserTokenAsync();
        (await server.SendAsync(HttpMethod.Post, "/api/collections/meta/dry-run-view", body, user)).AssertError(403);
    }

    private static Task<bool> ViewExistsAsync(TestServer server, string name) => server.SchemaObjectExistsAsync("view", name);
}
