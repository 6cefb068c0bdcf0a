using System.Text.Json.Nodes;
using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// <c>PUT /api/collections/import</c>: creates and updates (matched by id, else by name), optionally deletes
/// what is not listed, resolves relations between imported collections, reports errors under
/// <c>data.collections.N</c>, and is all-or-nothing.
/// </summary>
public sealed class ImportCollectionsTests
{
    private const string Autodates = """{"name":"created","type":"autodate","onCreate":true},{"name":"updated","type":"autodate","onCreate":true,"onUpdate":true}""";
    private static readonly string PostsId = CollectionId("base", "posts");

    private static async Task SeedAsync(TestServer server)
    {
        await server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"title","type":"text"}]}"""));
        await server.CreateRecordAsync("posts", Obj("""{"title":"one"}"""));
        await server.CreateCollectionAsync(Obj("""{"name":"other"}"""));
    }

    private static ApiScenario Import(string name, string collections, bool deleteMissing = false) =>
        new(name, HttpMethod.Put, "/api/collections/import")
        {
            Body = Obj($$"""{"collections":{{collections}},"deleteMissing":{{(deleteMissing ? "true" : "false")}}}"""),
            Setup = SeedAsync,
            Status = 204,
        };

    /// <summary>Names of the collections besides the system ones, sorted.</summary>
    private static async Task<List<string>> NamesAsync(TestServer server, bool system = false) =>
        (await server.AsSuperuser(HttpMethod.Get, $"/api/collections?sort=name&filter=system={(system ? "true" : "false")}&perPage=100"))
            .Json!["items"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();

    /// <summary>The seed is intact: the same collections, and posts with its one record.</summary>
    private static async Task AssertSeedUnchangedAsync(TestServer server)
    {
        Assert.Equal(["other", "posts"], await NamesAsync(server));
        Assert.Equal(["id", "title", "created", "updated"], (await server.CollectionAsync("posts"))["fields"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        Assert.Equal("one", (await server.RecordsAsync("posts")).Single()["title"]!.GetValue<string>());
    }

    public static TheoryData<ApiScenario> Scenarios() =>
    [
        Import("Import_NewCollections_CreatesThemWithDefaults", """[{"name":"notes","fields":[{"name":"body","type":"text"}]},{"name":"members","type":"auth"}]""") with
        {
            Verify = async (server, response) =>
            {
                Assert.Equal("", response.Text);
                var notes = await server.CollectionAsync(CollectionId("base", "notes"));
                Assert.Equal(["id", "body", "created", "updated"], notes["fields"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
                var members = await server.CollectionAsync(CollectionId("auth", "members"));
                Assert.Equal(2, members["indexes"]!.AsArray().Count);
                Assert.Equal(2, (await server.SqlIndexesAsync("members")).Count);
                await server.CreateRecordAsync("members", Obj("""{"email":"a@example.com","password":"12345678","passwordConfirm":"12345678"}"""));
                await server.CreateRecordAsync("notes", Obj("""{"body":"x"}"""));
            },
        },
        Import("Import_ExistingByName_UpdatesAndKeepsRecords", $$"""[{"name":"posts","fields":[{"name":"title","type":"text"},{"name":"views","type":"number"},{{Autodates}}]}]""") with
        {
            Verify = async (server, _) =>
            {
                var record = (await server.RecordsAsync("posts")).Single();
                Assert.Equal("one", record["title"]!.GetValue<string>());
                Assert.Equal(0, record["views"]!.GetValue<int>());
                Assert.Equal(PostsId, (await server.CollectionAsync("posts"))["id"]!.GetValue<string>());
                Assert.Equal(["other", "posts"], await NamesAsync(server));
            },
        },
        Import("Import_ExistingById_RenamesAndKeepsRecords", $$"""[{"id":"{{PostsId}}","name":"articles","fields":[{"name":"title","type":"text"},{{Autodates}}]}]""") with
        {
            Verify = async (server, _) =>
            {
                Assert.Equal("one", (await server.RecordsAsync("articles")).Single()["title"]!.GetValue<string>());
                Assert.False(await server.TableExistsAsync("posts"));
            },
        },
        Import("Import_WithoutDeleteMissing_KeepsUnlistedCollections", """[{"name":"notes"}]""") with
        {
            Verify = async (server, _) => Assert.Equal(["notes", "other", "posts"], await NamesAsync(server)),
        },
        Import("Import_DeleteMissing_DeletesUnlistedButSystemCollections", $$"""[{"name":"posts","fields":[{"name":"title","type":"text"},{{Autodates}}]},{"name":"notes"}]""", deleteMissing: true) with
        {
            Verify = async (server, _) =>
            {
                Assert.Equal(["notes", "posts"], await NamesAsync(server));
                Assert.Equal(global::Cairn.Collections.SystemCollections.Required().Select(c => c.Name).Order(StringComparer.Ordinal), await NamesAsync(server, system: true));
                Assert.False(await server.TableExistsAsync("other"));
                Assert.Single(await server.RecordsAsync("posts"));
                // The superuser can still sign in.
                Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Get, "/api/collections")).Status);
            },
        },
        Import("Import_DeleteMissing_DeletesCollectionsThatOnlyReferenceEachOther", """[{"name":"notes"}]""", deleteMissing: true) with
        {
            Setup = async server =>
            {
                await SeedAsync(server);
                await server.CreateCollectionAsync(Obj($$"""{"name":"comments","fields":[{"name":"post","type":"relation","collectionId":"{{PostsId}}"}]}"""));
            },
            Verify = async (server, _) => Assert.Equal(["notes"], await NamesAsync(server)),
        },
        Import("Import_DeleteMissingStillReferenced_Returns400AndChangesNothing", $$"""[{"name":"comments","fields":[{"name":"post","type":"relation","collectionId":"{{PostsId}}"},{{Autodates}}]},{"name":"other"}]""", deleteMissing: true) with
        {
            Setup = async server =>
            {
                await SeedAsync(server);
                await server.CreateCollectionAsync(Obj($$"""{"name":"comments","fields":[{"name":"post","type":"relation","collectionId":"{{PostsId}}"}]}"""));
            },
            Status = 400,
            Verify = async (server, _) =>
            {
                Assert.Equal(["comments", "other", "posts"], await NamesAsync(server));
                Assert.Single(await server.RecordsAsync("posts"));
            },
        },
        Import("Import_RelationsBetweenImportedCollections_Resolve", """
            [{"name":"comments","fields":[{"name":"post","type":"relation","collectionId":"imported_posts","cascadeDelete":true},{"name":"author","type":"relation","collectionId":"imported_people"}]},
             {"id":"imported_posts","name":"stories","fields":[{"name":"title","type":"text"}]},
             {"id":"imported_people","name":"people","type":"auth"}]
            """) with
        {
            Verify = async (server, _) =>
            {
                var story = await server.CreateRecordAsync("stories", Obj("""{"title":"hello"}"""));
                var person = await server.CreateRecordAsync("people", Obj("""{"email":"p@example.com","password":"12345678","passwordConfirm":"12345678"}"""));
                await server.CreateRecordAsync("comments", new JsonObject { ["post"] = story["id"]!.GetValue<string>(), ["author"] = person["id"]!.GetValue<string>() });
                Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, $"/api/collections/stories/records/{story["id"]}")).Status);
                Assert.Empty(await server.RecordsAsync("comments"));
            },
        },
        Import("Import_InvalidItem_Returns400UnderItsIndexAndCreatesNothing", """[{"name":"notes"},{"name":"bad name"}]""") with
        {
            Status = 400,
            Errors = new() { ["collections.1.name"] = "validation_invalid_name" },
            Verify = (server, _) => AssertSeedUnchangedAsync(server),
        },
        Import("Import_MissingRelationTarget_Returns400UnderItsIndex", """[{"name":"notes"},{"name":"comments","fields":[{"name":"post","type":"relation","collectionId":"pbc_missing"}]}]""") with
        {
            Status = 400,
            Errors = new() { ["collections.1.fields.1.collectionId"] = "validation_missing_collection" },
            Verify = (server, _) => AssertSeedUnchangedAsync(server),
        },
        Import("Import_DuplicateNewNames_Returns400", """[{"name":"notes"},{"name":"Notes"}]""") with
        {
            Status = 400,
            Errors = new() { ["collections.1.name"] = "validation_collection_name_exists" },
            Verify = (server, _) => AssertSeedUnchangedAsync(server),
        },
        Import("Import_TypeChangeOfExisting_Returns400", """[{"name":"other","type":"auth"}]""") with
        {
            Status = 400,
            Errors = new() { ["collections.0.type"] = "validation_collection_type_change" },
        },
        Import("Import_UniqueIndexOverDuplicates_Returns400AndChangesNothing", $$"""[{"name":"notes"},{"name":"posts","fields":[{"name":"title","type":"text"},{"name":"extra","type":"text"},{{Autodates}}],"indexes":["CREATE UNIQUE INDEX idx_title ON posts (title)"]}]""") with
        {
            Setup = async server =>
            {
                await SeedAsync(server);
                await server.CreateRecordAsync("posts", Obj("""{"title":"one"}"""));
            },
            Status = 400,
            Errors = new() { ["collections.1.indexes.0"] = "validation_invalid_index_expression" },
            Verify = async (server, _) =>
            {
                Assert.Equal(["other", "posts"], await NamesAsync(server));
                Assert.False(await server.TableExistsAsync("notes"));
                Assert.DoesNotContain("extra", await server.ColumnsAsync("posts"));
                Assert.Empty(await server.SqlIndexesAsync("posts"));
            },
        },
        Import("Import_EmptyList_Returns400Required", "[]") with
        {
            Status = 400, Errors = new() { ["collections"] = "validation_required" },
        },
        Import("Import_ItemNotAnObject_Returns400UnderItsIndex", """[{"name":"notes"},"posts"]""") with
        {
            Status = 400, Errors = new() { ["collections.1"] = "validation_invalid_value" },
            Verify = (server, _) => AssertSeedUnchangedAsync(server),
        },
        new ApiScenario("Import_CollectionsNotAList_Returns400", HttpMethod.Put, "/api/collections/import")
        {
            Body = Obj("""{"collections":{"name":"notes"}}"""),
            Status = 400,
            Errors = new() { ["collections"] = "validation_required" },
        },
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Import_Scenario(ApiScenario scenario) => scenario.RunAsync();
}
