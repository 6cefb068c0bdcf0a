using System.Text.Json.Nodes;
using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// <c>PATCH /api/collections/{c}</c>: a partial merge whose field list changes the table. Renames keep the
/// data, a change that would lose data needs <c>?allowDataLoss=true</c>, and a refused change leaves the
/// model, the table and the records exactly as they were.
/// </summary>
public sealed class UpdateCollectionTests
{
    private const string Autodates = """{"name":"created","type":"autodate","onCreate":true},{"name":"updated","type":"autodate","onCreate":true,"onUpdate":true}""";
    private const string Title = """{"name":"title","type":"text"}""";
    private const string Status = """{"name":"status","type":"select","values":["a","b","c"]}""";
    private const string Tags = """{"name":"tags","type":"select","values":["a","b","c"],"maxSelect":3}""";
    private const string Notes = """{"name":"notes","type":"text"}""";
    private static readonly string PostsId = CollectionId("base", "posts");

    /// <summary>A field list as the dashboard sends it: the given fields plus created and updated (fields without an id match by name).</summary>
    private static JsonObject FieldsBody(params string[] fields) => Obj($$"""{"fields":[{{string.Join(",", fields)}},{{Autodates}}]}""");

    /// <summary>posts(title, status single, tags multiple, notes never set) with two records; the first holds two tags.</summary>
    private static async Task SeedAsync(TestServer server, string firstTags = """["a","b"]""")
    {
        await server.CreateCollectionAsync(Obj($$"""{"name":"posts","fields":[{{Title}},{{Status}},{{Tags}},{{Notes}}]}"""));
        await server.CreateRecordAsync("posts", Obj($$"""{"title":"one","status":"a","tags":{{firstTags}}}"""));
        await server.CreateRecordAsync("posts", Obj("""{"title":"two","tags":["c"]}"""));
    }

    private static ApiScenario Patch(string name, string url, JsonObject body) =>
        new(name, HttpMethod.Patch, url) { Body = body, Setup = server => SeedAsync(server) };

    private static async Task AssertRecordsAsync(TestServer server, string collection, string field, params string[] expected)
    {
        var records = await server.RecordsAsync(collection);
        Assert.Equal(expected, records.Select(r => r[field]?.ToJsonString() ?? "null"));
    }

