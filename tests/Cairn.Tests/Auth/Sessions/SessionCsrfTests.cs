using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using static Cairn.Tests.Auth.Sessions.SessionKit;

namespace Cairn.Tests.Auth.Sessions;

/// <summary>
/// CSRF protection of cookie-authenticated requests: an unsafe method needs the session's <c>X-CSRF-Token</c>
/// or a same-origin <c>Origin</c>; otherwise 403 in the error shape and nothing is written.
/// </summary>
public sealed class SessionCsrfTests
{
    public enum Proof { None, Header, WrongHeader, OtherSessionsHeader, SessionCookieAsHeader }

    /// <summary>One unsafe request by a signed-in browser; <c>{own}</c> in the origin stands for the server's own host.</summary>
    public sealed record Scenario(string Name, Proof Proof, string? Origin, int Status)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Scenario> Scenarios() =>
    [
        new Scenario("NoProof_Is403", Proof.None, null, 403),
        new Scenario("ForeignOrigin_Is403", Proof.None, "https://evil.example", 403),
        new Scenario("NullOrigin_Is403", Proof.None, "null", 403),
        new Scenario("OwnHostOtherPort_Is403", Proof.None, "http://127.0.0.1:1", 403),
        new Scenario("OwnHostAsSubdomainOfForeign_Is403", Proof.None, "http://{own}.evil.example", 403),
        new Scenario("WrongHeader_Is403", Proof.WrongHeader, null, 403),
        new Scenario("WrongHeaderWithForeignOrigin_Is403", Proof.WrongHeader, "https://evil.example", 403),
        new Scenario("AnotherSessionsToken_Is403", Proof.OtherSessionsHeader, null, 403),
        new Scenario("SessionCookieEchoedAsToken_Is403", Proof.SessionCookieAsHeader, null, 403),
        new Scenario("Header_IsAllowed", Proof.Header, null, 200),
        new Scenario("HeaderWithForeignOrigin_IsAllowed", Proof.Header, "https://evil.example", 200),
        new Scenario("OwnOrigin_IsAllowed", Proof.None, "http://{own}", 200),
        new Scenario("OwnHostOverHttps_IsAllowed", Proof.None, "https://{own}", 200),
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task CookieWrite_Scenario(Scenario scenario)
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        var other = await SignInAsync(server, "other@example.com");
        var header = scenario.Proof switch
        {
            Proof.Header => session.Csrf,
            Proof.WrongHeader => (session.Csrf[0] == 'A' ? "B" : "A") + session.Csrf[1..], // never the token itself
            Proof.OtherSessionsHeader => other.Csrf,
            Proof.SessionCookieAsHeader => session.Cookie,
            _ => null,
        };
        var own = server.Client.BaseAddress!.Authority;

        var response = await SendAsync(server, HttpMethod.Post, "/api/collections/notes/records", session,
            csrfHeader: header, origin: scenario.Origin?.Replace("{own}", own), body: new JsonObject { ["title"] = "hello" });

        if (scenario.Status == 403)
        {
            response.AssertError(403, "The request needs a valid X-CSRF-Token header or a same-origin Origin header.");
            Assert.Equal(0, await NotesCountAsync(server));
        }
        else
        {
            Assert.True(response.Status == 200, response.Text);
            Assert.Equal(1, await NotesCountAsync(server));
        }
    }

    [Theory]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task CookieUpdateOrDelete_WithoutProof_Is403AndChangesNothing(string method)
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        var note = await server.CreateRecordAsync("notes", """{"title":"kept"}""");
        var url = $"/api/collections/notes/records/{note.Str("id")}";

        var response = await SendAsync(server, new HttpMethod(method), url, session, origin: "https://evil.example",
            body: method == "PATCH" ? new JsonObject { ["title"] = "changed" } : null);

        response.AssertError(403);
        var stored = await server.AsSuperuser(HttpMethod.Get, url);
        Assert.Equal("kept", stored.Json.Str("title"));
    }

    [Fact]
    public async Task CookieRead_FromAForeignOrigin_NeedsNoProof()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        var response = await SendAsync(server, HttpMethod.Get, Users + "/records", session, origin: "https://evil.example");
        Assert.Equal(session.UserId, response.Json!["items"]![0].Str("id"));
    }

    [Fact]
    public async Task BearerWrite_NeedsNoCsrfProof()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);

        // No cookie at all, and the cookie alongside: the bearer token decides, and it is never ambient.
        var bearerOnly = await SendAsync(server, HttpMethod.Post, "/api/collections/notes/records", token: session.Token,
            origin: "https://evil.example", body: new JsonObject { ["title"] = "a" });
        var bearerAndCookie = await SendAsync(server, HttpMethod.Post, "/api/collections/notes/records", session, token: session.Token,
            origin: "https://evil.example", body: new JsonObject { ["title"] = "b" });

        Assert.Equal(200, bearerOnly.Status);
        Assert.Equal(200, bearerAndCookie.Status);
        Assert.Equal(2, await NotesCountAsync(server));
    }

    [Fact]
    public async Task DeadSessionCookie_IsAGuestWrite_NotA403()
    {
        await using var server = await StartAsync();
        var session = await SignInAsync(server);
        Assert.Equal(204, (await SendAsync(server, HttpMethod.Post, Users + "/sign-out", session, csrf: true)).Status);

        // No session, so no ambient credentials to protect: the create rule sees a guest.
        var response = await SendAsync(server, HttpMethod.Post, "/api/collections/notes/records", session, body: new JsonObject { ["title"] = "x" });
        response.AssertError(400, "Failed to create record.");
    }
}
