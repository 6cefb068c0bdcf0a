using System.Diagnostics;
using System.Text.Json.Nodes;
using Cairn.Auth.BruteForce;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth;

/// <summary>
/// Lockout and progressive delay on <c>auth-with-password</c>: failures are counted per account (the identity
/// as typed, existing or not) and per client IP; past the limit every attempt gets 429 with <c>Retry-After</c>
/// until the window ends, and nothing in the answers tells existing and missing accounts apart.
/// </summary>
public sealed class BruteForceTests
{
    private const string UsersPassword = "/api/collections/users/auth-with-password";

    private static readonly BruteForceOptions NoDelay = new() { AccountMaxFailures = 3, IpMaxFailures = 1000, DelayBase = TimeSpan.Zero, CredentialRequestsPerMinute = 0 };

    private static async Task<TestServer> StartAsync(BruteForceOptions bruteForce, ManualClock? clock = null, IReadOnlyList<string>? trustedProxies = null)
    {
        var server = await TestServer.StartAsync(
            o => o with { BruteForce = bruteForce, TrustedProxies = trustedProxies ?? [] },
            clock is null ? null : s => s.AddSingleton<TimeProvider>(clock));
        await server.CreateUsersAsync();
        await server.CreateRecordAsync("users", """{"email":"me@example.com","password":"password123","passwordConfirm":"password123"}""");
        await server.CreateRecordAsync("users", """{"email":"other@example.com","password":"password123","passwordConfirm":"password123"}""");
        return server;
    }