    /// <summary>The model, columns, indexes and records of posts are those of <see cref="SeedAsync"/>.</summary>
    private static async Task AssertPostsUnchangedAsync(TestServer server)
    {
        var posts = await server.CollectionAsync("posts");
        Assert.Equal(["id", "title", "status", "tags", "notes", "created", "updated"], posts["fields"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        Assert.Equal(1, posts["fields"]![2]!["maxSelect"]!.GetValue<int>());
        Assert.Equal(3, posts["fields"]![3]!["maxSelect"]!.GetValue<int>());
        Assert.Empty(posts["indexes"]!.AsArray());
        Assert.Equal(["id", global::Cairn.Records.RecordsColumns.Version, "title", "status", "tags", "notes", "created", "updated"], await server.ColumnsAsync("posts"));
        Assert.Empty(await server.SqlIndexesAsync("posts"));
        await AssertRecordsAsync(server, "posts", "title", "\"one\"", "\"two\"");
        await AssertRecordsAsync(server, "posts", "tags", """["a","b"]""", """["c"]""");
    }

    public static TheoryData<ApiScenario> Scenarios() =>
    [
        Patch("Update_RenameCollection_KeepsRecords", "/api/collections/posts", Obj("""{"name":"articles"}""")) with
        {
            Values = new() { ["id"] = PostsId, ["name"] = "articles", ["fields.#"] = 7 },
            Verify = async (server, _) =>
            {
                await AssertRecordsAsync(server, "articles", "title", "\"one\"", "\"two\"");
                await AssertRecordsAsync(server, "articles", "collectionName", "\"articles\"", "\"articles\"");
                Assert.False(await server.TableExistsAsync("posts"));
                Assert.Equal(404, (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts/records")).Status);
            },
        },
        Patch("Update_RenameCollectionById_KeepsRecords", "/api/collections/" + PostsId, Obj("""{"name":"articles"}""")) with
        {
            Values = new() { ["name"] = "articles" },
            Verify = (server, _) => AssertRecordsAsync(server, "articles", "title", "\"one\"", "\"two\""),
        },
        Patch("Update_RenameCollectionCaseOnly_KeepsRecords", "/api/collections/posts", Obj("""{"name":"Posts"}""")) with
        {
            Values = new() { ["name"] = "Posts" },
            Verify = (server, _) => AssertRecordsAsync(server, "Posts", "title", "\"one\"", "\"two\""),
        },
        Patch("Update_RenameCollectionWithIndex_RebuildsIndexForNewTable", "/api/collections/posts", Obj("""{"name":"articles","indexes":["CREATE INDEX idx_title ON posts (title)"]}""")) with
        {
            Values = new() { ["indexes.0"] = "CREATE INDEX `idx_title` ON `articles` (`title`)" },
            Verify = async (server, _) => Assert.Equal(["idx_title"], await server.SqlIndexesAsync("articles")),
        },
        Patch("Update_RenameField_KeepsValues", "/api/collections/posts",
            FieldsBody($$"""{"id":"{{FieldId("text", "title")}}","name":"headline","type":"text"}""", Status, Tags, Notes)) with
        {
            Values = new() { ["fields.1.name"] = "headline", ["fields.1.id"] = FieldId("text", "title") },
            Verify = async (server, _) =>
            {
                await AssertRecordsAsync(server, "posts", "headline", "\"one\"", "\"two\"");
                Assert.DoesNotContain("title", await server.ColumnsAsync("posts"));
            },
        },
        Patch("Update_RenameFieldNextToNewField_KeepsValues", "/api/collections/posts",
            FieldsBody("""{"name":"title2","type":"text"}""",
                $$"""{"id":"{{FieldId("text", "title")}}","name":"headline","type":"text"}""", Status, Tags, Notes)) with
        {
            Values = new() { ["fields.1.name"] = "title2", ["fields.2.name"] = "headline" },
            Verify = (server, _) => AssertRecordsAsync(server, "posts", "headline", "\"one\"", "\"two\""),
        },
        Patch("Update_NewFieldTakesRenamedFieldsName_KeepsValues", "/api/collections/posts",
            FieldsBody("""{"id":"newtitle","name":"title","type":"text"}""", $$"""{"id":"{{FieldId("text", "title")}}","name":"headline","type":"text"}""", Status, Tags, Notes)) with
        {
            Values = new() { ["fields.1.id"] = "newtitle", ["fields.2.name"] = "headline" },
            Verify = async (server, _) =>
            {
                await AssertRecordsAsync(server, "posts", "headline", "\"one\"", "\"two\"");
                await AssertRecordsAsync(server, "posts", "title", "\"\"", "\"\"");
            },
        },
        Patch("Update_SwapFieldNames_KeepsValues", "/api/collections/posts",
            FieldsBody($$"""{"id":"{{FieldId("text", "title")}}","name":"notes","type":"text"}""", Status, Tags,
                $$"""{"id":"{{FieldId("text", "notes")}}","name":"title","type":"text"}""")) with
        {
            Verify = async (server, _) =>
            {
                await AssertRecordsAsync(server, "posts", "notes", "\"one\"", "\"two\"");
                await AssertRecordsAsync(server, "posts", "title", "\"\"", "\"\"");
            },
        },
        Patch("Update_AddField_GivesExistingRecordsTheDefault", "/api/collections/posts",
            FieldsBody(Title, Status, Tags, Notes, """{"name":"views","type":"number"}""", """{"name":"meta","type":"json"}""")) with
        {
            Values = new() { ["fields.5.name"] = "views", ["fields.5.id"] = FieldId("number", "views"), ["fields.#"] = 9 },
            Verify = async (server, _) =>
            {
                await AssertRecordsAsync(server, "posts", "views", "0", "0");
                await AssertRecordsAsync(server, "posts", "meta", "null", "null");
                await AssertRecordsAsync(server, "posts", "title", "\"one\"", "\"two\"");
            },
        },
        Patch("Update_RemoveEmptyField_DropsColumn", "/api/collections/posts", FieldsBody(Title, Status, Tags)) with
        {
            Values = new() { ["fields.#"] = 6 },
            Verify = async (server, _) => Assert.DoesNotContain("notes", await server.ColumnsAsync("posts")),
        },
        Patch("Update_RemoveFieldHoldingData_Returns400DataLoss", "/api/collections/posts", FieldsBody(Status, Tags, Notes)) with
        {
            Status = 400,
            Errors = new() { ["fields.title"] = "validation_data_loss" },
            Verify = (server, _) => AssertPostsUnchangedAsync(server),
        },
        Patch("Update_RemoveFieldHoldingDataAllowDataLoss_DropsIt", "/api/collections/posts?allowDataLoss=true", FieldsBody(Status, Tags, Notes)) with
        {
            Values = new() { ["fields.#"] = 6, ["fields.1.name"] = "status" },
            Verify = async (server, _) =>
            {
                Assert.DoesNotContain("title", await server.ColumnsAsync("posts"));
                Assert.All(await server.RecordsAsync("posts"), r => Assert.False(r.ContainsKey("title")));
            },
        },
        Patch("Update_SystemFieldLeftOut_IsKept", "/api/collections/posts", FieldsBody(Title, Status, Tags, Notes)) with
        {
            Values = new() { ["fields.0.name"] = "id", ["fields.0.system"] = true, ["fields.#"] = 7 },
        },
        Patch("Update_SingleToMultipleSelect_KeepsValues", "/api/collections/posts",
            FieldsBody(Title, Status.Replace("]}", "],\"maxSelect\":2}"), Tags, Notes)) with
        {
            Values = new() { ["fields.2.maxSelect"] = 2 },
            Verify = (server, _) => AssertRecordsAsync(server, "posts", "status", """["a"]""", "[]"),
        },
        Patch("Update_MultipleToSingleWithSeveralValues_Returns400DataLoss", "/api/collections/posts",
            FieldsBody(Title, Status, Tags.Replace("\"maxSelect\":3", "\"maxSelect\":1"), Notes)) with
        {
            Status = 400,
            Errors = new() { ["fields.tags"] = "validation_data_loss" },
            Verify = (server, _) => AssertPostsUnchangedAsync(server),
        },
        Patch("Update_MultipleToSingleAllowDataLoss_KeepsLastValue", "/api/collections/posts?allowDataLoss=true",
            FieldsBody(Title, Status, Tags.Replace("\"maxSelect\":3", "\"maxSelect\":1"), Notes)) with
        {
            Values = new() { ["fields.3.maxSelect"] = 1 },
            Verify = (server, _) => AssertRecordsAsync(server, "posts", "tags", "\"b\"", "\"c\""),
        },
        Patch("Update_MultipleToSingleWithAtMostOneValue_KeepsIt", "/api/collections/posts",
            FieldsBody(Title, Status, Tags.Replace("\"maxSelect\":3", "\"maxSelect\":1"), Notes)) with
        {
            Setup = server => SeedAsync(server, firstTags: "[]"),
            Verify = (server, _) => AssertRecordsAsync(server, "posts", "tags", "\"\"", "\"c\""),
        },
        Patch("Update_FieldTypeChange_Returns400", "/api/collections/posts", FieldsBody("""{"name":"title","type":"number"}""", Status, Tags, Notes)) with
        {
            Status = 400,
            Errors = new() { ["fields.1.type"] = "validation_field_type_change" },
            Verify = (server, _) => AssertPostsUnchangedAsync(server),
        },
        Patch("Update_UniqueIndexOverDuplicates_Returns400AndChangesNothing", "/api/collections/posts",
            Obj($$"""{"indexes":["CREATE UNIQUE INDEX idx_title ON posts (title)"],"fields":[{{Title}},{{Status}},{{Tags}},{{Notes}},{"name":"extra","type":"text"},{{Autodates}}]}""")) with
        {
            Setup = async server =>
            {
                await SeedAsync(server);
                await server.CreateRecordAsync("posts", Obj("""{"title":"one"}"""));
            },
            Status = 400,
            Errors = new() { ["indexes.0"] = "validation_invalid_index_expression" },
            Verify = async (server, _) =>
            {
                var posts = await server.CollectionAsync("posts");
                Assert.Empty(posts["indexes"]!.AsArray());
                Assert.Equal(7, posts["fields"]!.AsArray().Count);
                Assert.DoesNotContain("extra", await server.ColumnsAsync("posts"));
                Assert.Empty(await server.SqlIndexesAsync("posts"));
                Assert.Equal(3, (await server.RecordsAsync("posts")).Count);
                // The schema cache was not touched either: a duplicate title is still accepted.
                await server.CreateRecordAsync("posts", Obj("""{"title":"one"}"""));
            },
        },
        Patch("Update_UniqueIndexOverDistinctValues_CreatesIt", "/api/collections/posts", Obj("""{"indexes":["CREATE UNIQUE INDEX idx_title ON posts (title)"]}""")) with
        {
            Values = new() { ["indexes.0"] = "CREATE UNIQUE INDEX `idx_title` ON `posts` (`title`)" },
            Verify = async (server, _) =>
            {
                Assert.Equal(["idx_title"], await server.SqlIndexesAsync("posts"));
                var duplicate = await server.AsSuperuser(HttpMethod.Post, "/api/collections/posts/records", Obj("""{"title":"one"}"""));
                Assert.Equal("validation_not_unique", duplicate.Json!["data"]!["title"]!["code"]!.GetValue<string>());
            },
        },
        Patch("Update_IndexRemoved_DropsIt", "/api/collections/posts", Obj("""{"indexes":[]}""")) with
        {
            Setup = async server =>
            {
                await SeedAsync(server);
                Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/posts", Obj("""{"indexes":["CREATE INDEX idx_title ON posts (title)"]}"""))).Status);
            },
            Values = new() { ["indexes.#"] = 0 },
            Verify = async (server, _) => Assert.Empty(await server.SqlIndexesAsync("posts")),
        },
        Patch("Update_PublicListRule_OpensListToGuests", "/api/collections/posts", Obj("""{"listRule":""}""")) with
        {
            Values = new() { ["listRule"] = "", ["viewRule"] = null, ["fields.#"] = 7 },
            Verify = async (server, _) =>
            {
                var list = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
                Assert.Equal(2, list.Json!["totalItems"]!.GetValue<int>());
            },
        },
        Patch("Update_RuleExpressionOnUnknownField_Returns400", "/api/collections/posts", Obj("""{"viewRule":"nope = 'x'"}""")) with
        {
            Status = 400, Errors = new() { ["viewRule"] = "validation_invalid_rule" },
        },
        Patch("Update_NameTakenIgnoringCase_Returns400", "/api/collections/posts", Obj("""{"name":"OTHER"}""")) with
        {
            Setup = async server =>
            {
                await SeedAsync(server);
                await server.CreateCollectionAsync(Obj("""{"name":"other"}"""));
            },
            Status = 400,
            Errors = new() { ["name"] = "validation_collection_name_exists" },
            Verify = (server, _) => AssertPostsUnchangedAsync(server),
        },
        Patch("Update_InvalidName_Returns400", "/api/collections/posts", Obj("""{"name":"bad name"}""")) with
        {
            Status = 400, Errors = new() { ["name"] = "validation_invalid_name" },
            Verify = (server, _) => AssertPostsUnchangedAsync(server),
        },
        Patch("Update_CollectionTypeChange_Returns400", "/api/collections/posts", Obj("""{"type":"auth"}""")) with
        {
            Status = 400, Errors = new() { ["type"] = "validation_collection_type_change" },
            Verify = (server, _) => AssertPostsUnchangedAsync(server),
        },
        Patch("Update_SystemCollectionRename_Returns400", "/api/collections/_superusers", Obj("""{"name":"admins"}""")) with
        {
            Status = 400, Errors = new() { ["name"] = "validation_collection_system_name_change" },
        },
        Patch("Update_SystemFieldRename_Returns400", "/api/collections/posts",
            FieldsBody("""{"id":"text3208210256","name":"key","type":"text","primaryKey":true}""", Title, Status, Tags, Notes)) with
        {
            Status = 400, Errors = new() { ["fields.0.name"] = "validation_system_field_name_change" },
        },
        Patch("Update_Unknown_Returns404", "/api/collections/missing", Obj("""{"name":"x"}""")) with { Status = 404 },
        Patch("Update_AuthIndexesRemoved_AreRestored", "/api/collections/members", Obj("""{"indexes":[]}""")) with
        {
            Setup = server => server.CreateCollectionAsync(Obj("""{"name":"members","type":"auth"}""")),
            Values = new() { ["indexes.#"] = 2 },
            Verify = async (server, _) => Assert.Equal(2, (await server.SqlIndexesAsync("members")).Count),
        },
        Patch("Update_AuthTokenDuration_IsSavedAndSecretsStayHidden", "/api/collections/members", Obj("""{"authToken":{"duration":60}}""")) with
        {
            Setup = server => server.CreateCollectionAsync(Obj("""{"name":"members","type":"auth"}""")),
            Values = new() { ["authToken"] = Obj("""{"duration":60}""") },
            NotContains = ["\"secret\""],
        },
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Update_Scenario(ApiScenario scenario) => scenario.RunAsync();

    [Fact]
    public async Task Update_RenamedAuthCollection_FreesItsOldNameForANewOne()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(Obj("""{"name":"members","type":"auth"}"""));
        await server.CreateRecordAsync("members", Obj("""{"email":"a@example.com","password":"12345678","passwordConfirm":"12345678"}"""));
        var renamed = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/members", Obj("""{"name":"staff"}"""));
        Assert.True(renamed.Status == 200, renamed.Text);

        var created = await server.AsSuperuser(HttpMethod.Post, "/api/collections", Obj("""{"name":"members","type":"auth"}"""));
        Assert.True(created.Status == 200, created.Text);
        var login = await server.SendAsync(HttpMethod.Post, "/api/collections/staff/auth-with-password", Obj("""{"identity":"a@example.com","password":"12345678"}"""));
        Assert.Equal(200, login.Status);
    }

    [Fact]
    public async Task Update_RenamedIndexedField_IndexFollowsTheRenameAndStillEnforcesUniqueness()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"slug","type":"text"}],"indexes":["CREATE UNIQUE INDEX idx_slug ON posts (slug)"]}"""));
        await server.CreateRecordAsync("posts", Obj("""{"slug":"a"}"""));
        var model = await server.CollectionAsync("posts");
        var slug = model["fields"]!.AsArray().First(f => f!["name"]!.GetValue<string>() == "slug")!.AsObject();
        slug["name"] = "handle";

        var renamed = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/posts", new JsonObject { ["fields"] = model["fields"]!.DeepClone() });

        Assert.True(renamed.Status == 200, renamed.Text);
        Assert.Contains("`handle`", renamed.Json!["indexes"]![0]!.GetValue<string>());
        var duplicate = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", Obj("""{"handle":"a"}"""), server.SuperuserToken);
        Assert.Equal(400, duplicate.Status);
        Assert.Equal("validation_not_unique", duplicate.Json!["data"]!["handle"]!["code"]!.GetValue<string>());
    }
}
