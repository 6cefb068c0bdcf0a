using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Rules;
using Cairn.Storage;
using Cairn.Tests.Records;

namespace Cairn.Tests.Query;

/// <summary>The compiled list query of an owner rule uses the collection's index on the owner field (issue 3, performance).</summary>
public sealed class QueryPlanTests
{
    [Fact]
    public async Task OwnerRule_ListQuery_UsesTheAuthorIndex()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"users","type":"auth"}"""));
        var (user, _) = await CreateUserAsync(server);
        var usersId = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/users")).Json!.Str("id");
        await server.CreateCollectionAsync(TestCollections.Json($$"""
            {"name":"posts","listRule":"author = @request.auth.id",
             "fields":[{"name":"title","type":"text"},{"name":"author","type":"relation","collectionId":"{{usersId}}"}],
             "indexes":["CREATE INDEX idx_posts_author ON posts (author)"]}
            """));

        var registry = server.Service<CollectionRegistry>();
        var posts = registry.Find("posts")!;
        var db = server.Service<IDatabase>();
        var auth = new global::Cairn.Auth.RequestAuth(user);
        var statement = RecordListStatement.Build(posts, ListQuery.Parse(new Microsoft.AspNetCore.Http.QueryCollection()), auth,
            new RequestData { Auth = user }, server.Service<RecordRules>(), server.Service<RecordStore>());

        var plan = await db.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand(statement.Select, 30, 0L);
            RecordRules.Bind(command, statement.Bindings);
            return db.Dialect.QueryPlan(command);
        }, TestContext.Current.CancellationToken);

        Assert.Contains(plan, line => line.Contains("idx_posts_author", StringComparison.Ordinal));
    }

    private static async Task<(global::Cairn.Records.Record, string)> CreateUserAsync(TestServer server)
    {
        var json = await server.CreateRecordAsync("users", """{"email":"u@example.com","password":"password123","passwordConfirm":"password123"}""");
        var record = await server.Service<IDatabase>().ReadAsync(connection =>
            server.Service<RecordStore>().FindById(connection, null, server.Service<CollectionRegistry>().Find("users")!, json.Str("id"))!);
        return (record, json.Str("id"));
    }
}
