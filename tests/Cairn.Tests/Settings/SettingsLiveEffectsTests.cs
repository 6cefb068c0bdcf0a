using System.Text.Json.Nodes;
using Cairn.Tests.Mail;
using Cairn.Tests.Records;

namespace Cairn.Tests.Settings;

/// <summary>Each section of the settings takes effect on the request right after the PATCH, without a restart.</summary>
public sealed class SettingsLiveEffectsTests
{
    private static readonly JsonNode EmptyBatch = JsonNode.Parse("""{"requests":[]}""")!;

    [Fact]
    public async Task BatchDisabled_TheNextBatchIs403()
    {
        await using var server = await TestServer.StartAsync();
        Assert.NotEqual(403, (await server.SendAsync(HttpMethod.Post, "/api/batch", EmptyBatch)).Status);

        await server.PatchSettingsAsync("""{"batch":{"enabled":false}}""");

        (await server.SendAsync(HttpMethod.Post, "/api/batch", EmptyBatch)).AssertError(403, "Batch requests are not allowed.");
    }

    [Fact]
    public async Task RateLimitRule_CountsTheNextRequests()
    {
        await using var server = await TestServer.StartAsync();

        await server.PatchSettingsAsync("""{"rateLimits":{"enabled":true,"rules":[{"label":"/api/health","maxRequests":1,"duration":60}]}}""");

        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/health")).Status);
        (await server.SendAsync(HttpMethod.Get, "/api/health")).AssertError(429);
        await server.PatchSettingsAsync("""{"rateLimits":{"enabled":false}}""");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/health")).Status);
    }

    [Fact]
    public async Task LogsMaxDaysZero_StopsStoring_UntilTurnedBackOn()
    {
        await using var server = await TestServer.StartAsync();

        await server.PatchSettingsAsync("""{"logs":{"maxDays":0}}""");
        await server.TaggedHealthAsync("while-off");
        await server.PatchSettingsAsync("""{"logs":{"maxDays":5}}""");
        await server.TaggedHealthAsync("back-on");

        Assert.NotNull(await server.LoggedAsync("back-on")); // written after "while-off" would have been
        Assert.Null(await server.LoggedAsync("while-off", wait: false));
    }

    [Fact]
    public async Task LogsMinLevel_StoresOnlyEntriesAtOrAboveIt()
    {
        await using var server = await TestServer.StartAsync();

        await server.PatchSettingsAsync("""{"logs":{"minLevel":4}}""");
        await server.TaggedHealthAsync("ok-info");
        await server.SendAsync(HttpMethod.Get, "/api/nowhere", configure: r => r.Headers.Add("X-Request-Id", "missing-warn"));

        Assert.NotNull(await server.LoggedAsync("missing-warn")); // a 404 is logged at warn (4)
        Assert.Null(await server.LoggedAsync("ok-info", wait: false));
    }

    [Fact]
    public async Task LogIpAndAuthIdOff_LeaveThemOutOfTheEntries()
    {
        await using var server = await TestServer.StartAsync();
        await server.TaggedHealthAsync("with-ip");
        var before = await server.LoggedAsync("with-ip");

        await server.PatchSettingsAsync("""{"logs":{"logIP":false,"logAuthId":false}}""");
        await server.SendAsync(HttpMethod.Get, "/api/health", token: server.SuperuserToken, configure: r => r.Headers.Add("X-Request-Id", "without-ip"));
        var after = await server.LoggedAsync("without-ip");

        Assert.Equal("127.0.0.1", before!["userIP"]!.GetValue<string>());
        Assert.NotNull(before["remoteIP"]);
        Assert.NotNull(after);
        Assert.False(after!.ContainsKey("userIP") || after.ContainsKey("remoteIP") || after.ContainsKey("authId"), after.ToJsonString());
        Assert.Equal("_superusers", after["auth"]!.GetValue<string>());
    }

