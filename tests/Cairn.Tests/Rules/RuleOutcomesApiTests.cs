using System.Text.Json.Nodes;
using Shouldly;
using Cairn.Tests.Records;

namespace Cairn.Tests.Rules;

/// <summary>Rule outcomes of POCKETBASE_API.md 1.3 and 2.5 beyond the matrix: authRule, manageRule, the create rule's would-be record, body guards, batch context.</summary>
public sealed class RuleOutcomesApiTests
{
    private static async Task<TestServer> WithCollectionAsync(string name, string rulesJson, string fieldsJson = """[{"name":"title","type":"text"},{"name":"role","type":"text"}]""")
    {
        var server = await TestServer.StartAsync();
        var body = TestCollections.Json($$"""{"name":"{{name}}"}""");
        foreach (var (key, value) in TestCollections.Json(rulesJson)) body[key] = value?.DeepClone();
        body["fields"] = JsonNode.Parse(fieldsJson);
        await server.CreateCollectionAsync(body);
        return server;
    }

    [Fact]
    public async Task AuthRule_UnmatchedRecord_Is403_MatchedIs200()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"users","type":"auth","authRule":"verified = true"}"""));
        await server.CreateRecordAsync("users", """{"email":"a@example.com","password":"password123","passwordConfirm":"password123"}""");
        await server.CreateRecordAsync("users", """{"email":"b@example.com","password":"password123","passwordConfirm":"password123","verified":true}""");

        var refused = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"a@example.com","password":"password123"}"""));
        refused.AssertError(403, "The request doesn't satisfy the collection requirements to authenticate.");
        var allowed = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"b@example.com","password":"password123"}"""));
        Assert.Equal(200, allowed.Status);
    }

    [Fact]
    public async Task AuthRule_Null_Is403ForEveryone()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"users","type":"auth","authRule":null}"""));
        await server.CreateRecordAsync("users", """{"email":"a@example.com","password":"password123","passwordConfirm":"password123"}""");
        var refused = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"a@example.com","password":"password123"}"""));
        refused.AssertError(403, "The request doesn't satisfy the collection requirements to authenticate.");
    }

    [Fact]
    public async Task ManageRule_Manager_ChangesAnotherUsersEmailAndPasswordWithoutOldPassword()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""
            {"name":"users","type":"auth","listRule":"","viewRule":"","updateRule":"@request.auth.id != ''","manageRule":"@request.auth.name = 'boss'",
             "fields":[{"name":"name","type":"text"}]}
            """));
        var (_, bossToken) = await server.CreateUserAsync("boss@example.com");
        var (worker, workerToken) = await server.CreateUserAsync("worker@example.com");
        var (_, peerToken) = await server.CreateUserAsync("peer@example.com");
        await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users/records/" + (await server.SendAsync(HttpMethod.Get, "/api/collections/users/records?filter=" + Uri.EscapeDataString("email = 'boss@example.com'"), token: server.SuperuserToken)).Json!["items"]![0].Str("id"),
            TestCollections.Json("""{"name":"boss"}"""));
        var id = worker.Str("id");

        var peer = await server.SendAsync(HttpMethod.Patch, "/api/collections/users/records/" + id, TestCollections.Json("""{"email":"new@example.com"}"""), peerToken);
        peer.AssertFieldError("Failed to update record.", "email", "validation_values_mismatch");

        var boss = await server.SendAsync(HttpMethod.Patch, "/api/collections/users/records/" + id,
            TestCollections.Json("""{"email":"new@example.com","password":"newpassword1","passwordConfirm":"newpassword1","verified":true}"""), bossToken);
        Assert.True(boss.Status == 200, boss.Text);
        Assert.True(boss.Json!["verified"]!.GetValue<bool>());
        var signIn = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"new@example.com","password":"newpassword1"}"""));
        Assert.Equal(200, signIn.Status);
        _ = workerToken;
    }

    [Fact]
    public async Task CreateRule_SeesTheWouldBeRecord()
    {
        await using var server = await WithCollectionAsync("items", """{"listRule":"","createRule":"title = 'ok' && @request.body.title:isset = true"}""");
        (await server.SendAsync(HttpMethod.Post, "/api/collections/items/records", TestCollections.Json("""{"title":"ok"}"""))).Status.ShouldBe(200);
        (await server.SendAsync(HttpMethod.Post, "/api/collections/items/records", TestCollections.Json("""{"title":"no"}"""))).AssertError(400, "Failed to create record.");
        (await server.SendAsync(HttpMethod.Post, "/api/collections/items/records", TestCollections.Json("""{}"""))).AssertError(400, "Failed to create record.");
    }

    [Fact]
    public async Task CreateRule_CollectionSelfReference_ReadsStoredRowsNotTheNewOne()
    {
        await using var server = await WithCollectionAsync("items", """{"listRule":"","createRule":"@collection.items.title ?= 'seed'"}""");
        (await server.SendAsync(HttpMethod.Post, "/api/collections/items/records", TestCollections.Json("""{"title":"seed"}"""))).AssertError(400, "Failed to create record.");
        await server.CreateRecordAsync("items", """{"title":"seed"}""");
        (await server.SendAsync(HttpMethod.Post, "/api/collections/items/records", TestCollections.Json("""{"title":"other"}"""))).Status.ShouldBe(200);
    }

    [Fact]
    public async Task UpdateRule_ChangedModifier_ForbidsChangingAField()
    {
        await using var server = await WithCollectionAsync("items", """{"listRule":"","viewRule":"","updateRule":"@request.body.role:changed = false"}""");
        var id = (await server.CreateRecordAsync("items", """{"title":"a","role":"user"}""")).Str("id");
        (await server.SendAsync(HttpMethod.Patch, "/api/collections/items/records/" + id, TestCollections.Json("""{"role":"admin"}"""))).AssertError(404);
        (await server.SendAsync(HttpMethod.Patch, "/api/collections/items/records/" + id, TestCollections.Json("""{"role":"user","title":"b"}"""))).Status.ShouldBe(200);
        (await server.SendAsync(HttpMethod.Patch, "/api/collections/items/records/" + id, TestCollections.Json("""{"title":"c"}"""))).Status.ShouldBe(200);
    }

    [Fact]
    public async Task UpdateRule_RequestBodyHoldsValuesAfterModifiers()
    {
        await using var server = await WithCollectionAsync("items", """{"viewRule":"","updateRule":"@request.body.n < 10"}""",
            """[{"name":"n","type":"number"}]""");
        var id = (await server.CreateRecordAsync("items", """{"n":8}""")).Str("id");
        (await server.SendAsync(HttpMethod.Patch, "/api/collections/items/records/" + id, TestCollections.Json("""{"n":"9"}"""))).Status.ShouldBe(200);
        (await server.SendAsync(HttpMethod.Patch, "/api/collections/items/records/" + id, TestCollections.Json("""{"n":12}"""))).AssertError(404);
    }

    [Fact]
    public async Task CreateRule_BatchContext_OnlyInsideABatch()
    {
        await using var server = await WithCollectionAsync("items", """{"listRule":"","createRule":"@request.context = 'batch'"}""");
        (await server.SendAsync(HttpMethod.Post, "/api/collections/items/records", TestCollections.Json("""{"title":"x"}"""))).AssertError(400, "Failed to create record.");
        var batch = await server.SendAsync(HttpMethod.Post, "/api/batch", TestCollections.Json("""{"requests":[{"method":"POST","url":"/api/collections/items/records","body":{"title":"x"}}]}"""));
        Assert.True(batch.Status == 200, batch.Text);
    }

    [Fact]
    public async Task ViewRule_RequestHeaderGuard()
    {
        await using var server = await WithCollectionAsync("items", """{"viewRule":"@request.headers.x_key = 'open'","listRule":"@request.headers.x_key = 'open'"}""");
        var id = (await server.CreateRecordAsync("items", """{"title":"a"}""")).Str("id");
        (await server.SendAsync(HttpMethod.Get, "/api/collections/items/records/" + id)).AssertError(404);
        var open = await server.SendAsync(HttpMethod.Get, "/api/collections/items/records/" + id, configure: r => r.Headers.Add("X-Key", "open"));
        open.Status.ShouldBe(200);
        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/items/records");
        Assert.Equal(0, list.Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task ManageRule_ManagerSeesTheEmail_OthersDoNot()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""
            {"name":"users","type":"auth","listRule":"","viewRule":"","manageRule":"@request.auth.name = 'boss'","fields":[{"name":"name","type":"text"}]}
            """));
        await server.CreateRecordAsync("users", """{"email":"boss@example.com","name":"boss","password":"password123","passwordConfirm":"password123"}""");
        var hidden = await server.CreateRecordAsync("users", """{"email":"hidden@example.com","password":"password123","passwordConfirm":"password123"}""");
        await server.CreateRecordAsync("users", """{"email":"peer@example.com","password":"password123","passwordConfirm":"password123"}""");
        var boss = (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"boss@example.com","password":"password123"}"""))).Json!.Str("token");
        var peer = (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"peer@example.com","password":"password123"}"""))).Json!.Str("token");

        var asBoss = await server.SendAsync(HttpMethod.Get, "/api/collections/users/records/" + hidden.Str("id"), token: boss);
        Assert.Equal("hidden@example.com", asBoss.Json!["email"]?.GetValue<string>());
        var listAsBoss = await server.SendAsync(HttpMethod.Get, "/api/collections/users/records", token: boss);
        Assert.All(listAsBoss.Json!["items"]!.AsArray(), i => Assert.NotNull(i!["email"]));
        var asPeer = await server.SendAsync(HttpMethod.Get, "/api/collections/users/records/" + hidden.Str("id"), token: peer);
        Assert.Null(asPeer.Json!["email"]);
    }

    [Fact]
    public async Task ClientFilter_CrossingALockedCollection_Is400_ButNotForSuperusers()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"vault","fields":[{"name":"name","type":"text"}]}"""));
        var vaultId = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/vault")).Json!.Str("id");
        await server.CreatePublicAsync("things", $$"""[{"name":"owner","type":"relation","collectionId":"{{vaultId}}"}]""");
        var url = "/api/collections/things/records?filter=" + Uri.EscapeDataString("owner.name = 'x'");
        (await server.SendAsync(HttpMethod.Get, url)).AssertError(400);
        (await server.AsSuperuser(HttpMethod.Get, url)).Status.ShouldBe(200);
        (await server.SendAsync(HttpMethod.Get, "/api/collections/things/records?sort=owner.name")).AssertError(400);
        // A rule may cross it: rules are not client filters.
        (await server.SendAsync(HttpMethod.Get, "/api/collections/things/records?filter=" + Uri.EscapeDataString("owner = ''"))).Status.ShouldBe(200);
    }
}
