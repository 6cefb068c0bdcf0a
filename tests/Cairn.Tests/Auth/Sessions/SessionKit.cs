using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth.Sessions;

/// <summary>A signed-in browser as the tests play it: the two cookie values and what the sign-in answered.</summary>
internal sealed record BrowserSession(string Cookie, string Csrf, string UserId, string Token, ApiResponse SignIn);

/// <summary>
/// The server, users and requests the session scenarios share. Requests go through a client that keeps no
/// cookies of its own, so each test says exactly which cookie and which CSRF proof a request carries.
/// </summary>
internal static class SessionKit
{
    public const string Users = "/api/collections/users";
    public const string Password = "password123";

    private static readonly HttpClient Raw = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// A server with <c>users</c> (each sees only their own record, so listing it says who is calling) and
    /// <c>notes</c> (any signed-in record may write), and users <c>me@example.com</c> and <c>other@example.com</c>.
    /// </summary>
    public static async Task<TestServer> StartAsync(TimeProvider? clock = null, bool secureCookies = true)
    {
        var server = await TestServer.StartAsync(o => o with { SecureCookies = secureCookies },
            clock is null ? null : s => s.AddSingleton(clock));
        await server.CreateCollectionAsync(TestCollections.Json("""
            {"name":"users","type":"auth","listRule":"id = @request.auth.id","viewRule":"id = @request.auth.id",
             "createRule":"","updateRule":"id = @request.auth.id","deleteRule":null}
            """));
        await server.CreateCollectionAsync(TestCollections.Json("""
            {"name":"notes","listRule":"","viewRule":"","createRule":"@request.auth.id != ''",
             "updateRule":"@request.auth.id != ''","deleteRule":"@request.auth.id != ''","fields":[{"name":"title","type":"text"}]}
            """));
        foreach (var email in new[] { "me@example.com", "other@example.com" })
            await server.CreateRecordAsync("users", $$"""{"email":"{{email}}","password":"{{Password}}","passwordConfirm":"{{Password}}"}""");
        return server;
    }

    /// <summary>Signs in with <c>?session=true</c> and fails the test unless both cookies come back.</summary>
    public static async Task<BrowserSession> SignInAsync(TestServer server, string email = "me@example.com", string userAgent = "TestBrowser/1.0")
    {
        var response = await SendAsync(server, HttpMethod.Post, Users + "/auth-with-password?session=true",
            body: new JsonObject { ["identity"] = email, ["password"] = Password }, userAgent: userAgent);
        Assert.True(response.Status == 200, response.Text);
        var cookies = SetCookies(response);
        return new BrowserSession(CookieValue(cookies["cairn_session"]), CookieValue(cookies["cairn_csrf"]),
            response.Json!["record"].Str("id"), response.Json.Str("token"), response);
    }

    /// <summary>Sends a request with the session's cookie (when given) and the chosen CSRF proof.</summary>
    public static async Task<ApiResponse> SendAsync(TestServer server, HttpMethod method, string url, BrowserSession? session = null,
        bool csrf = false, string? origin = null, JsonNode? body = null, string? token = null, string? csrfHeader = null,
        string? cookie = null, string userAgent = "TestBrowser/1.0")
    {
        using var request = new HttpRequestMessage(method, new Uri(server.Client.BaseAddress!, url));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        if ((cookie ?? (session is null ? null : $"cairn_session={session.Cookie}; cairn_csrf={session.Csrf}")) is { } c)
            request.Headers.TryAddWithoutValidation("Cookie", c);
        if ((csrfHeader ?? (csrf ? session?.Csrf : null)) is { } h) request.Headers.TryAddWithoutValidation("X-CSRF-Token", h);
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
        using var response = await Raw.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonNode.Parse(text) : null;
        return new ApiResponse((int)response.StatusCode, json, text, response.Headers, response.Content.Headers);
    }

    /// <summary>Who the request acts as: the id of the one users record it may list, or null for a guest.</summary>
    public static async Task<string?> WhoAmIAsync(TestServer server, BrowserSession session)
    {
        var list = await SendAsync(server, HttpMethod.Get, Users + "/records", session);
        Assert.True(list.Status == 200, list.Text);
        return list.Json!["items"]!.AsArray().SingleOrDefault()?["id"]?.GetValue<string>();
    }

    /// <summary>The server's own origin, as a browser on a page it served would send it.</summary>
    public static string OwnOrigin(TestServer server) => server.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

    /// <summary>Set-Cookie lines by cookie name (the whole line, attributes included).</summary>
    public static Dictionary<string, string> SetCookies(ApiResponse response) =>
        response.Headers.TryGetValues("Set-Cookie", out var lines) ? lines.ToDictionary(l => l[..l.IndexOf('=')]) : [];

    public static string CookieValue(string setCookieLine) => setCookieLine[(setCookieLine.IndexOf('=') + 1)..setCookieLine.IndexOf(';')];

    /// <summary>The <c>_sessions</c> records as a superuser sees them (hidden hashes included).</summary>
    public static async Task<JsonArray> StoredSessionsAsync(TestServer server, string? superuserToken = null)
    {
        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/_sessions/records?perPage=100&sort=created", token: superuserToken ?? server.SuperuserToken);
        Assert.True(list.Status == 200, list.Text);
        return list.Json!["items"]!.AsArray();
    }

    /// <summary>A superuser token from a sign-in now, for tests that moved the clock past the server's first one.</summary>
    public static async Task<string> FreshSuperuserTokenAsync(TestServer server)
    {
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/auth-with-password",
            new JsonObject { ["identity"] = TestServer.SuperuserEmail, ["password"] = TestServer.SuperuserPassword });
        Assert.True(response.Status == 200, response.Text);
        return response.Json.Str("token");
    }

    /// <summary>How long the collection's auth tokens, and so its sessions, last.</summary>
    public static async Task<int> AuthTokenSecondsAsync(TestServer server, string collection = "users")
    {
        var c = await server.AsSuperuser(HttpMethod.Get, "/api/collections/" + collection);
        return c.Json!["authToken"]!["duration"]!.GetValue<int>();
    }

    public static async Task<int> NotesCountAsync(TestServer server)
    {
        var list = await server.AsSuperuser(HttpMethod.Get, "/api/collections/notes/records");
        return list.Json!["totalItems"]!.GetValue<int>();
    }
}
