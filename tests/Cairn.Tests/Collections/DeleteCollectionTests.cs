using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// <c>DELETE /api/collections/{c}</c>: 204 and the table is gone; 400 while another collection still has a
/// relation to it, and for system collections; 404 when unknown.
/// </summary>
public sealed class DeleteCollectionTests
{
    private static async Task SeedAsync(TestServer server)
    {
        await server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"title","type":"text"}]}"""));
        await server.CreateRecordAsync("posts", Obj("""{"title":"one"}"""));
    }

    private static async Task SeedReferencedAsync(TestServer server)
    {
        await SeedAsync(server);
        await server.CreateCollectionAsync(Obj($$"""{"name":"comments","fields":[{"name":"post","type":"relation","collectionId":"{{CollectionId("base", "posts")}}"}]}"""));
    }

    private static ApiScenario Delete(string name, string idOrName) =>
        new(name, HttpMethod.Delete, "/api/collections/" + idOrName) { Setup = SeedAsync, Status = 204 };

    public static TheoryData<ApiScenario> Scenarios() =>
    [
        Delete("Delete_ByName_Returns204AndDropsTable", "posts") with
        {
            Verify = async (server, response) =>
            {
                Assert.Equal("", response.Text);
                await server.AssertNoCollectionAsync("posts");
                Assert.False(await server.TableExistsAsync("posts"));
                Assert.Equal(404, (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts/records")).Status);
                Assert.Equal(404, (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/posts")).Status);
            },
        },
        Delete("Delete_ById_Returns204", CollectionId("base", "posts")) with
        {
            Verify = async (server, _) => await server.AssertNoCollectionAsync("posts"),
        },
        Delete("Delete_NameInOtherCase_Returns204", "POSTS") with
        {
            Verify = async (server, _) => Assert.False(await server.TableExistsAsync("posts")),
        },
        Delete("Delete_ThenCreateSameName_StartsEmpty", "posts") with
        {
            Verify = async (server, _) =>
            {
                await server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"title","type":"text"}]}"""));
                Assert.Empty(await server.RecordsAsync("posts"));
            },
        },
        Delete("Delete_AuthCollection_FreesItsIndexNames", "members") with
        {
            Setup = server => server.CreateCollectionAsync(Obj("""{"name":"members","type":"auth"}""")),
            Verify = async (server, _) =>
            {
                Assert.Empty(await server.SqlIndexesAsync("members"));
                await server.CreateCollectionAsync(Obj("""{"name":"members","type":"auth"}"""));
            },
        },
        Delete("Delete_SelfReferencingCollection_Returns204", "nodes") with
        {
            Setup = server => server.CreateCollectionAsync(Obj($$"""{"name":"nodes","fields":[{"name":"parent","type":"relation","collectionId":"{{CollectionId("base", "nodes")}}"}]}""")),
        },
        Delete("Delete_ReferencedByAnotherCollection_Returns400", "posts") with
        {
            Setup = SeedReferencedAsync,
            Status = 400,
            Contains = ["comments"],
            Values = new() { ["data"] = Obj("{}") },
            Verify = async (server, _) =>
            {
                await server.CollectionAsync("posts");
                Assert.Single(await server.RecordsAsync("posts"));
            },
        },
        Delete("Delete_ReferencingCollection_Returns204", "comments") with
        {
            Setup = SeedReferencedAsync,
            Verify = async (server, _) =>
            {
                // With the relation gone, the referenced collection can go too.
                Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/posts")).Status);
            },
        },
        Delete("Delete_Superusers_Returns400", "_superusers") with
        {
            Status = 400,
            Verify = async (server, _) =>
            {
                await server.CollectionAsync("_superusers");
                Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Get, "/api/collections")).Status);
            },
        },
        Delete("Delete_SuperusersById_Returns400", "pbc_3142635823") with { Status = 400 },
        Delete("Delete_Unknown_Returns404", "missing") with
        {
            Status = 404,
            Values = new() { ["message"] = "The requested resource wasn't found." },
        },
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Delete_Scenario(ApiScenario scenario) => scenario.RunAsync();
}
