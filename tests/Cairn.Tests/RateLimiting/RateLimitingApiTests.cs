using System.Net;
using Cairn.RateLimiting;
using Cairn.Tests.Records;

namespace Cairn.Tests.RateLimiting;

/// <summary>The rules on a live server: 429 with <c>Retry-After</c> and the <c>RateLimit</c> headers, who is exempt, and which client a request counts for.</summary>
public sealed class RateLimitingApiTests
{
    private const string Posts = "/api/collections/posts/records";

    private static async Task<TestServer> StartAsync(RateLimitSettings settings, IReadOnlyList<string>? trustedProxies = null)
    {
        var server = await TestServer.StartAsync(o => o with { RateLimits = settings, TrustedProxies = trustedProxies ?? [] });
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        return server;
    }

    private static RateLimitSettings Limit(string label, int max, string audience = "", string by = "ip", IReadOnlyList<string>? excluded = null) => new()
    {
        Enabled = true,
        ExcludedIPs = excluded ?? [],
        Rules = [new RateLimitRule { Label = label, MaxRequests = max, Duration = 60, Audience = audience, By = by }],
    };

    private static async Task<int[]> StatusesAsync(TestServer server, int count, string url = Posts, string? token = null, Action<HttpRequestMessage>? configure = null)
    {
        var statuses = new int[count];
        for (var i = 0; i < count; i++) statuses[i] = (await server.SendAsync(HttpMethod.Get, url, token: token, configure: configure)).Status;
        return statuses;
    }

    [Fact]
    public async Task OverTheLimit_Is429_WithRetryAfterAndTheRateLimitHeaders()
    {
        await using var server = await StartAsync(Limit("*:list", 2));

        var first = await server.SendAsync(HttpMethod.Get, Posts);
        var second = await server.SendAsync(HttpMethod.Get, Posts);
        var third = await server.SendAsync(HttpMethod.Get, Posts);

        Assert.Equal((200, 200), (first.Status, second.Status));
        Assert.Equal("2;w=60", first.Header("RateLimit-Policy"));
        Assert.Matches("^limit=2, remaining=1, reset=(59|60)$", first.Header("RateLimit"));
        Assert.Matches("^limit=2, remaining=0, reset=(59|60)$", second.Header("RateLimit"));
        third.AssertError(429, "Too Many Requests.");
        Assert.InRange(int.Parse(third.Header("Retry-After")!), 59, 60);
        Assert.Matches("^limit=2, remaining=0, reset=", third.Header("RateLimit"));
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{Posts}/missing")).Status); // a view is another action: not refused
    }

    [Fact]
    public async Task RequestsNoRuleNames_AreNotCounted()
    {
        await using var server = await StartAsync(Limit("posts:create", 1));

        Assert.All(await StatusesAsync(server, 5), s => Assert.Equal(200, s));
        Assert.Null((await server.SendAsync(HttpMethod.Get, Posts)).Header("RateLimit"));
    }

    [Fact]
    public async Task Superusers_AndExcludedIPs_AreNeverLimited()
    {
        await using var limited = await StartAsync(Limit("/api/", 1));
        await using var excluded = await StartAsync(Limit("/api/", 1, excluded: ["127.0.0.0/8"]));

        Assert.All(await StatusesAsync(limited, 4, token: limited.SuperuserToken), s => Assert.Equal(200, s));
        Assert.Equal(new[] { 200, 429 }, await StatusesAsync(limited, 2));
        Assert.All(await StatusesAsync(excluded, 4), s => Assert.Equal(200, s));
    }

    [Fact]
    public async Task AnAudienceRule_CountsOnlyItsAudience()
    {
        await using var server = await StartAsync(Limit("*:list", 1, audience: "@guest"));
        await server.CreateUsersAsync();
        var (_, token) = await server.CreateUserAsync("a@example.com");

        Assert.Equal(new[] { 200, 429 }, await StatusesAsync(server, 2));
        Assert.All(await StatusesAsync(server, 3, token: token), s => Assert.Equal(200, s));
    }

    [Fact]
    public async Task ASpoofedForwardedFor_FromAnUntrustedPeer_GetsNoFreshCounter()
    {
        await using var server = await StartAsync(Limit("*:list", 1));

        var statuses = new List<int>();
        foreach (var fake in new[] { "1.1.1.1", "2.2.2.2", "3.3.3.3" })
            statuses.Add((await server.SendAsync(HttpMethod.Get, Posts, configure: r => r.Headers.Add("X-Forwarded-For", fake))).Status);

        Assert.Equal([200, 429, 429], statuses);
    }

    [Fact]
    public async Task BehindATrustedProxy_EachForwardedClientCountsAlone()
    {
        await using var server = await StartAsync(Limit("*:list", 1), trustedProxies: ["127.0.0.1"]);

        var statuses = new List<int>();
        foreach (var client in new[] { "1.1.1.1", "2.2.2.2", "1.1.1.1" })
            statuses.Add((await server.SendAsync(HttpMethod.Get, Posts, configure: r => r.Headers.Add("X-Forwarded-For", client))).Status);

        Assert.Equal([200, 200, 429], statuses);
    }

    [Fact]
    public async Task ARuleByAuth_CountsEachSignedInRecordAlone()
    {
        await using var server = await StartAsync(Limit("*:list", 1, by: "auth"));
        await server.CreateUsersAsync();
        var (_, alice) = await server.CreateUserAsync("alice@example.com");
        var (_, bob) = await server.CreateUserAsync("bob@example.com");

        Assert.Equal(new[] { 200, 429 }, await StatusesAsync(server, 2, token: alice));
        Assert.Equal(new[] { 200, 429 }, await StatusesAsync(server, 2, token: bob));
    }

    [Fact]
    public async Task SignInsShareTheAuthLabel()
    {
        await using var server = await StartAsync(Limit("*:auth", 2));
        await server.CreateUsersAsync();
        var body = TestCollections.Json("""{"identity":"nobody@example.com","password":"wrong-password"}""");

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++) statuses.Add((await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", body)).Status);

        Assert.Equal([400, 400, 429], statuses);
    }

    [Fact]
    public async Task ChangedSettings_ApplyAtOnce()
    {
        await using var server = await StartAsync(new RateLimitSettings());
        Assert.All(await StatusesAsync(server, 3), s => Assert.Equal(200, s));

        server.Service<RateLimitSettingsSource>().Replace(Limit("*:list", 1));

        Assert.Equal(new[] { 200, 429 }, await StatusesAsync(server, 2));
    }
}
