using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using static Cairn.Tests.Auth.Sessions.SessionKit;

namespace Cairn.Tests.Auth.Sessions;

/// <summary>
/// <c>GET/DELETE /api/collections/{c}/sessions[/{id}]</c> and <c>POST /api/collections/{c}/sign-out</c>: a record
/// lists and revokes its own sessions, revocation works on the very next request, and superusers manage anyone's
/// through the records API of <c>_sessions</c>.
/// </summary>
public sealed class SessionsApiTests
{
    private static async Task<JsonArray> ListAsync(TestServer server, BrowserSession session)
    {
        var list = await SendAsync(server, HttpMethod.Get, Users + "/sessions", session);
        Assert.True(list.Status == 200, list.Text);
        return list.Json!["items"]!.AsArray();
    }

    private static async Task<string> IdOfAsync(TestServer server, BrowserSession session) =>
        (await ListAsync(server, session)).Single(s => s!["current"]!.GetValue<bool>())!.Str("id");

    [Fact]
    public async Task List_ShowsTheCallersSessions_TheCurrentOneMarked()
    {
        await using var server = await StartAsync();
        var laptop = await SignInAsync(server, userAgent: "Laptop/1.0");
        var phone = await SignInAsync(server, userAgent: "Phone/2.0");
        await SignInAsync(server, "other@example.com", userAgent: "Elsewhere/3.0");

        var items = await ListAsync(server, phone);

        Assert.Equal(2, items.Count);
        Assert.Equal(["Laptop/1.0", "Phone/2.0"], items.Select(i => i.Str("userAgent")).Order());
        var current = Assert.Single(items, i => i!["current"]!.GetValue<bool>())!;
        Assert.Equal("Phone/2.0", current.Str("userAgent"));
        Assert.Equal(["created", "current", "expires", "id", "ip", "lastSeen", "userAgent"], current.AsObject().Select(p => p.Key).Order());
        Assert.Equal("127.0.0.1", current.Str("ip"));
        Assert.DoesNotContain(laptop.Cookie, (await SendAsync(server, HttpMethod.Get, Users + "/sessions", phone)).Text);
    }

    [Fact]
    public async Task List_WithABearerToken_MarksNoneCurrent()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        var list = await SendAsync(server, HttpMethod.Get, Users + "/sessions", token: session.Token);
        Assert.False(Assert.Single(list.Json!["items"]!.AsArray())!["current"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Endpoints_NeedARecordOfThatCollection()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        (await SendAsync(server, HttpMethod.Get, Users + "/sessions")).AssertError(401);
        (await SendAsync(server, HttpMethod.Delete, Users + "/sessions")).AssertError(401);
        (await SendAsync(server, HttpMethod.Get, Users + "/sessions", token: server.SuperuserToken)).AssertError(403);
        (await SendAsync(server, HttpMethod.Get, "/api/collections/_superusers/sessions", session)).AssertError(403);
        (await SendAsync(server, HttpMethod.Get, "/api/collections/notes/sessions", session)).AssertError(404);
        (await SendAsync(server, HttpMethod.Get, "/api/collections/missing/sessions", session)).AssertError(404);
        Assert.Single(await StoredSessionsAsync(server));
    }

    [Fact]
    public async Task RevokeOne_StopsThatSessionOnItsNextRequest()
    {
        await using var server = await StartAsync();
        var laptop = await SignInAsync(server);
        var phone = await SignInAsync(server);
        Assert.Equal(phone.UserId, await WhoAmIAsync(server, phone));

        var revoke = await SendAsync(server, HttpMethod.Delete, Users + "/sessions/" + await IdOfAsync(server, phone), laptop, csrf: true);

        Assert.Equal(204, revoke.Status);
        Assert.Empty(SetCookies(revoke)); // the caller's own cookies stay
        Assert.Null(await WhoAmIAsync(server, phone));
        Assert.Equal(laptop.UserId, await WhoAmIAsync(server, laptop));
    }

    [Fact]
    public async Task RevokeOne_TheCurrentSession_ClearsItsCookies()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        var revoke = await SendAsync(server, HttpMethod.Delete, Users + "/sessions/" + await IdOfAsync(server, session), session, csrf: true);

        Assert.Equal(204, revoke.Status);
        AssertCleared(revoke);
        Assert.Null(await WhoAmIAsync(server, session));
    }

    [Fact]
    public async Task RevokeOne_AnotherRecordsSession_Is404AndItKeepsWorking()
    {
        await using var server = await StartAsync();
        var mine = await SignInAsync(server);
        var others = await SignInAsync(server, "other@example.com");

        var revoke = await SendAsync(server, HttpMethod.Delete, Users + "/sessions/" + await IdOfAsync(server, others), mine, csrf: true);

        revoke.AssertError(404);
        Assert.Equal(others.UserId, await WhoAmIAsync(server, others));
    }

    [Fact]
    public async Task RevokeAll_EndsEverySessionOfTheCaller()
    {
        await using var server = await StartAsync();
        var laptop = await SignInAsync(server);
        var phone = await SignInAsync(server);
        var others = await SignInAsync(server, "other@example.com");

        var revoke = await SendAsync(server, HttpMethod.Delete, Users + "/sessions", laptop, csrf: true);

        Assert.Equal(204, revoke.Status);
        AssertCleared(revoke);
        Assert.Null(await WhoAmIAsync(server, laptop));
        Assert.Null(await WhoAmIAsync(server, phone));
        Assert.Equal(others.UserId, await WhoAmIAsync(server, others));
    }

