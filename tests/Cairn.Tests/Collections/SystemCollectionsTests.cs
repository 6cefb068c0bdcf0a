using Cairn.Tests.Records;
using static Cairn.Tests.Collections.CollectionFixtures;
using global::Cairn.Collections;
using global::Cairn.Storage;

namespace Cairn.Tests.Collections;

/// <summary>The collections a data folder starts with (POCKETBASE_API.md 1.3, 3.3): the system ones and the default <c>users</c>.</summary>
public sealed class SystemCollectionsTests
{
    private static Task<TestServer> StartWithDefaultsAsync() => TestServer.StartAsync(o => o with { CreateUsersCollection = true });

    [Fact]
    public async Task NewDataFolder_HasTheDefaultUsersCollection()
    {
        await using var server = await StartWithDefaultsAsync();
        var users = await server.CollectionAsync("users");

        Assert.Equal("_pb_users_auth_", users["id"]!.GetValue<string>());
        Assert.Equal("auth", users["type"]!.GetValue<string>());
        Assert.False(users["system"]!.GetValue<bool>());
        Assert.Equal("id = @request.auth.id", users["listRule"]!.GetValue<string>());
        Assert.Equal("", users["createRule"]!.GetValue<string>());
        Assert.Equal("name", users["oauth2"]!["mappedFields"]!["name"]!.GetValue<string>());
        Assert.Equal("avatar", users["oauth2"]!["mappedFields"]!["avatarURL"]!.GetValue<string>());
        var fields = users["fields"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["id", "password", "tokenKey", "email", "emailVisibility", "verified", "name", "avatar", "created", "updated"], fields);

        // Usable straight away: a guest signs up and signs in, and sees only their own record.
        var signUp = await server.SendAsync(HttpMethod.Post, "/api/collections/users/records",
            Obj("""{"email":"new@example.com","password":"password123","passwordConfirm":"password123","name":"New"}"""));
        Assert.Equal(200, signUp.Status);
        var signIn = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", Obj("""{"identity":"new@example.com","password":"password123"}"""));
        Assert.Equal(200, signIn.Status);
        var guestList = await server.SendAsync(HttpMethod.Get, "/api/collections/users/records");
        Assert.Equal(0, guestList.Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task AuthBookkeepingCollections_AreSystemAndOwnerReadable()
    {
        await using var server = await StartWithDefaultsAsync();
        foreach (var name in new[] { "_mfas", "_otps", "_externalAuths", "_authOrigins", "_sessions" })
        {
            var c = await server.CollectionAsync(name);
            Assert.True(c["system"]!.GetValue<bool>(), name);
            Assert.Equal(SystemCollections.OwnerRule, c["listRule"]!.GetValue<string>());
            Assert.Null(c["createRule"]);
            (await server.AsSuperuser(HttpMethod.Delete, $"/api/collections/{name}")).AssertError(400);
        }
        var otps = await server.CollectionAsync("_otps");
        var password = otps["fields"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "password")!;
        Assert.True(password["hidden"]!.GetValue<bool>());
        Assert.Equal(8, password["cost"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeletedUsersCollection_IsNotRecreatedOnTheNextStart_WhileMissingSystemCollectionsAre()
    {
        await using var server = await StartWithDefaultsAsync();
        Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/users")).Status);

        var restarted = new CollectionRegistry();
        await new CollectionStore(server.Service<IDatabase>(), restarted, TimeProvider.System).InitializeAsync(createUsers: true, TestContext.Current.CancellationToken);

        Assert.Null(restarted.Find("users"));
        Assert.NotNull(restarted.Find("_otps"));
        Assert.NotNull(restarted.Find(Collection.SuperusersId));
    }

    [Fact]
    public async Task ServerWithoutTheDefault_StartsWithSystemCollectionsOnly()
    {
        await using var server = await TestServer.StartAsync();
        var list = await server.AsSuperuser(HttpMethod.Get, "/api/collections?perPage=100");
        Assert.All(list.Json!["items"]!.AsArray(), c => Assert.True(c!["system"]!.GetValue<bool>()));
    }
}
