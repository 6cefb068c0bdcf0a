using System.Text.Json.Nodes;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Cairn.Tests.Records;
using Record = Cairn.Records.Record;

namespace Cairn.Tests.Auth;

/// <summary>
/// Passwords are hashed at the password field's bcrypt <c>cost</c> (0 means 10); after the cost changes, a
/// successful sign-in re-hashes the password at the new cost without signing the user out anywhere.
/// </summary>
public sealed class PasswordRehashTests
{
    private static async Task<Record> StoredAsync(TestServer server, string email)
    {
        var users = server.Service<CollectionRegistry>().Find("users")!;
        return (await server.Service<IDatabase>().ReadAsync(c => server.Service<RecordStore>().FindByField(c, users, "email", email), TestContext.Current.CancellationToken))!;
    }

    private static async Task SetCostAsync(TestServer server, int cost)
    {
        var collection = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/users")).Json!.AsObject();
        var password = collection["fields"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "password")!;
        password["cost"] = cost;
        var update = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["fields"] = collection["fields"]!.DeepClone() });
        Assert.True(update.Status == 200, update.Text);
    }

    private static Task<ApiResponse> SignInAsync(TestServer server, string password = "password123") =>
        server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", new JsonObject { ["identity"] = "me@example.com", ["password"] = password });

    [Fact]
    public async Task NewPassword_IsHashedAtTheFieldsCost_ZeroMeaningTen()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        await server.CreateUserAsync("me@example.com");
        Assert.Equal(10, PasswordHasher.CostOf((await StoredAsync(server, "me@example.com")).GetString("password")));

        await SetCostAsync(server, 5);
        await server.CreateUserAsync("two@example.com");
        Assert.Equal(5, PasswordHasher.CostOf((await StoredAsync(server, "two@example.com")).GetString("password")));
    }

    [Fact]
    public async Task CostChanged_SignInRehashes_AndKeepsTheUserSignedIn()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (record, token) = await server.CreateUserAsync("me@example.com");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token)).Status); // verified once, so cached
        var before = await StoredAsync(server, "me@example.com");

        await SetCostAsync(server, 5);
        var signIn = await SignInAsync(server);

        Assert.Equal(200, signIn.Status);
        var after = await StoredAsync(server, "me@example.com");
        Assert.Equal(5, PasswordHasher.CostOf(after.GetString("password")));
        Assert.True(PasswordHasher.Verify("password123", after.GetString("password")));
        Assert.Equal(before.GetString("tokenKey"), after.GetString("tokenKey"));
        Assert.Equal(before.GetString("updated"), after.GetString("updated"));
        Assert.Equal(record.Str("updated"), signIn.Json!["record"].Str("updated"));
        // Both the token from before and the new one still work, and the password still signs in.
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token)).Status);
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: signIn.Json.Str("token"))).Status);
        Assert.Equal(200, (await SignInAsync(server)).Status);
        (await SignInAsync(server, "wrong-password")).AssertError(400, "Failed to authenticate.");
    }

    [Fact]
    public async Task SameCost_SignInWritesNothing()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        await server.CreateUserAsync("me@example.com");
        var before = await StoredAsync(server, "me@example.com");

        Assert.Equal(200, (await SignInAsync(server)).Status);

        var after = await StoredAsync(server, "me@example.com");
        Assert.Equal(before.GetString("password"), after.GetString("password"));
        Assert.Equal(before.Version, after.Version);
    }

    [Fact]
    public async Task CostChanged_FailedSignInWritesNothing()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        await server.CreateUserAsync("me@example.com");
        var before = await StoredAsync(server, "me@example.com");
        await SetCostAsync(server, 5);

        (await SignInAsync(server, "wrong-password")).AssertError(400, "Failed to authenticate.");

        var after = await StoredAsync(server, "me@example.com");
        Assert.Equal(before.GetString("password"), after.GetString("password"));
        Assert.Equal(before.Version, after.Version);
    }

    [Theory]
    [InlineData("$2a$10$abcdefghijklmnopqrstuv", 10)]
    [InlineData("$2b$04$abcdefghijklmnopqrstuv", 4)]
    [InlineData("$2y$12$abcdefghijklmnopqrstuv", 12)]
    [InlineData("", null)]
    [InlineData("plain", null)]
    [InlineData("$2a$1x$abc", null)]
    [InlineData("$2a$+1$abc", null)]
    public void CostOf_ReadsTheBcryptCost(string hash, int? cost) => Assert.Equal(cost, PasswordHasher.CostOf(hash));
}
