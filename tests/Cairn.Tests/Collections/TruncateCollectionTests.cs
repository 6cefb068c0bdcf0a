using System.Text.Json.Nodes;
using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// <c>DELETE /api/collections/{c}/truncate</c>: 204 and every record gone, with relations pointing at them
/// cleaned up as a record delete does (3.2): ids removed, <c>cascadeDelete</c> deleting the referencing
/// records, and a required non-cascading reference failing the whole truncate with nothing deleted.
/// </summary>
public sealed class TruncateCollectionTests
{
    private static readonly string PostsId = CollectionId("base", "posts");

    /// <summary>posts with two records, and comments whose relation <paramref name="relation"/> points at both or one of them.</summary>
    private static Func<TestServer, Task> Seed(string relation) => async server =>
    {
        await server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"title","type":"text"}]}"""));
        await server.CreateRecordAsync("posts", Obj("""{"id":"post00000000001","title":"one"}"""));
        await server.CreateRecordAsync("posts", Obj("""{"id":"post00000000002","title":"two"}"""));
        await server.CreateCollectionAsync(Obj($$"""{"name":"comments","fields":[{"name":"text","type":"text"},{"name":"post","type":"relation","collectionId":"{{PostsId}}",{{relation}}}]}"""));
        await server.CreateCollectionAsync(Obj("""{"name":"unrelated","fields":[{"name":"text","type":"text"}]}"""));
        await server.CreateRecordAsync("unrelated", Obj("""{"text":"stays"}"""));
        var multiple = relation.Contains("\"maxSelect\":5");
        await server.CreateRecordAsync("comments", new JsonObject
        {
            ["text"] = "on one",
            ["post"] = multiple ? new JsonArray("post00000000001", "post00000000002") : "post00000000001",
        });
        await server.CreateRecordAsync("comments", new JsonObject { ["text"] = "on two", ["post"] = multiple ? new JsonArray("post00000000002") : "post00000000002" });
    };

    private static ApiScenario Truncate(string name, string relation) =>
        new(name, HttpMethod.Delete, "/api/collections/posts/truncate") { Setup = Seed(relation), Status = 204 };

    private static async Task<string[]> ValuesAsync(TestServer server, string collection, string field) =>
        (await server.RecordsAsync(collection)).Select(r => r[field]!.ToJsonString()).ToArray();

    public static TheoryData<ApiScenario> Scenarios() =>
    [
        Truncate("Truncate_SingleRelation_ClearsReferences", "\"maxSelect\":1") with
        {
            Verify = async (server, response) =>
            {
                Assert.Equal("", response.Text);
                Assert.Empty(await server.RecordsAsync("posts"));
                Assert.Equal(["\"\"", "\"\""], await ValuesAsync(server, "comments", "post"));
                Assert.Equal(["\"on one\"", "\"on two\""], await ValuesAsync(server, "comments", "text"));
                Assert.Single(await server.RecordsAsync("unrelated"));
                await server.CollectionAsync("posts");
            },
        },
        Truncate("Truncate_MultipleRelation_RemovesIdsFromLists", "\"maxSelect\":5") with
        {
            Verify = async (server, _) => Assert.Equal(["[]", "[]"], await ValuesAsync(server, "comments", "post")),
        },
        Truncate("Truncate_CascadeDelete_DeletesReferencingRecords", "\"maxSelect\":1,\"cascadeDelete\":true") with
        {
            Verify = async (server, _) =>
            {
                Assert.Empty(await server.RecordsAsync("posts"));
                Assert.Empty(await server.RecordsAsync("comments"));
                Assert.Single(await server.RecordsAsync("unrelated"));
            },
        },
        Truncate("Truncate_RequiredRelationWithoutCascade_Returns400AndDeletesNothing", "\"maxSelect\":1,\"required\":true") with
        {
            Status = 400,
            Verify = async (server, _) =>
            {
                Assert.Equal(2, (await server.RecordsAsync("posts")).Count);
                Assert.Equal(["\"post00000000001\"", "\"post00000000002\""], await ValuesAsync(server, "comments", "post"));
            },
        },
        Truncate("Truncate_RequiredRelationWithCascade_DeletesReferencingRecords", "\"maxSelect\":1,\"required\":true,\"cascadeDelete\":true") with
        {
            Verify = async (server, _) => Assert.Empty(await server.RecordsAsync("comments")),
        },
        Truncate("Truncate_EmptyCollection_Returns204", "\"maxSelect\":1") with
        {
            Setup = server => server.CreateCollectionAsync(Obj("""{"name":"posts"}""")),
        },
        new ApiScenario("Truncate_SelfReferencingCascade_Returns204", HttpMethod.Delete, "/api/collections/nodes/truncate")
        {
            Status = 204,
            Setup = async server =>
            {
                await server.CreateCollectionAsync(Obj($$"""{"name":"nodes","fields":[{"name":"parent","type":"relation","cascadeDelete":true,"collectionId":"{{CollectionId("base", "nodes")}}"}]}"""));
                var root = await server.CreateRecordAsync("nodes", Obj("{}"));
                var child = await server.CreateRecordAsync("nodes", new JsonObject { ["parent"] = root["id"]!.GetValue<string>() });
                await server.CreateRecordAsync("nodes", new JsonObject { ["parent"] = child["id"]!.GetValue<string>() });
            },
            Verify = async (server, _) => Assert.Empty(await server.RecordsAsync("nodes")),
        },
        new ApiScenario("Truncate_AuthCollection_RemovesItsRecords", HttpMethod.Delete, "/api/collections/users/truncate")
        {
            Caller = Caller.Superuser,
            Status = 204,
            Setup = async server => await server.CreateUserTokenAsync(),
            Verify = async (server, _) => Assert.Empty(await server.RecordsAsync("users")),
        },
        new ApiScenario("Truncate_ById_Returns204", HttpMethod.Delete, $"/api/collections/{PostsId}/truncate") { Setup = Seed("\"maxSelect\":1"), Status = 204 },
        new ApiScenario("Truncate_Unknown_Returns404", HttpMethod.Delete, "/api/collections/missing/truncate") { Status = 404 },
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Truncate_Scenario(ApiScenario scenario) => scenario.RunAsync();
}