    private static Task<ApiResponse> SignInAsync(TestServer server, string identity, string password, string? forwardedFor = null) =>
        server.SendAsync(HttpMethod.Post, UsersPassword, new JsonObject { ["identity"] = identity, ["password"] = password },
            configure: forwardedFor is null ? null : r => r.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor));

    private static async Task FailAsync(TestServer server, string identity, int times, string? forwardedFor = null)
    {
        for (var i = 0; i < times; i++)
            (await SignInAsync(server, identity, "wrong-password", forwardedFor)).AssertError(400, "Failed to authenticate.");
    }

    private static void AssertLocked(ApiResponse response)
    {
        response.AssertError(429, "Too Many Requests.");
        Assert.True(int.Parse(response.Header("Retry-After")!) > 0, response.Header("Retry-After"));
    }

    // Everything a client sees, minus the two headers that differ on every response.
    private static string Visible(ApiResponse response) =>
        $"{response.Status}\n{response.Text}\n" + string.Join("\n", response.Headers.Concat(response.ContentHeaders)
            .Where(h => !h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase))
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => $"{h.Key}: {string.Join(",", h.Value)}"));

    [Fact]
    public async Task Lockout_AfterTheConfiguredFailures_RefusesEvenTheRightPassword()
    {
        await using var server = await StartAsync(NoDelay);
        await FailAsync(server, "me@example.com", 3);

        var locked = await SignInAsync(server, "me@example.com", "password123");

        AssertLocked(locked);
        Assert.Equal(15 * 60, int.Parse(locked.Header("Retry-After")!), tolerance: 5);
    }

    [Fact]
    public async Task Lockout_OneFailureShort_StillLetsTheRightPasswordIn()
    {
        await using var server = await StartAsync(NoDelay);
        await FailAsync(server, "me@example.com", 2);
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123")).Status);
    }

    [Fact]
    public async Task Lockout_IsPerAccount()
    {
        await using var server = await StartAsync(NoDelay);
        await FailAsync(server, "me@example.com", 3);
        Assert.Equal(200, (await SignInAsync(server, "other@example.com", "password123")).Status);
    }

    [Fact]
    public async Task Lockout_CountsTheIdentityCaseAndSpaceInsensitively()
    {
        await using var server = await StartAsync(NoDelay);
        await FailAsync(server, "me@example.com", 1);
        await FailAsync(server, "ME@Example.com", 1);
        await FailAsync(server, " me@example.com ", 1);
        AssertLocked(await SignInAsync(server, "me@example.com", "password123"));
    }

    [Fact]
    public async Task WrongPassword_AndMissingAccount_AreByteIdentical()
    {
        await using var server = await StartAsync(NoDelay);
        var existing = await SignInAsync(server, "me@example.com", "wrong-password");
        var missing = await SignInAsync(server, "nobody@example.com", "wrong-password");
        Assert.Equal(400, existing.Status);
        Assert.Equal(Visible(existing), Visible(missing));
    }

    [Fact]
    public async Task Lockout_OfExistingAndMissingAccounts_IsByteIdentical()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        await using var server = await StartAsync(NoDelay, clock);
        await FailAsync(server, "me@example.com", 3);
        await FailAsync(server, "nobody@example.com", 3);

        var existing = await SignInAsync(server, "me@example.com", "password123");
        var missing = await SignInAsync(server, "nobody@example.com", "password123");

        AssertLocked(existing);
        Assert.Equal(Visible(existing), Visible(missing));
    }

    [Fact]
    public async Task Lockout_EndsWithItsWindow()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        await using var server = await StartAsync(NoDelay with { Window = TimeSpan.FromMinutes(15) }, clock);
        await FailAsync(server, "me@example.com", 3);

        clock.Now += TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1);
        var stillLocked = await SignInAsync(server, "me@example.com", "password123");
        AssertLocked(stillLocked);
        Assert.Equal("1", stillLocked.Header("Retry-After"));

        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123")).Status);
    }

    [Fact]
    public async Task Success_ResetsTheAccountsFailures()
    {
        await using var server = await StartAsync(NoDelay);
        await FailAsync(server, "me@example.com", 2);
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123")).Status);
        await FailAsync(server, "me@example.com", 2); // would be the 4th failure without the reset
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123")).Status);
    }

    [Fact]
    public async Task ParallelGuesses_CannotSlipPastTheLimit()
    {
        await using var server = await StartAsync(NoDelay);
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => SignInAsync(server, "me@example.com", "wrong-password")));
        Assert.Equal(12, responses.Count(r => r.Status is 400 or 429));
        Assert.InRange(responses.Count(r => r.Status == 400), 1, 3);
        AssertLocked(await SignInAsync(server, "me@example.com", "password123"));
    }

    [Fact]
    public async Task IpLockout_StopsGuessesSprayedOverManyAccounts()
    {
        await using var server = await StartAsync(NoDelay with { AccountMaxFailures = 100, IpMaxFailures = 3 });
        await FailAsync(server, "a@example.com", 1);
        await FailAsync(server, "b@example.com", 1);
        await FailAsync(server, "me@example.com", 1);

        AssertLocked(await SignInAsync(server, "other@example.com", "password123"));
    }

    [Fact]
    public async Task IpLockout_IsNotClearedBySigningInToAnOwnAccount()
    {
        await using var server = await StartAsync(NoDelay with { AccountMaxFailures = 100, IpMaxFailures = 3 });
        await FailAsync(server, "me@example.com", 2);
        Assert.Equal(200, (await SignInAsync(server, "other@example.com", "password123")).Status);
        await FailAsync(server, "me@example.com", 1);
        AssertLocked(await SignInAsync(server, "other@example.com", "password123"));
    }

    [Fact]
    public async Task SpoofedForwardedFor_FromAnUntrustedPeer_NeitherResetsNorMovesTheIpCounter()
    {
        await using var server = await StartAsync(NoDelay with { AccountMaxFailures = 100, IpMaxFailures = 3 });
        await FailAsync(server, "a@example.com", 1, forwardedFor: "203.0.113.1");
        await FailAsync(server, "b@example.com", 1, forwardedFor: "203.0.113.2");
        await FailAsync(server, "c@example.com", 1, forwardedFor: "203.0.113.3");

        AssertLocked(await SignInAsync(server, "me@example.com", "password123", forwardedFor: "198.51.100.7"));
        AssertLocked(await SignInAsync(server, "me@example.com", "password123"));
    }

    [Fact]
    public async Task ForwardedFor_FromATrustedProxy_NamesTheClient()
    {
        await using var server = await StartAsync(NoDelay with { AccountMaxFailures = 100, IpMaxFailures = 3 }, trustedProxies: ["127.0.0.0/8"]);
        // The client wrote the first address itself; the proxy appended the one it saw.
        await FailAsync(server, "a@example.com", 1, forwardedFor: "10.9.9.1, 203.0.113.1");
        await FailAsync(server, "b@example.com", 1, forwardedFor: "10.9.9.2, 203.0.113.1");
        await FailAsync(server, "c@example.com", 1, forwardedFor: "203.0.113.1");

        AssertLocked(await SignInAsync(server, "me@example.com", "password123", forwardedFor: "203.0.113.1"));
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123", forwardedFor: "203.0.113.2")).Status);
    }

    [Fact]
    public async Task ProgressiveDelay_DoublesWithEveryFurtherFailure()
    {
        var options = new BruteForceOptions
        {
            AccountMaxFailures = 10, IpMaxFailures = 100, DelayAfter = 1,
            DelayBase = TimeSpan.FromMilliseconds(800), DelayMax = TimeSpan.FromMilliseconds(1600),
        };
        await using var server = await StartAsync(options);
        await FailAsync(server, "nobody@example.com", 1);

        var watch = Stopwatch.StartNew();
        await FailAsync(server, "nobody@example.com", 1); // waits 800 ms
        Assert.True(watch.ElapsedMilliseconds >= 790, $"{watch.ElapsedMilliseconds} ms");

        watch.Restart();
        await FailAsync(server, "nobody@example.com", 1); // waits 1600 ms
        Assert.True(watch.ElapsedMilliseconds >= 1590, $"{watch.ElapsedMilliseconds} ms");

        watch.Restart();
        Assert.Equal(200, (await SignInAsync(server, "other@example.com", "password123")).Status); // other accounts are not slowed
        Assert.True(watch.ElapsedMilliseconds < 790, $"{watch.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 250)]
    [InlineData(4, 500)]
    [InlineData(6, 2000)]
    [InlineData(8, 8000)]
    [InlineData(9, 8000)]
    [InlineData(1000, 8000)]
    public void DefaultDelay_StartsAfterThreeFailuresAndIsCappedAtEightSeconds(int failures, int milliseconds)
    {
        var guard = new CredentialGuard(new BruteForceOptions(), TimeProvider.System);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), guard.Delay(failures));
    }

    [Fact]
    public async Task ValidationErrors_AreNotCountedAsFailures()
    {
        await using var server = await StartAsync(NoDelay);
        for (var i = 0; i < 5; i++)
            (await server.SendAsync(HttpMethod.Post, UsersPassword, new JsonObject { ["identity"] = "me@example.com" })).AssertError(400);
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123")).Status);
    }
}