    [Fact]
    public async Task TrustedProxy_ItsHeadersNameTheClient_InTheConfiguredOrder()
    {
        await using var server = await TestServer.StartAsync();
        static Action<HttpRequestMessage> Forwarded(string forwardedFor, string realIp) => r =>
        {
            r.Headers.Add("X-Forwarded-For", forwardedFor);
            r.Headers.Add("X-Real-IP", realIp);
        };

        await server.TaggedHealthAsync("untrusted", Forwarded("198.51.100.1", "203.0.113.5"));
        await server.PatchSettingsAsync("""{"trustedProxy":{"proxies":["127.0.0.1"],"headers":["X-Real-IP","X-Forwarded-For"]}}""");
        await server.TaggedHealthAsync("real-ip-first", Forwarded("198.51.100.1", "203.0.113.5"));
        await server.PatchSettingsAsync("""{"trustedProxy":{"headers":["X-Forwarded-For"],"useLeftmostIP":true}}""");
        await server.TaggedHealthAsync("leftmost", Forwarded("198.51.100.9, 198.51.100.1", "203.0.113.5"));

        Assert.Equal("127.0.0.1", (await server.LoggedAsync("untrusted"))!["userIP"]!.GetValue<string>());
        Assert.Equal("203.0.113.5", (await server.LoggedAsync("real-ip-first"))!["userIP"]!.GetValue<string>());
        Assert.Equal("198.51.100.9", (await server.LoggedAsync("leftmost"))!["userIP"]!.GetValue<string>());
    }

    [Fact]
    public async Task SuperuserIPs_RefuseASuperuserFromAnyOtherAddress()
    {
        await using var server = await TestServer.StartAsync();
        static Action<HttpRequestMessage> From(string ip) => r => r.Headers.Add("X-Forwarded-For", ip);

        // The test client is 127.0.0.1: made a trusted proxy, its header picks the client address per request.
        await server.PatchSettingsAsync("""{"trustedProxy":{"proxies":["127.0.0.1"]},"superuserIPs":["203.0.113.0/24"]}""");

        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/settings", token: server.SuperuserToken, configure: From("203.0.113.7"))).Status);
        (await server.SendAsync(HttpMethod.Get, "/api/settings", token: server.SuperuserToken, configure: From("198.51.100.7"))).AssertError(403);
        (await server.SendAsync(HttpMethod.Get, "/api/collections", token: server.SuperuserToken)).AssertError(403);
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/health", configure: From("198.51.100.7"))).Status); // guests are not concerned
    }

    [Fact]
    public async Task AppUrl_IsTheBaseOfTheNextMailLink()
    {
        await using var server = await TestServer.StartAsync(o => o with { AppUrl = "https://old.example.com" });

        await server.PatchSettingsAsync("""{"meta":{"appURL":"https://new.example.com/"}}""");
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/request-password-reset",
            JsonNode.Parse($$"""{"email":"{{TestServer.SuperuserEmail}}"}"""));

        Assert.Equal(204, response.Status);
        Assert.StartsWith("https://new.example.com/_/#/auth/confirm-password-reset/", Assert.Single(await server.MailsAsync()).Link);
    }

    [Fact]
    public async Task Smtp_TheNextMailGoesThroughTheNewServer_FromTheSender()
    {
        await using var sink = new SmtpSink();
        await using var server = await TestServer.StartAsync();

        await server.PatchSettingsAsync($$$"""
            {"smtp":{"enabled":true,"host":"127.0.0.1","port":{{{sink.Port}}},"security":"none","username":"mailer","password":"smtp-pass-1"},
             "meta":{"senderAddress":"support@acme.test","senderName":"Acme Support"}}
            """);
        var response = await server.AsSuperuser(HttpMethod.Post, "/api/settings/test/email",
            JsonNode.Parse("""{"email":"someone@example.com","template":"verification"}"""));
        var delivery = await sink.NextAsync();

        Assert.Equal(204, response.Status);
        Assert.Equal("support@acme.test", delivery.From);
        Assert.Equal(["someone@example.com"], delivery.Recipients);
        Assert.Equal(("mailer", "smtp-pass-1"), (delivery.User, delivery.Password));
        Assert.Empty(await server.MailsAsync()); // nothing went to the folder
    }
}
