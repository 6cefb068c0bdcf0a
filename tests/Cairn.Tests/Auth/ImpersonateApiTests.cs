using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth;

/// <summary>
/// <c>POST /api/collections/{c}/impersonate/{id}</c> <c>{duration?}</c>: superusers only; an auth response
/// with a non-refreshable token that auth-refresh hands back unchanged (POCKETBASE_API.md 1.3, 4).
/// </summary>
public sealed class ImpersonateApiTests
{
    private static async Task<(TestServer Server, string Id, string Token)> StartAsync(ManualClock? clock = null)
    {
        var server = await TestServer.StartAsync(services: clock is null ? null : s => s.AddSingleton<TimeProvider>(clock));
        await server.CreateUsersAsync();
        var (record, token) = await server.CreateUserAsync("me@example.com");
        return (server, record.Str("id"), token);
    }

    private static JsonObject Payload(string token)
    {
        var part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=');
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(part)))!.AsObject();
    }

    [Fact]
    public async Task Superuser_GetsANonRefreshableTokenOfTheRecord()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        var (server, id, _) = await StartAsync(clock);
        await using var _ = server;

        var response = await server.AsSuperuser(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", new JsonObject { ["duration"] = 3600 });

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(["token", "record"], response.Json!.AsObject().Select(p => p.Key));
        Assert.Equal(id, response.Json["record"].Str("id"));
        Assert.Equal("me@example.com", response.Json["record"].Str("email"));
        var payload = Payload(response.Json.Str("token"));
        Assert.False(payload["refreshable"]!.GetValue<bool>());
        Assert.Equal("auth", payload.Str("type"));
        Assert.Equal(id, payload.Str("id"));
        Assert.Equal(1_900_000_000 + 3600, payload["exp"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("""{"duration":0}""")]
    [InlineData("""{"duration":null}""")]
    public async Task NoDuration_MeansTheCollectionsAuthTokenDuration(string? body)
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        var (server, id, _) = await StartAsync(clock);
        await using var _ = server;

        var response = await server.AsSuperuser(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", body is null ? null : TestCollections.Json(body));

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(1_900_000_000 + 432000, Payload(response.Json.Str("token"))["exp"]!.GetValue<long>());
    }

    [Fact]
    public async Task ImpersonatedToken_ActsAsTheUser_AndRefreshReturnsItUnchanged()
    {
        var (server, id, _) = await StartAsync();
        await using var _ = server;
        var token = (await server.AsSuperuser(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", new JsonObject { ["duration"] = 60 })).Json.Str("token");

        var refreshed = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token);
        Assert.Equal(200, refreshed.Status);
        Assert.Equal(token, refreshed.Json.Str("token"));
        Assert.Equal(id, refreshed.Json!["record"].Str("id"));

        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/users/records/{id}", token: token);
        Assert.Equal("me@example.com", view.Json.Str("email")); // the owner sees their own hidden email
        var list = await server.SendAsync(HttpMethod.Get, "/api/collections", token: token);
        list.AssertError(403); // a user, not a superuser
    }

    [Fact]
    public async Task IgnoresTheAuthRule_AsSuperusersBypassRules()
    {
        var (server, id, _) = await StartAsync();
        await using var _ = server;
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["authRule"] = null })).Status);
        (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
            TestCollections.Json("""{"identity":"me@example.com","password":"password123"}"""))).AssertError(403);

        var response = await server.AsSuperuser(HttpMethod.Post, $"/api/collections/users/impersonate/{id}");
        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Guest_Is401()
    {
        var (server, id, _) = await StartAsync();
        await using var _ = server;
        (await server.SendAsync(HttpMethod.Post, $"/api/collections/users/impersonate/{id}")).AssertError(401);
    }

    [Fact]
    public async Task User_Is403_EvenForThemselves()
    {
        var (server, id, token) = await StartAsync();
        await using var _ = server;
        (await server.SendAsync(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", token: token))
            .AssertError(403, "The authorized record is not allowed to perform this action.");
    }

    [Fact]
    public async Task ImpersonatedSuperuserToken_CanImpersonate_ButNeverRefreshesIntoALongerOne()
    {
        var (server, id, _) = await StartAsync();
        await using var _ = server;
        var me = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/_superusers/records")).Json!["items"]![0].Str("id");
        var superToken = (await server.AsSuperuser(HttpMethod.Post, $"/api/collections/_superusers/impersonate/{me}", new JsonObject { ["duration"] = 60 })).Json.Str("token");

        Assert.Equal(superToken, (await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/auth-refresh", token: superToken)).Json.Str("token"));
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", token: superToken)).Status);
    }

    [Theory]
    [InlineData("users", "missing000000000", 404, "The requested resource wasn't found.")]
    [InlineData("nope", "missing000000000", 404, "Missing or invalid auth collection context.")]
    [InlineData("posts", "missing000000000", 404, "Missing or invalid auth collection context.")]
    public async Task UnknownCollectionOrRecord_Is404(string collection, string id, int status, string message)
    {
        var (server, _, _) = await StartAsync();
        await using var _ = server;
        await server.CreatePublicAsync("posts");
        (await server.AsSuperuser(HttpMethod.Post, $"/api/collections/{collection}/impersonate/{id}")).AssertError(status, message);
    }

    [Fact]
    public async Task RecordOfAnotherCollection_Is404()
    {
        var (server, _, _) = await StartAsync();
        await using var _ = server;
        var me = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/_superusers/records")).Json!["items"]![0].Str("id");
        (await server.AsSuperuser(HttpMethod.Post, $"/api/collections/users/impersonate/{me}")).AssertError(404);
    }

    [Theory]
    [InlineData("""{"duration":-1}""", "validation_min_greater_equal_than_required")]
    [InlineData("""{"duration":94670857}""", "validation_max_less_equal_than_required")]
    public async Task DurationOutOfRange_Is400WithFieldError(string body, string code)
    {
        var (server, id, _) = await StartAsync();
        await using var _ = server;
        var response = await server.AsSuperuser(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", TestCollections.Json(body));
        response.AssertFieldError("An error occurred while validating the submitted data.", "duration", code);
    }

    [Theory]
    [InlineData("""{"duration":"3600"}""")]
    [InlineData("""{"duration":1.5}""")]
    [InlineData("""{"duration":true}""")]
    [InlineData("""{"duration":[60]}""")]
    [InlineData("""{"duration":1e30}""")]
    public async Task DurationNotAWholeNumber_Is400(string body)
    {
        var (server, id, _) = await StartAsync();
        await using var _ = server;
        var response = await server.AsSuperuser(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", TestCollections.Json(body));
        response.AssertError(400, "An error occurred while loading the submitted data.");
    }

    [Fact]
    public async Task FormBody_IsReadToo()
    {
        var (server, id, _) = await StartAsync();
        await using var _ = server;
        var response = await server.SendAsync(HttpMethod.Post, $"/api/collections/users/impersonate/{id}", token: server.SuperuserToken,
            configure: r => r.Content = new FormUrlEncodedContent([new("duration", "120")]));
        Assert.True(response.Status == 200, response.Text);
        Assert.False(Payload(response.Json.Str("token"))["refreshable"]!.GetValue<bool>());
    }
}
