using System.Net.Http.Headers;
using Cairn.RateLimiting;

namespace Cairn.Tests.Observability;

/// <summary><c>/api/metrics</c>: the Prometheus text format, for superusers and the scraper's token only, with ASP.NET Core's and Cairn's instruments.</summary>
[Collection(nameof(ProcessWideMeters))]
public sealed class MetricsApiTests
{
    private const string Token = "scraper-token-0123456789";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Status, string Text)> ScrapeAsync(TestServer server, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/metrics");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await server.Client.SendAsync(request, Ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Scrapes until <paramref name="expected"/> shows (the exporter caches a scrape for a moment).</summary>
    private static async Task<string> ScrapeUntilAsync(TestServer server, string expected)
    {
        var text = "";
        for (var i = 0; i < 40 && !text.Contains(expected, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100, Ct);
            text = (await ScrapeAsync(server, $"Bearer {Token}")).Text;
        }
        return text;
    }

    [Fact]
    public async Task TheMetrics_AreForSuperusersAndTheScraperToken_Only()
    {
        await using var server = await TestServer.StartAsync(o => o with { MetricsToken = Token });
        await Records.TestCollections.CreateUsersAsync(server);
        var (_, user) = await Records.TestCollections.CreateUserAsync(server, "u@example.com");

        Assert.Equal(401, (await ScrapeAsync(server, null)).Status);
        Assert.Equal(401, (await ScrapeAsync(server, "Bearer wrong-token-0123456789")).Status);
        Assert.Equal(403, (await ScrapeAsync(server, user)).Status);
        Assert.Equal(200, (await ScrapeAsync(server, server.SuperuserToken)).Status);
        var scraped = await ScrapeAsync(server, $"Bearer {Token}");
        Assert.Equal(200, scraped.Status);
        Assert.Contains("# TYPE", scraped.Text);
    }

    [Fact]
    public async Task RequestsDatabaseRealtimeAndRateLimits_AreMeasured()
    {
        var limits = new RateLimitSettings { Enabled = true, Rules = [new RateLimitRule { Label = "GET /api/health", Duration = 60, MaxRequests = 1 }] };
        await using var server = await TestServer.StartAsync(o => o with { MetricsToken = Token, RateLimits = limits });
        await server.Client.GetAsync("/api/health", Ct);
        Assert.Equal(429, (int)(await server.Client.GetAsync("/api/health", Ct)).StatusCode);
        using var sse = await server.Client.GetAsync("/api/realtime", HttpCompletionOption.ResponseHeadersRead, Ct);

        var text = await ScrapeUntilAsync(server, "cairn_realtime_connections{otel_scope_name=\"Cairn\",transport=\"sse\"} 1");

        Assert.Contains("http_server_request_duration_seconds_count{", text);
        Assert.Contains("http_route=\"/api/health\"", text);
        var database = TestDatabase.IsPostgres ? "postgresql" : "sqlite";
        foreach (var operation in new[] { "read", "write" })
            Assert.Contains(text.Split('\n'), line => line.StartsWith("cairn_db_operation_duration_seconds_count{", StringComparison.Ordinal)
                && line.Contains($"db_operation=\"{operation}\"") && line.Contains($"db_system=\"{database}\"") && line.Contains("outcome=\"ok\"") && !line.EndsWith(" 0"));
        Assert.Contains("cairn_rate_limit_rejections_total{otel_scope_name=\"Cairn\",rule=\"GET /api/health\"} 1", text);
        Assert.Contains("cairn_realtime_connections{otel_scope_name=\"Cairn\",transport=\"sse\"} 1", text);
        Assert.Contains("cairn_realtime_connections{otel_scope_name=\"Cairn\",transport=\"websocket\"} 0", text);
    }

    [Fact]
    public async Task WithMetricsOff_ThereIsNoMetricsEndpoint()
    {
        await using var server = await TestServer.StartAsync(o => o with { Metrics = false });

        Assert.Equal(404, (await ScrapeAsync(server, server.SuperuserToken)).Status);
    }

    [Fact]
    public async Task A_separate_metrics_address_serves_only_the_metrics_to_anyone()
    {
        var port = Loopback.FreePort();
        await using var server = await TestServer.StartAsync(o => o with { MetricsHttp = $"127.0.0.1:{port}" });
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await server.Client.GetAsync("/api/health", Ct);

        var metrics = await scraper.GetAsync("/metrics", Ct);
        Assert.Equal(200, (int)metrics.StatusCode);
        Assert.Contains("http_server_request_duration_seconds", await metrics.Content.ReadAsStringAsync(Ct));
        // Nothing of the API is reachable there, and the API's own address still guards its metrics.
        Assert.Equal(404, (int)(await scraper.GetAsync("/api/health", Ct)).StatusCode);
        Assert.Equal(404, (int)(await scraper.GetAsync("/api/metrics", Ct)).StatusCode);
        Assert.Equal(404, (int)(await scraper.GetAsync($"/api/collections/{Cairn.Collections.Collection.SuperusersId}/records", Ct)).StatusCode);
        Assert.Equal(401, (await ScrapeAsync(server, null)).Status);
        Assert.Equal(404, (int)(await server.Client.GetAsync("/metrics", Ct)).StatusCode);
    }
}
