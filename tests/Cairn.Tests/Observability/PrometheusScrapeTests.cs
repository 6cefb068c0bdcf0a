using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Cairn.Tests.Observability;

/// <summary>
/// A real Prometheus (the Debian package; scripts/test.sh installs it) on loopback scrapes a live server's
/// <c>/api/metrics</c> with the metrics token, and its query API then reports the server's request counts and answers
/// every query of the ready Grafana dashboard.
/// </summary>
[Collection(nameof(ProcessWideMeters))]
public sealed class PrometheusScrapeTests
{
    private const string Token = "prometheus-scrape-token-42";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Prometheus_ScrapesTheServer_AndCountsItsRequests()
    {
        var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Prometheus is not installed: scripts/test.sh installs it (apt-get install prometheus).");
        // One rule, so that the dashboard's rejections panel has something to show.
        var limits = new Cairn.RateLimiting.RateLimitSettings { Enabled = true, Rules = [new() { Label = "POST /api/nothing", Duration = 60, MaxRequests = 1 }] };
        await using var server = await TestServer.StartAsync(o => o with { MetricsToken = Token, RateLimits = limits, Cache = new() { Mode = Cairn.Caching.ResponseCacheMode.Public } });
        var folder = Path.Combine(Path.GetTempPath(), "cairn-prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = Loopback.FreePort();
        await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: cairn
                metrics_path: /api/metrics
                authorization:
                  credentials: {Token}
                static_configs:
                  - targets: ["{server.Client.BaseAddress!.Authority}"]
            """, Ct);
        using var prometheus = Process.Start(new ProcessStartInfo(binary,
            [$"--config.file={folder}/prometheus.yml", $"--storage.tsdb.path={folder}/data", $"--web.listen-address=127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        prometheus.OutputDataReceived += (_, _) => { };
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            for (var i = 0; i < 7; i++) await server.Client.GetAsync("/api/health", Ct);
            // A public list read twice: a miss and a hit for the cache panel.
            await server.CreateCollectionAsync(new System.Text.Json.Nodes.JsonObject { ["name"] = "posts", ["listRule"] = "" });
            for (var i = 0; i < 2; i++) await server.Client.GetAsync("/api/collections/posts/records", Ct);
            for (var i = 0; i < 2; i++) await server.Client.PostAsync("/api/nothing", null, Ct);

            using var query = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var count = 0.0;
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (count < 7 && DateTime.UtcNow < deadline && !prometheus.HasExited)
            {
                await Task.Delay(500, Ct);
                try
                {
                    var answer = JsonNode.Parse(await query.GetStringAsync(
                        "/api/v1/query?query=" + Uri.EscapeDataString("""sum(http_server_request_duration_seconds_count{job="cairn",http_route="/api/health"})"""), Ct));
                    if (answer?["data"]?["result"]?.AsArray() is [{ } sample]) count = double.Parse(sample["value"]![1]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (HttpRequestException) { } // Prometheus still starting
            }

            Assert.False(prometheus.HasExited, "Prometheus exited");
            Assert.Equal(7, count);
            var targets = JsonNode.Parse(await query.GetStringAsync("/api/v1/targets", Ct));
            Assert.Equal("up", targets!["data"]!["activeTargets"]![0]!["health"]!.GetValue<string>());

            // Every query of the ready Grafana dashboard (deploy/grafana/cairn.json) is valid PromQL and finds data
            // (rates need two scrapes in their window: the counts above may have come from the first).
            await Task.Delay(2500, Ct);
            foreach (var expression in DashboardQueries())
            {
                var answer = JsonNode.Parse(await query.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(expression), Ct))!;
                Assert.Equal("success", answer["status"]!.GetValue<string>());
                Assert.True(answer["data"]!["result"]!.AsArray().Count > 0, $"no data for {expression}");
            }
        }
        finally
        {
            if (!prometheus.HasExited) prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static IEnumerable<string> DashboardQueries()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "deploy", "grafana", "cairn.json"))) root = root.Parent ?? throw new FileNotFoundException("deploy/grafana/cairn.json");
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(root.FullName, "deploy", "grafana", "cairn.json")))!;
        return dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>()
            .Replace("$job", "cairn").Replace("$__rate_interval", "1m"));
    }

}
