using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Tests.Records;
using static Cairn.Tests.Auth.Sessions.SessionKit;

namespace Cairn.Tests.Auth.Sessions;

/// <summary>
/// Starting a server-side session with a sign-in: <c>POST /api/collections/{c}/auth-with-password?session=true</c>
/// sets <c>cairn_session</c> (HttpOnly) and <c>cairn_csrf</c> (readable by the page) and answers <c>meta.csrfToken</c>;
/// only hashes are stored in <c>_sessions</c>.
/// </summary>
public sealed class SessionSignInTests
{
    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    [Fact]
    public async Task SignIn_SessionTrue_SetsHttpOnlySecureLaxCookiesExactly()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        var cookies = SetCookies(session.SignIn);

        // A session lasts as long as the collection's auth token.
        var attributes = @"; Expires=\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT; Max-Age=" + await AuthTokenSecondsAsync(server) +  "; Path=/; Secure";
        Assert.True(new Regex("^cairn_session=[A-Za-z0-9_-]{43}" + attributes + "; HttpOnly; SameSite=Lax$").IsMatch(cookies["cairn_session"]), cookies["cairn_session"]);
        Assert.Matches(new Regex("^cairn_csrf=[A-Za-z0-9_-]{43}" + attributes + "; SameSite=Lax$"), cookies["cairn_csrf"]);
        Assert.Equal(2, cookies.Count);
        Assert.NotEqual(session.Cookie, session.Csrf);
        Assert.Equal(session.Csrf, session.SignIn.Json!["meta"].Str("csrfToken"));
        // The SDK's auth response stays whole: a token and the record.
        Assert.Equal(3, session.Token.Split('.').Length);
        Assert.Equal("me@example.com", session.SignIn.Json["record"].Str("email"));
    }

    [Fact]
    public async Task SignIn_SecureCookiesOff_DropsOnlySecure()
    {
        await using var server = await StartAsync(secureCookies: false);
        var cookies = SetCookies((await SignInAsync(server)).SignIn);
        Assert.Matches(new Regex(@"^cairn_session=[A-Za-z0-9_-]{43}; Expires=[^;]+; Max-Age=\d+; Path=/; HttpOnly; SameSite=Lax$"), cookies["cairn_session"]);
        Assert.DoesNotContain("Secure", cookies["cairn_csrf"]);
    }

    [Theory]
    [InlineData("?session=true", true)]
    [InlineData("?session=1", true)]
    [InlineData("?session=TRUE", true)]
    [InlineData("", false)]
    [InlineData("?session=false", false)]
    [InlineData("?session=0", false)]
    [InlineData("?session=", false)]
    [InlineData("?session=yes", false)]
    public async Task SignIn_SessionParameter_DecidesWhetherASessionStarts(string query, bool starts)
    {
        await using var server = await StartAsync();
        var response = await SendAsync(server, HttpMethod.Post, Users + "/auth-with-password" + query,
            body: new JsonObject { ["identity"] = "me@example.com", ["password"] = Password });

        Assert.Equal(200, response.Status);
        Assert.Equal(starts, SetCookies(response).ContainsKey("cairn_session"));
        Assert.Equal(starts, response.Json!["meta"]?["csrfToken"] is not null);
        Assert.Equal(starts ? 1 : 0, (await StoredSessionsAsync(server)).Count);
    }

    [Fact]
    public async Task SignIn_WrongPassword_StartsNoSession()
    {
        await using var server = await StartAsync();
        var response = await SendAsync(server, HttpMethod.Post, Users + "/auth-with-password?session=true",
            body: new JsonObject { ["identity"] = "me@example.com", ["password"] = "wrong-password" });

        response.AssertError(400, "Failed to authenticate.");
        Assert.Empty(SetCookies(response));
        Assert.Empty(await StoredSessionsAsync(server));
    }

    [Fact]
    public async Task SignIn_StoresDeviceAndHashesOnly()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server, userAgent: "Firefox/140.0 (test)");

        var stored = Assert.Single(await StoredSessionsAsync(server))!;
        Assert.Equal(session.UserId, stored.Str("recordRef"));
        Assert.Equal(session.SignIn.Json!["record"].Str("collectionId"), stored.Str("collectionRef"));
        Assert.Equal("Firefox/140.0 (test)", stored.Str("userAgent"));
        Assert.Equal("127.0.0.1", stored.Str("ip"));
        Assert.Equal(Sha256(session.Cookie), stored.Str("tokenHash"));
        Assert.Equal(Sha256(session.Csrf), stored.Str("csrfHash"));
        Assert.False(string.IsNullOrEmpty(stored.Str("lastSeen")));
        Assert.False(string.IsNullOrEmpty(stored.Str("expires")));
    }

    [Fact]
    public async Task SessionId_NeverAppearsInTheApi_AndOwnersDoNotSeeTheHashes()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        var asSuperuser = await server.AsSuperuser(HttpMethod.Get, "/api/collections/_sessions/records");
        var asOwner = await SendAsync(server, HttpMethod.Get, "/api/collections/_sessions/records", token: session.Token);
        var ownList = await SendAsync(server, HttpMethod.Get, Users + "/sessions", session);
        foreach (var response in new[] { asSuperuser, asOwner, ownList, session.SignIn })
        {
            Assert.Equal(200, response.Status);
            Assert.DoesNotContain(session.Cookie, response.Text);
        }

        var own = Assert.Single(asOwner.Json!["items"]!.AsArray())!.AsObject();
        Assert.Equal(session.UserId, own.Str("recordRef"));
        foreach (var hidden in new[] { "tokenHash", "csrfHash", "keyHash" })
        {
            Assert.False(own.ContainsKey(hidden), hidden);
            Assert.DoesNotContain(hidden, ownList.Text);
        }
    }

    [Fact]
    public async Task SignIn_Again_DropsThisRecordsDeadSessions()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock);
        var mine = await SignInAsync(server);
        var others = await SignInAsync(server, "other@example.com");
        clock.Now = clock.Now.AddDays(8); // both expired

        var fresh = await SignInAsync(server);

        var stored = await StoredSessionsAsync(server, await FreshSuperuserTokenAsync(server));
        Assert.Equal(Sha256(fresh.Cookie), Assert.Single(stored, s => s.Str("recordRef") == mine.UserId)!.Str("tokenHash"));
        // The other record's dead session waits for its own owner's next sign-in (or its next use).
        Assert.Single(stored, s => s.Str("recordRef") == others.UserId);
    }
}