    [Fact]
    public async Task RevokeAll_KeepCurrent_EndsTheOthersOnly()
    {
        await using var server = await StartAsync();
        var laptop = await SignInAsync(server);
        var phone = await SignInAsync(server);

        var revoke = await SendAsync(server, HttpMethod.Delete, Users + "/sessions?keepCurrent=true", laptop, csrf: true);

        Assert.Equal(204, revoke.Status);
        Assert.Empty(SetCookies(revoke));
        Assert.Equal(laptop.UserId, await WhoAmIAsync(server, laptop));
        Assert.Null(await WhoAmIAsync(server, phone));
        Assert.Single(await ListAsync(server, laptop));
    }

    [Fact]
    public async Task RevokeAll_WithoutCsrfProof_Is403AndRevokesNothing()
    {
        await using var server = await StartAsync();
        var laptop = await SignInAsync(server);
        var phone = await SignInAsync(server);

        (await SendAsync(server, HttpMethod.Delete, Users + "/sessions", laptop, origin: "https://evil.example")).AssertError(403);

        Assert.Equal(phone.UserId, await WhoAmIAsync(server, phone));
        Assert.Equal(2, (await StoredSessionsAsync(server)).Count);
    }

    [Fact]
    public async Task SignOut_EndsTheCurrentSessionAndClearsTheCookies()
    {
        await using var server = await StartAsync();
        var laptop = await SignInAsync(server);
        var phone = await SignInAsync(server);

        var signOut = await SendAsync(server, HttpMethod.Post, Users + "/sign-out", laptop, csrf: true);

        Assert.Equal(204, signOut.Status);
        AssertCleared(signOut);
        Assert.Null(await WhoAmIAsync(server, laptop));
        Assert.Equal(phone.UserId, await WhoAmIAsync(server, phone));
    }

    [Fact]
    public async Task SignOut_WithoutASession_OnlyClearsTheCookies()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        var signOut = await SendAsync(server, HttpMethod.Post, Users + "/sign-out", token: session.Token);

        Assert.Equal(204, signOut.Status);
        AssertCleared(signOut);
        Assert.Single(await StoredSessionsAsync(server));
    }

    [Fact]
    public async Task SignOut_FromAnotherCollectionsRoute_Is403()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        (await SendAsync(server, HttpMethod.Post, "/api/collections/_superusers/sign-out", session, csrf: true)).AssertError(403);
        Assert.Equal(session.UserId, await WhoAmIAsync(server, session));
    }

    [Fact]
    public async Task SignOut_ForeignOriginWithoutToken_Is403AndTheSessionLives()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        (await SendAsync(server, HttpMethod.Post, Users + "/sign-out", session, origin: "https://evil.example")).AssertError(403);
        Assert.Equal(session.UserId, await WhoAmIAsync(server, session));
    }

    [Fact]
    public async Task Superuser_ListsAndRevokesAnyonesSessionsThroughTheRecordsApi()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        await SignInAsync(server, "other@example.com");

        var list = await server.AsSuperuser(HttpMethod.Get, $"/api/collections/_sessions/records?filter=(recordRef='{session.UserId}')");
        var id = Assert.Single(list.Json!["items"]!.AsArray())!.Str("id");
        Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/_sessions/records/" + id)).Status);

        Assert.Null(await WhoAmIAsync(server, session));
    }

    [Fact]
    public async Task Owner_SeesAndDeletesOnlyOwnSessionsThroughTheRecordsApi()
    {
        await using var server = await StartAsync();
        var mine = await SignInAsync(server);
        var others = await SignInAsync(server, "other@example.com");
        var othersId = await IdOfAsync(server, others);

        var list = await SendAsync(server, HttpMethod.Get, "/api/collections/_sessions/records", token: mine.Token);
        Assert.Equal(mine.UserId, Assert.Single(list.Json!["items"]!.AsArray())!.Str("recordRef"));
        (await SendAsync(server, HttpMethod.Delete, "/api/collections/_sessions/records/" + othersId, token: mine.Token)).AssertError(404);
        Assert.Equal(others.UserId, await WhoAmIAsync(server, others));

        var own = await SendAsync(server, HttpMethod.Delete, "/api/collections/_sessions/records/" + await IdOfAsync(server, mine), token: mine.Token);
        Assert.Equal(204, own.Status);
        Assert.Null(await WhoAmIAsync(server, mine));
        // Nobody but a superuser creates or edits sessions by hand.
        (await SendAsync(server, HttpMethod.Post, "/api/collections/_sessions/records", token: others.Token,
            body: TestCollections.Json($$"""{"collectionRef":"x","recordRef":"{{others.UserId}}","tokenHash":"h","csrfHash":"h","keyHash":"h"}"""))).AssertError(403);
    }

    private static void AssertCleared(ApiResponse response)
    {
        var cookies = SetCookies(response);
        Assert.StartsWith("cairn_session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax", cookies["cairn_session"]);
        Assert.StartsWith("cairn_csrf=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure; SameSite=Lax", cookies["cairn_csrf"]);
    }
}
