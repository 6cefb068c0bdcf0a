using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using static Cairn.Tests.Auth.Sessions.SessionKit;

namespace Cairn.Tests.Auth.Sessions;

/// <summary>
/// A request without an <c>Authorization</c> header is signed in by its <c>cairn_session</c> cookie, as long as
/// the session is live: not expired, not revoked, its record still there with the same signing key.
/// </summary>
public sealed class SessionAuthenticationTests
{
    [Fact]
    public async Task Cookie_AuthenticatesAGet()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        Assert.Equal(session.UserId, await WhoAmIAsync(server, session));
        var guest = await SendAsync(server, HttpMethod.Get, Users + "/records");
        Assert.Equal(0, guest.Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task Cookie_WithCsrfHeader_CanRefreshIntoABearerToken()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        var refreshed = await SendAsync(server, HttpMethod.Post, Users + "/auth-refresh", session, csrf: true);

        Assert.Equal(200, refreshed.Status);
        Assert.Equal(session.UserId, refreshed.Json!["record"].Str("id"));
        var byToken = await server.SendAsync(HttpMethod.Get, Users + "/records", token: refreshed.Json.Str("token"));
        Assert.Equal(session.UserId, byToken.Json!["items"]![0].Str("id"));
    }

    [Fact]
    public async Task CookieAndBearer_BearerWins()
    {
        await using var server = await StartAsync();
        var mine = await SignInAsync(server);
        var others = await SignInAsync(server, "other@example.com");

        var both = await SendAsync(server, HttpMethod.Get, Users + "/records", mine, token: others.Token);
        Assert.Equal(others.UserId, both.Json!["items"]![0].Str("id"));

        // An invalid bearer token is not rescued by the cookie: the header alone decides.
        var invalidBearer = await SendAsync(server, HttpMethod.Get, Users + "/records", mine, token: "Bearer not-a-token");
        Assert.Equal(0, invalidBearer.Json!["totalItems"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("cairn_session=")]
    [InlineData("cairn_session=not-a-session")]
    [InlineData("cairn_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("other=1")]
    public async Task UnknownCookie_IsAGuest(string cookie)
    {
        await using var server = await StartAsync();
        await SignInAsync(server);
        var response = await SendAsync(server, HttpMethod.Get, Users + "/records", cookie: cookie);
        Assert.Equal(200, response.Status);
        Assert.Equal(0, response.Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task OverlongCookie_IsAGuest()
    {
        await using var server = await StartAsync();
        var response = await SendAsync(server, HttpMethod.Get, Users + "/sessions", cookie: "cairn_session=" + new string('a', 4096));
        response.AssertError(401);
    }

    [Fact]
    public async Task PasswordChange_EndsTheRecordsSessions()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        var others = await SignInAsync(server, "other@example.com");

        var change = await server.AsSuperuser(HttpMethod.Patch, $"/api/collections/users/records/{session.UserId}",
            new JsonObject { ["password"] = "password456", ["passwordConfirm"] = "password456" });
        Assert.Equal(200, change.Status);

        Assert.Null(await WhoAmIAsync(server, session));
        Assert.Equal(others.UserId, await WhoAmIAsync(server, others));
        // The dead session is gone from the store once it was presented.
        Assert.DoesNotContain(await StoredSessionsAsync(server), s => s.Str("recordRef") == session.UserId);
    }

    [Fact]
    public async Task CollectionSecretRotation_EndsAllItsSessions()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        var rotate = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users",
            new JsonObject { ["authToken"] = new JsonObject { ["secret"] = new string('s', 50) } });
        Assert.Equal(200, rotate.Status);

        Assert.Null(await WhoAmIAsync(server, session));
    }

    [Fact]
    public async Task DeletedRecord_SessionNoLongerAuthenticates()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, $"/api/collections/users/records/{session.UserId}")).Status);

        var response = await SendAsync(server, HttpMethod.Get, Users + "/sessions", session);
        response.AssertError(401);
    }

    [Fact]
    public async Task ExpiredSession_IsAGuest_OneSecondAfterItsExpiry()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock);
        var seconds = await AuthTokenSecondsAsync(server);
        var session = await SignInAsync(server);

        clock.Now = clock.Now.AddSeconds(seconds - 1);
        Assert.Equal(session.UserId, await WhoAmIAsync(server, session));
        clock.Now = clock.Now.AddSeconds(1);
        Assert.Null(await WhoAmIAsync(server, session));
    }

    [Fact]
    public async Task LastSeen_IsWrittenAtMostOncePerMinute()
    {
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        await using var server = await StartAsync(clock);
        var session = await SignInAsync(server);
        async Task<(string LastSeen, string Updated)> StoredAsync()
        {
            var stored = Assert.Single(await StoredSessionsAsync(server))!;
            return (stored.Str("lastSeen"), stored.Str("updated"));
        }
        var signedIn = await StoredAsync();
        Assert.Equal("2026-03-01 12:00:00.000Z", signedIn.LastSeen);

        clock.Now = start.AddSeconds(59);
        await WhoAmIAsync(server, session);
        Assert.Equal(signedIn, await StoredAsync()); // not even touched

        clock.Now = start.AddSeconds(60);
        await WhoAmIAsync(server, session);
        Assert.Equal("2026-03-01 12:01:00.000Z", (await StoredAsync()).LastSeen);

        clock.Now = start.AddSeconds(100);
        await WhoAmIAsync(server, session);
        Assert.Equal("2026-03-01 12:01:00.000Z", (await StoredAsync()).LastSeen);
    }
}
