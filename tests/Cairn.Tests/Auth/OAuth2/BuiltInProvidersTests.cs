using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth.OAuth2;

/// <summary>
/// The built-in providers' user mapping, each pointed at <see cref="FakeOAuth2Provider"/> through its
/// configurable URLs: which id, name, email and avatar they take, and when they count an email as verified.
/// </summary>
public sealed class BuiltInProvidersTests
{
    private const string RedirectURL = "http://127.0.0.1:9/oauth2-callback";

    private static async Task<(TestServer Server, FakeOAuth2Provider Fake)> StartAsync(string provider, Action<IServiceCollection>? services = null)
    {
        var fake = await FakeOAuth2Provider.StartAsync();
        fake.ExpectedRedirect = RedirectURL;
        var server = await TestServer.StartAsync(services: services);
        await server.CreateCollectionAsync(new JsonObject
        {
            ["name"] = "users", ["type"] = "auth", ["createRule"] = "",
            ["fields"] = new JsonArray(new JsonObject { ["name"] = "name", ["type"] = "text" }, new JsonObject { ["name"] = "avatar", ["type"] = "url" },
                new JsonObject { ["name"] = "username", ["type"] = "text" }),
            ["oauth2"] = new JsonObject
            {
                ["enabled"] = true,
                ["mappedFields"] = new JsonObject { ["name"] = "name", ["avatarURL"] = "avatar", ["username"] = "username" },
                ["providers"] = new JsonArray(new JsonObject
                {
                    ["name"] = provider, ["clientId"] = FakeOAuth2Provider.ClientId, ["clientSecret"] = FakeOAuth2Provider.ClientSecret,
                    ["authURL"] = fake.Url + "/authorize", ["tokenURL"] = fake.Url + "/token", ["userInfoURL"] = fake.Url + "/user",
                }),
            },
        });
        return (server, fake);
    }

