using System.Text.Json.Nodes;
using Cairn.Tests.Mail;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth.Alerts;

/// <summary>Login alerts (<c>authAlert</c>): origins in <c>_authOrigins</c>, a mail for a new one, none for the first sign-in.</summary>
public sealed class LoginAlertsTests
{

    private static async Task<TestServer> StartAsync(ManualClock? clock = null)
    {
        var server = await TestServer.StartAsync(services: clock is null ? null : s => s.AddSingleton<TimeProvider>(clock));
        await server.CreateUsersAsync();
        await server.CreateRecordAsync("users", """{"email":"me@example.com","password":"password123","passwordConfirm":"password123"}""");
        return server;
    }

    private static async Task SignInAsync(TestServer server, string userAgent)
    {
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
            TestCollections.Json("""{"identity":"me@example.com","password":"password123"}"""),
            configure: r => r.Headers.TryAddWithoutValidation("User-Agent", userAgent));
        Assert.True(response.Status == 200, response.Text);
    }

    private static async Task<JsonArray> OriginsAsync(TestServer server)
    {
        var list = await server.AsSuperuser(HttpMethod.Get, "/api/collections/_authOrigins/records?perPage=100");
        Assert.Equal(200, list.Status);
        return list.Json!["items"]!.AsArray();
    }

    [Fact]
    public async Task FirstSignInEver_NotesTheOriginAndSendsNoAlert()
    {
        await using var server = await StartAsync();
        await SignInAsync(server, "Browser/1");

        var origin = Assert.Single(await OriginsAsync(server))!;
        Assert.Equal("users", (await server.AsSuperuser(HttpMethod.Get, $"/api/collections/{origin.Str("collectionRef")}")).Json.Str("name"));
        Assert.Matches("^[0-9a-f]{64}$", origin.Str("fingerprint")); // a hash: no IP or user agent is stored
        Assert.Empty(await server.MailsAsync());
    }

    [Fact]
    public async Task SameOriginAgain_SendsNoAlert()
    {
        await using var server = await StartAsync();
        await SignInAsync(server, "Browser/1");
        await SignInAsync(server, "Browser/1");
        Assert.Single(await OriginsAsync(server));
        Assert.Empty(await server.MailsAsync());
    }

    [Fact]
    public async Task NewOrigin_MailsAnAlertToTheOwner()
    {
        await using var server = await StartAsync();
        await SignInAsync(server, "Browser/1");
        await SignInAsync(server, "Other-Device/2 <b>");

        var mail = Assert.Single(await server.MailsAsync());
        Assert.Equal("me@example.com", mail.To);
        Assert.Equal("Login from a new location", mail.Subject);
        Assert.Contains("new location", mail.Html);
        Assert.Equal(2, (await OriginsAsync(server)).Count);
    }

    [Fact]
    public async Task AlertDisabled_NotesNothingAndSendsNothing()
    {
        await using var server = await StartAsync();
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", TestCollections.Json("""{"authAlert":{"enabled":false}}"""))).Status);
        await SignInAsync(server, "Browser/1");
        await SignInAsync(server, "Browser/2");
        Assert.Empty(await OriginsAsync(server));
        Assert.Empty(await server.MailsAsync());
    }

    [Fact]
    public async Task ManyOrigins_KeepsTheLastFive()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock);
        for (var i = 1; i <= 7; i++)
        {
            await SignInAsync(server, $"Browser/{i}");
            clock.Now += TimeSpan.FromSeconds(1);
        }

        Assert.Equal(5, (await OriginsAsync(server)).Count);
        Assert.Equal(6, (await server.MailsAsync()).Count);
        // Browser/1 was dropped as the oldest, so it counts as new again
        await SignInAsync(server, "Browser/1");
        Assert.Equal(7, (await server.MailsAsync()).Count);
        // Browser/7 is still known
        await SignInAsync(server, "Browser/7");
        Assert.Equal(7, (await server.MailsAsync()).Count);
    }
}
