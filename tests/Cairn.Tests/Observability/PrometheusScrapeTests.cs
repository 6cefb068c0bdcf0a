using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Cairn.Tests.Observability;

/// <summary>
/// A real Prometheus (the Debian package; scripts/test.sh installs it) on loopback scrapes a live server's
/// <c>/api/metrics</c> with the metrics token, and its query API then reports the server's request counts.
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
        await using var server = await TestServer.StartAsync(o => o with { MetricsToken = Token });
        var folder = Path.Combine(Path.GetTempPath(), "cairn-prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = FreePort();
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
        }
        finally
        {
            if (!prometheus.HasExited) prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