    /// <summary>Takes the verifier auth-methods handed out, as the SDK would, and redeems the fake's code with it.</summary>
    private static async Task<ApiResponse> SignInAsync(TestServer server, FakeOAuth2Provider fake, string provider)
    {
        var methods = await server.SendAsync(HttpMethod.Get, "/api/collections/users/auth-methods");
        var verifier = methods.Json!["oauth2"]!["providers"]![0]!.Str("codeVerifier");
        fake.ExpectedVerifier = verifier;
        return await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-oauth2", new JsonObject
        {
            ["provider"] = provider, ["code"] = FakeOAuth2Provider.Code, ["codeVerifier"] = verifier, ["redirectURL"] = RedirectURL,
        });
    }

    /// <summary>A clock fixed in time, so the access token's expiry in <c>meta</c> is known exactly.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task GitHub_MapsTheUser_AndTakesTheVerifiedPrimaryEmail()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var (server, fake) = await StartAsync("github", s => s.AddSingleton<TimeProvider>(new FixedClock(now)));
        await using var _ = server;
        await using var __ = fake;
        fake.User = TestCollections.Json("""{"id":12345,"login":"octocat","name":"The Octocat","email":"public@example.com","avatar_url":"https://avatars.example.com/u/12345"}""");
        fake.Emails = JsonNode.Parse("""[{"email":"old@example.com","primary":false,"verified":true},{"email":"octo@example.com","primary":true,"verified":true}]""")!;

        var response = await SignInAsync(server, fake, "github");

        Assert.True(response.Status == 200, response.Text);
        var meta = response.Json!["meta"]!;
        Assert.Equal("12345", meta.Str("id"));
        Assert.Equal("octocat", meta.Str("username"));
        Assert.Equal("The Octocat", meta.Str("name"));
        Assert.Equal("octo@example.com", meta.Str("email"));
        Assert.Equal("https://avatars.example.com/u/12345", meta.Str("avatarURL"));
        Assert.Equal(FakeOAuth2Provider.AccessToken, meta.Str("accessToken"));
        Assert.Equal("fake-refresh", meta.Str("refreshToken"));
        Assert.Equal("2030-01-02 04:04:05.000Z", meta.Str("expiry")); // expires_in 3600 from the injected clock
        var record = response.Json["record"]!;
        Assert.Equal("octo@example.com", record.Str("email"));
        Assert.True(record["verified"]!.GetValue<bool>());
        Assert.Equal("octocat", record.Str("username"));
        Assert.Equal("https://avatars.example.com/u/12345", record.Str("avatar"));
    }

    [Fact]
    public async Task GitHub_WithoutAVerifiedPrimaryEmail_DoesNotLinkTheAccountWithThePublicEmail()
    {
        var (server, fake) = await StartAsync("github");
        await using var _ = server;
        await using var __ = fake;
        await server.CreateRecordAsync("users", """{"email":"public@example.com","password":"password123","passwordConfirm":"password123","verified":true}""");
        fake.User = TestCollections.Json("""{"id":666,"login":"mallory","email":"public@example.com"}""");
        fake.Emails = JsonNode.Parse("""[{"email":"public@example.com","primary":true,"verified":false}]""")!;

        var response = await SignInAsync(server, fake, "github");

        response.AssertError(400);
        var links = await server.AsSuperuser(HttpMethod.Get, "/api/collections/_externalAuths/records");
        Assert.Equal(0, links.Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task Google_MapsTheOpenIdConnectUserInfo()
    {
        var (server, fake) = await StartAsync("google");
        await using var _ = server;
        await using var __ = fake;
        fake.User = TestCollections.Json("""{"sub":"1098765","name":"Gina Google","email":"gina@example.com","email_verified":true,"picture":"https://lh3.example.com/gina.png"}""");

        var response = await SignInAsync(server, fake, "google");

        Assert.True(response.Status == 200, response.Text);
        var meta = response.Json!["meta"]!;
        Assert.Equal("1098765", meta.Str("id"));
        Assert.Equal("Gina Google", meta.Str("name"));
        Assert.Equal("https://lh3.example.com/gina.png", meta.Str("avatarURL"));
        Assert.Equal("gina@example.com", meta["rawUser"]!.Str("email"));
        Assert.True(response.Json["record"]!["verified"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Google_UnverifiedEmail_CreatesAnUnverifiedAccount()
    {
        var (server, fake) = await StartAsync("google");
        await using var _ = server;
        await using var __ = fake;
        fake.User = TestCollections.Json("""{"sub":"42","name":"Una","email":"una@example.com","email_verified":false}""");

        var response = await SignInAsync(server, fake, "google");

        Assert.True(response.Status == 200, response.Text);
        Assert.False(response.Json!["record"]!["verified"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Microsoft_MailIsNeverTakenAsVerified()
    {
        var (server, fake) = await StartAsync("microsoft");
        await using var _ = server;
        await using var __ = fake;
        var existing = await server.CreateRecordAsync("users", """{"email":"ceo@example.com","password":"password123","passwordConfirm":"password123","verified":true}""");
        fake.User = TestCollections.Json("""{"id":"ms-1","displayName":"Not The CEO","mail":"ceo@example.com"}""");

        var response = await SignInAsync(server, fake, "microsoft");

        response.AssertError(400);
        Assert.NotEqual(existing.Str("id"), response.Json!["record"]?["id"]?.GetValue<string>());
    }

    [Fact]
    public async Task GitLab_And_Discord_MapTheirUsers()
    {
        var (gitlab, fakeGitLab) = await StartAsync("gitlab");
        await using var _ = gitlab;
        await using var __ = fakeGitLab;
        fakeGitLab.User = TestCollections.Json("""{"id":7,"username":"gl","name":"Gail Lab","email":"gail@example.com","confirmed_at":"2024-01-01T00:00:00Z","avatar_url":"https://gitlab.example.com/a.png"}""");
        var gl = await SignInAsync(gitlab, fakeGitLab, "gitlab");
        Assert.True(gl.Status == 200, gl.Text);
        Assert.Equal("7", gl.Json!["meta"]!.Str("id"));
        Assert.True(gl.Json["record"]!["verified"]!.GetValue<bool>());

        var (discord, fakeDiscord) = await StartAsync("discord");
        await using var ___ = discord;
        await using var ____ = fakeDiscord;
        fakeDiscord.User = TestCollections.Json("""{"id":"80351110224678912","username":"nelly","global_name":"Nelly","email":"nelly@example.com","verified":false,"avatar":"8342729096ea3675442027381ff50dfe"}""");
        var dc = await SignInAsync(discord, fakeDiscord, "discord");
        Assert.True(dc.Status == 200, dc.Text);
        Assert.Equal("https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png", dc.Json!["meta"]!.Str("avatarURL"));
        Assert.False(dc.Json["record"]!["verified"]!.GetValue<bool>());
    }

    [Fact]
    public async Task UserEndpointRefusingTheToken_Returns400FailedToFetchUser()
    {
        var (server, fake) = await StartAsync("google");
        await using var _ = server;
        await using var __ = fake;
        fake.User = TestCollections.Json("""{"name":"no id"}""");

        var response = await SignInAsync(server, fake, "google");

        response.AssertError(400, "Failed to fetch OAuth2 user.");
    }

    [Fact]
    public async Task HangingTokenEndpoint_Returns400_WithinTheTimeout()
    {
        var (server, fake) = await StartAsync("google", s => s.AddSingleton(new global::Cairn.Auth.OAuth2.OAuth2Options(TimeSpan.FromSeconds(1))));
        await using var _ = server;
        await using var __ = fake;
        fake.TokenDelay = TimeSpan.FromSeconds(20);
        var started = DateTimeOffset.UtcNow;

        var response = await SignInAsync(server, fake, "google");

        response.AssertError(400, "Failed to fetch OAuth2 token.");
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(10));
    }
}
