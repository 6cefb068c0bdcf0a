using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Cairn.Tests.Auth.Sessions.SessionKit;

namespace Cairn.Tests.Auth.Sessions;

/// <summary>
/// A browser-like client: an <see cref="HttpClient"/> with a <see cref="CookieContainer"/> that stores and sends
/// cookies by their attributes, and a page script that can read <c>cairn_csrf</c> but never <c>cairn_session</c>.
/// </summary>
public sealed class SessionBrowserTests
{
    private static HttpClient Browser(TestServer server, CookieContainer jar) =>
        new(new SocketsHttpHandler { CookieContainer = jar, UseCookies = true }) { BaseAddress = server.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<int> VisibleUsersAsync(HttpClient browser)
    {
        var list = await browser.GetFromJsonAsync<JsonObject>(Users + "/records", TestContext.Current.CancellationToken);
        return list!["totalItems"]!.GetValue<int>();
    }

    [Fact]
    public async Task CookieJar_SignsInWritesWithTheCsrfTokenAndSignsOut()
    {
        // Plain http on loopback: the cookie jar, unlike Chrome or Firefox on localhost, refuses Secure cookies there.
        await using var server = await StartAsync(secureCookies: false);
        var jar = new CookieContainer();
        using var browser = Browser(server, jar);
        var ct = TestContext.Current.CancellationToken;

        var signIn = await browser.PostAsJsonAsync(Users + "/auth-with-password?session=true", new { identity = "me@example.com", password = Password }, ct);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var cookies = jar.GetCookies(server.Client.BaseAddress!);
        Assert.True(cookies["cairn_session"]!.HttpOnly);
        Assert.False(cookies["cairn_csrf"]!.HttpOnly);
        Assert.Equal(1, await VisibleUsersAsync(browser));

        // A page script that forgets the token is refused; one that echoes the readable cookie is let through.
        var forgot = await browser.PostAsJsonAsync("/api/collections/notes/records", new { title = "no token" }, ct);
        Assert.Equal(HttpStatusCode.Forbidden, forgot.StatusCode);
        using var write = new HttpRequestMessage(HttpMethod.Post, "/api/collections/notes/records") { Content = JsonContent.Create(new { title = "with token" }) };
        write.Headers.Add("X-CSRF-Token", cookies["cairn_csrf"]!.Value);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(write, ct)).StatusCode);
        Assert.Equal(1, await NotesCountAsync(server));

        using var signOut = new HttpRequestMessage(HttpMethod.Post, Users + "/sign-out");
        signOut.Headers.Add("Origin", server.Client.BaseAddress!.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(signOut, ct)).StatusCode);
        Assert.Empty(jar.GetCookies(server.Client.BaseAddress!));
        Assert.Equal(0, await VisibleUsersAsync(browser));
    }

    [Fact]
    public async Task CookieJar_DefaultSecureCookie_IsNeverSentOverPlainHttp()
    {
        await using var server = await StartAsync();
        var jar = new CookieContainer();
        using var browser = Browser(server, jar);

        var signIn = await browser.PostAsJsonAsync(Users + "/auth-with-password?session=true",
            new { identity = "me@example.com", password = Password }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Equal(0, await VisibleUsersAsync(browser));
    }
}
