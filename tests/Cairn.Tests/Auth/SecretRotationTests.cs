using System.Text.Json.Nodes;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Cairn.Tests.Records;
using Record = Cairn.Records.Record;

namespace Cairn.Tests.Auth;

/// <summary>
/// Collection-wide revocation: PATCHing a collection with a new <c>authToken.secret</c> (30–255 characters)
/// ends every auth token of that collection at once, cached ones included; other token kinds and other
/// collections' tokens live on (POCKETBASE_API.md 3.1, 4).
/// </summary>
public sealed class SecretRotationTests
{
    private const string NewSecret = "a-brand-new-secret-of-forty-characters-x";

    private static Task<ApiResponse> RefreshAsync(TestServer server, string token) =>
        server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token);

    private static async Task<Record> LoadAsync(TestServer server, string id)
    {
        var users = server.Service<CollectionRegistry>().Find("users")!;
        return (await server.Service<IDatabase>().ReadAsync(c => server.Service<RecordStore>().FindById(c, null, users, id), TestContext.Current.CancellationToken))!;
    }

    [Fact]
    public async Task NewAuthSecret_RevokesEveryAuthTokenOfTheCollection()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, myToken) = await server.CreateUserAsync("me@example.com");
        var (_, otherToken) = await server.CreateUserAsync("other@example.com");
        var tokens = server.Service<TokenService>();
        var fileToken = tokens.Issue(await LoadAsync(server, me.Str("id")), TokenService.File);
        // Used once each: the verified-token cache remembers them.
        Assert.Equal(200, (await RefreshAsync(server, myToken)).Status);
        Assert.Equal(200, (await RefreshAsync(server, otherToken)).Status);
        Assert.NotNull(await tokens.ValidateAsync(fileToken, TokenService.File, TestContext.Current.CancellationToken));

        var rotate = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["authToken"] = new JsonObject { ["secret"] = NewSecret } });
        Assert.True(rotate.Status == 200, rotate.Text);
        Assert.Null(rotate.Json!["authToken"]!["secret"]); // never shown
        Assert.Equal(432000, rotate.Json["authToken"]!["duration"]!.GetValue<int>()); // the duration is kept

        (await RefreshAsync(server, myToken)).AssertError(401);
        (await RefreshAsync(server, otherToken)).AssertError(401);
        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/users/records/{me.Str("id")}", token: myToken);
        Assert.False(view.Json!.AsObject().ContainsKey("email")); // a guest now
        Assert.NotNull(await tokens.ValidateAsync(fileToken, TokenService.File, TestContext.Current.CancellationToken)); // other kinds live on
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Get, "/api/collections")).Status); // other collections' tokens too

        // Signing in again gives a token that works.
        var signIn = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
            TestCollections.Json("""{"identity":"me@example.com","password":"password123"}"""));
        Assert.Equal(200, (await RefreshAsync(server, signIn.Json.Str("token"))).Status);
    }

    [Fact]
    public async Task SameSecretAgain_RevokesNothing()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (_, token) = await server.CreateUserAsync("me@example.com");
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["authToken"] = new JsonObject { ["duration"] = 3600 } })).Status);
        Assert.Equal(200, (await RefreshAsync(server, token)).Status);
    }

    [Fact]
    public async Task NewFileSecret_LeavesAuthTokensAlone()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var tokens = server.Service<TokenService>();
        var fileToken = tokens.Issue(await LoadAsync(server, me.Str("id")), TokenService.File);
        Assert.NotNull(await tokens.ValidateAsync(fileToken, TokenService.File, TestContext.Current.CancellationToken));

        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["fileToken"] = new JsonObject { ["secret"] = NewSecret } })).Status);

        Assert.Null(await tokens.ValidateAsync(fileToken, TokenService.File, TestContext.Current.CancellationToken));
        Assert.Equal(200, (await RefreshAsync(server, token)).Status);
    }

    [Fact]
    public async Task SuperusersSecret_RevokesSuperuserTokens()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Get, "/api/collections")).Status);
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/_superusers", new JsonObject { ["authToken"] = new JsonObject { ["secret"] = NewSecret } })).Status);
        (await server.AsSuperuser(HttpMethod.Get, "/api/collections")).AssertError(401);
    }

    [Theory]
    [InlineData(29)]
    [InlineData(256)]
    [InlineData(0)]
    public async Task SecretOfTheWrongLength_Is400_AndChangesNothing(int length)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (_, token) = await server.CreateUserAsync("me@example.com");

        var response = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users",
            new JsonObject { ["authToken"] = new JsonObject { ["secret"] = new string('s', length) } });

        response.AssertError(400);
        Assert.Equal("validation_length_out_of_range", response.Json!["data"]!["authToken"]!["secret"]!["code"]!.GetValue<string>());
        Assert.Equal(200, (await RefreshAsync(server, token)).Status);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(255)]
    public async Task SecretAtTheLimits_IsAccepted(int length)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var response = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users",
            new JsonObject { ["authToken"] = new JsonObject { ["secret"] = new string('s', length) } });
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(new string('s', length), server.Service<CollectionRegistry>().Find("users")!.TokenSecret("authToken"));
    }
}
