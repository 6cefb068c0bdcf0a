using System.Text.Json.Nodes;
using Cairn.Auth.BruteForce;
using Cairn.Tests.Records;

namespace Cairn.Tests.Auth;

/// <summary>
/// The request limit per client IP shared by every credential endpoint: past it, 429 with <c>Retry-After</c> in
/// the error shape, whatever the endpoint and whether or not the requests failed; other routes are not counted.
/// </summary>
public sealed class CredentialRateLimitTests
{
    private static async Task<TestServer> StartAsync(int perMinute, IReadOnlyList<string>? trustedProxies = null)
    {
        var server = await TestServer.StartAsync(o => o with
        {
            BruteForce = new BruteForceOptions { CredentialRequestsPerMinute = perMinute },
            TrustedProxies = trustedProxies ?? [],
        });
        await server.CreateUsersAsync();
        return server;
    }

    private static Task<ApiResponse> ResetAsync(TestServer server, string? forwardedFor = null) =>
        server.SendAsync(HttpMethod.Post, "/api/collections/users/request-password-reset", new JsonObject { ["email"] = "nobody@example.com" },
            configure: forwardedFor is null ? null : r => r.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor));

    private static void AssertLimited(ApiResponse response)
    {
        response.AssertError(429, "Too Many Requests.");
        Assert.InRange(int.Parse(response.Header("Retry-After")!), 1, 60);
    }

    [Fact]
    public async Task EveryCredentialEndpoint_CountsAgainstOneLimitPerIp()
    {
        await using var server = await StartAsync(perMinute: 3);
        Assert.Equal(204, (await ResetAsync(server)).Status);
        Assert.Equal(400, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
            new JsonObject { ["identity"] = "nobody@example.com", ["password"] = "wrong-password" })).Status);
        Assert.Equal(400, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/confirm-verification",
            new JsonObject { ["token"] = "not-a-token" })).Status);

        AssertLimited(await ResetAsync(server));
        AssertLimited(await server.SendAsync(HttpMethod.Post, "/api/collections/users/request-otp", new JsonObject { ["email"] = "nobody@example.com" }));
        AssertLimited(await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-oauth2", new JsonObject()));
    }

    [Fact]
    public async Task OtherRoutes_AreNotCountedNorLimited()
    {
        await using var server = await StartAsync(perMinute: 1);
        for (var i = 0; i < 5; i++)
            Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/collections/users/auth-methods")).Status);
        Assert.Equal(204, (await ResetAsync(server)).Status);
        AssertLimited(await ResetAsync(server));
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/collections/users/auth-methods")).Status);
    }

    [Fact]
    public async Task SpoofedForwardedFor_FromAnUntrustedPeer_DoesNotOpenAFreshLimit()
    {
        await using var server = await StartAsync(perMinute: 2);
        Assert.Equal(204, (await ResetAsync(server, forwardedFor: "203.0.113.1")).Status);
        Assert.Equal(204, (await ResetAsync(server, forwardedFor: "203.0.113.2")).Status);
        AssertLimited(await ResetAsync(server, forwardedFor: "203.0.113.3"));
    }

    [Fact]
    public async Task ForwardedFor_FromATrustedProxy_GivesEachClientItsOwnLimit()
    {
        await using var server = await StartAsync(perMinute: 1, trustedProxies: ["127.0.0.0/8"]);
        Assert.Equal(204, (await ResetAsync(server, forwardedFor: "203.0.113.1")).Status);
        AssertLimited(await ResetAsync(server, forwardedFor: "203.0.113.1"));
        Assert.Equal(204, (await ResetAsync(server, forwardedFor: "203.0.113.2")).Status);
    }

    [Fact]
    public async Task Zero_TurnsTheLimitOff()
    {
        await using var server = await StartAsync(perMinute: 0);
        for (var i = 0; i < 100; i++)
            Assert.Equal(204, (await ResetAsync(server)).Status);
    }

    [Fact]
    public void TheDefault_IsSixtyPerMinute_AndNegativeIsRefused()
    {
        Assert.Equal(60, new BruteForceOptions().CredentialRequestsPerMinute);
        Assert.Equal("--credential-rate-limit must be 0 (off) or more.", new BruteForceOptions { CredentialRequestsPerMinute = -1 }.Validate());
    }
}
