using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth;

/// <summary><c>auth-with-password</c>, <c>auth-refresh</c>, the <c>Authorization</c> header and token claims (POCKETBASE_API.md 0.1, 1.3, 4).</summary>
public sealed class AuthApiTests
{
    private const string UsersPassword = "/api/collections/users/auth-with-password";
    private const string UsersRefresh = "/api/collections/users/auth-refresh";

    private static async Task<TestServer> StartWithUserAsync(ManualClock? clock = null)
    {
        var server = await TestServer.StartAsync(services: clock is null ? null : s => s.AddSingleton<TimeProvider>(clock));
        await server.CreateUsersAsync();
        await server.CreateRecordAsync("users", """{"email":"me@example.com","password":"password123","passwordConfirm":"password123"}""");
        return server;
    }

    private static Task<ApiResponse> SignInAsync(TestServer server, string identity, string password) =>
        server.SendAsync(HttpMethod.Post, UsersPassword, new JsonObject { ["identity"] = identity, ["password"] = password });

    private static JsonObject DecodePart(string token, int index)
    {
        var part = token.Split('.')[index].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=');
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(part)))!.AsObject();
    }

    [Fact]
    public async Task AuthWithPassword_Email_ReturnsTokenAndRecordWithEmail()
    {
        await using var server = await StartWithUserAsync();
        var response = await SignInAsync(server, "me@example.com", "password123");

        Assert.Equal(200, response.Status);
        Assert.Equal(3, response.Json.Str("token").Split('.').Length);
        var record = response.Json!["record"]!;
        Assert.Equal("me@example.com", record.Str("email")); // always visible in the auth response
        Assert.Equal("users", record.Str("collectionName"));
        Assert.False(record.AsObject().ContainsKey("password"));
        Assert.False(record.AsObject().ContainsKey("tokenKey"));
    }

    [Fact]
    public async Task AuthWithPassword_FieldsPicker_Applies()
    {
        await using var server = await StartWithUserAsync();
        var response = await server.SendAsync(HttpMethod.Post, UsersPassword + "?fields=token,record.id",
            TestCollections.Json("""{"identity":"me@example.com","password":"password123"}"""));
        Assert.Equal(200, response.Status);
        Assert.Equal(["token", "record"], response.Json!.AsObject().Select(p => p.Key));
        Assert.Equal(["id"], response.Json["record"]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("me@example.com", "wrong-password")]
    [InlineData("nobody@example.com", "password123")]
    [InlineData("me", "password123")]
    [InlineData("ME@EXAMPLE.COM ", "password123")]
    public async Task AuthWithPassword_BadCredentials_Is400WithEmptyData(string identity, string password)
    {
        await using var server = await StartWithUserAsync();
        var response = await SignInAsync(server, identity, password);
        response.AssertError(400, "Failed to authenticate.");
        Assert.Equal("{}", response.Json!["data"]!.ToJsonString());
    }

    [Fact]
    public async Task AuthWithPassword_BaseCollection_Is404()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts");
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/auth-with-password",
            TestCollections.Json("""{"identity":"a@example.com","password":"password123"}"""));
        response.AssertError(404, "Missing or invalid auth collection context.");
    }

    [Fact]
    public async Task AuthRefresh_NoToken_Is401()
    {
        await using var server = await StartWithUserAsync();
        var response = await server.SendAsync(HttpMethod.Post, UsersRefresh);
        response.AssertError(401);
    }

    [Fact]
    public async Task AuthRefresh_TokenOfAnotherCollection_Is403()
    {
        await using var server = await StartWithUserAsync();
        var response = await server.SendAsync(HttpMethod.Post, UsersRefresh, token: server.SuperuserToken);
        response.AssertError(403);
    }

    [Fact]
    public async Task AuthRefresh_ValidToken_ReturnsAWorkingToken()
    {
        await using var server = await StartWithUserAsync();
        var token = (await SignInAsync(server, "me@example.com", "password123")).Json.Str("token");

        var refreshed = await server.SendAsync(HttpMethod.Post, UsersRefresh, token: token);

        Assert.Equal(200, refreshed.Status);
        Assert.Equal("me@example.com", refreshed.Json!["record"].Str("email"));
        var again = await server.SendAsync(HttpMethod.Post, UsersRefresh, token: refreshed.Json.Str("token"));
        Assert.Equal(200, again.Status);
    }

    [Theory]
    [InlineData("{0}")]
    [InlineData("Bearer {0}")]
    [InlineData("bearer {0}")]
    [InlineData("BEARER {0}")]
    [InlineData("  Bearer   {0}  ")]
    public async Task AuthorizationHeader_WithOrWithoutBearer_Authenticates(string format)
    {
        await using var server = await StartWithUserAsync();
        var token = (await SignInAsync(server, "me@example.com", "password123")).Json.Str("token");
        var response = await server.SendAsync(HttpMethod.Post, UsersRefresh, token: string.Format(format, token));
        Assert.Equal(200, response.Status);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("Bearer ")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IngifQ.AAAA")]
    public async Task InvalidToken_OnPublicRoute_IsGuest(string header)
    {
        await using var server = await StartWithUserAsync();
        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/users/records", token: header);
        Assert.Equal(200, list.Status);
        Assert.False(list.Json!["items"]![0]!.AsObject().ContainsKey("email")); // a guest does not see hidden emails
        (await server.SendAsync(HttpMethod.Post, UsersRefresh, token: header)).AssertError(401);
    }

    [Fact]
    public async Task TamperedToken_IsGuest()
    {
        await using var server = await StartWithUserAsync();
        var token = (await SignInAsync(server, "me@example.com", "password123")).Json.Str("token");
        var parts = token.Split('.');
        var tampered = $"{parts[0]}.{parts[1]}.{(parts[2][0] == 'A' ? 'B' : 'A')}{parts[2][1..]}";
        (await server.SendAsync(HttpMethod.Post, UsersRefresh, token: tampered)).AssertError(401);
    }

    [Fact]
    public async Task ExpiredToken_IsGuest_OnPublicRouteAndRefresh()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartWithUserAsync(clock);
        var signIn = await SignInAsync(server, "me@example.com", "password123");
        var token = signIn.Json.Str("token");
        var id = signIn.Json!["record"].Str("id");
        Assert.Equal("me@example.com", (await server.SendAsync(HttpMethod.Get, $"/api/collections/users/records/{id}", token: token)).Json.Str("email"));

        clock.Now += TimeSpan.FromSeconds(432000 + 1); // the users collection's default auth token duration, plus one second

        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/users/records/{id}", token: token);
        Assert.Equal(200, view.Status);
        Assert.False(view.Json!.AsObject().ContainsKey("email"));
        (await server.SendAsync(HttpMethod.Post, UsersRefresh, token: token)).AssertError(401);
    }

    [Fact]
    public async Task UsedToken_StopsWorking_WhenPasswordChangeRotatesTokenKey()
    {
        await using var server = await StartWithUserAsync();
        var signIn = await SignInAsync(server, "me@example.com", "password123");
        var token = signIn.Json.Str("token");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, UsersRefresh, token: token)).Status); // verified, and remembered as verified

        var id = signIn.Json!["record"].Str("id");
        var change = await server.AsSuperuser(HttpMethod.Patch, $"/api/collections/users/records/{id}",
            new JsonObject { ["password"] = "password456", ["passwordConfirm"] = "password456" });
        Assert.Equal(200, change.Status);

        (await server.SendAsync(HttpMethod.Post, UsersRefresh, token: token)).AssertError(401);
    }

    [Fact]
    public async Task Token_HasPocketBaseHeaderAndClaims()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        await using var server = await StartWithUserAsync(clock);
        var signIn = await SignInAsync(server, "me@example.com", "password123");
        var token = signIn.Json.Str("token");

        var header = DecodePart(token, 0);
        var payload = DecodePart(token, 1);

        Assert.Equal("HS256", header.Str("alg"));
        Assert.Equal("JWT", header.Str("typ"));
        Assert.Equal(signIn.Json!["record"].Str("id"), payload.Str("id"));
        Assert.Equal(signIn.Json["record"].Str("collectionId"), payload.Str("collectionId"));
        Assert.Equal("auth", payload.Str("type"));
        Assert.True(payload["refreshable"]!.GetValue<bool>());
        Assert.Equal(1_900_000_000 + 432000, payload["exp"]!.GetValue<long>());
        Assert.Equal(["collectionId", "exp", "id", "refreshable", "type"], payload.Select(p => p.Key).Order());
    }

    [Fact]
    public async Task SuperuserToken_LastsOneDay()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var payload = DecodePart(server.SuperuserToken, 1);
        Assert.Equal("pbc_3142635823", payload.Str("collectionId"));
        Assert.Equal(1_900_000_000 + 86400, payload["exp"]!.GetValue<long>());
    }
}
