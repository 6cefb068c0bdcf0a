using System.Diagnostics;
using System.Net.Sockets;

namespace Cairn.Tests.Cli;

/// <summary>The `cairn` program run as a real process: how it fails, and how it stops.</summary>
public sealed class CairnCliTests
{
    private static ProcessStartInfo Command(params string[] args) => CairnProcess.Command(args);

    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CairnProcess.RunAsync(args);

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "cairn-cli-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Serve_UnknownFlag_PrintsOneLineAndExitsNonZero()
    {
        var (exit, _, err) = await RunAsync("serve", "--bogus");
        Assert.NotEqual(0, exit);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--bogus", err);
    }

    [Fact]
    public async Task Serve_DataFolderIsAFile_PrintsOneLineAndExitsNonZero()
    {
        var file = Path.GetTempFileName();
        try
        {
            var (exit, _, err) = await RunAsync("serve", "--dir", file, "--http", "127.0.0.1:0");
            Assert.NotEqual(0, exit);
            var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("cairn: the data folder", lines[0]);
            Assert.DoesNotContain("   at ", err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--db", "mysql://root@localhost/app")]
    [InlineData("--slow-query-ms", "-5")]
    [InlineData("--smtp", "http://mail.example.com")]
    [InlineData("--app-url", "ftp://app.example.com")]
    [InlineData("--trusted-proxy", "not-an-ip")]
    [InlineData("--lockout-failures", "-1")]
    [InlineData("--lockout-ip-failures", "-1")]
    [InlineData("--lockout-minutes", "0")]
    [InlineData("--tus-expiry-hours", "0")]
    [InlineData("--tus-max-size", "0")]
    [InlineData("--rate-limits", "/nonexistent/rate-limits.json")]
    [InlineData("--origins", "not a url")]
    [InlineData("--header-timeout", "0")]
    [InlineData("--max-connections", "0")]
    [InlineData("--otlp-endpoint", "collector:4317")]
    [InlineData("--log-level", "loud")]
    [InlineData("--s3-endpoint", "not-a-url")]
    [InlineData("--cache", "sometimes")]
    [InlineData("--cache", "2")]
    [InlineData("--cache-ttl", "0")]
    [InlineData("--metrics-http", "127.0.0.1:0")]
    [InlineData("--metrics-http", "nowhere")]
    public async Task Serve_BadNewFlagValue_PrintsOneLineNamingTheFlagAndExitsNonZero(string flag, string value)
    {
        var (exit, _, err) = await RunAsync("serve", "--dir", TempDir(), flag, value);
        Assert.NotEqual(0, exit);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(flag, err);
    }

    [Fact]
    public async Task Serve_BadHttpAddress_PrintsOneLineAndExitsNonZero()
    {
        var (exit, _, err) = await RunAsync("serve", "--dir", TempDir(), "--http", "not-an-address");
        Assert.NotEqual(0, exit);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--http", err);
    }

    [Fact]
    public async Task Serve_Sigterm_DrainsAndClosesTheDatabaseCleanly()
    {
        var dir = TempDir();
        var port = Loopback.FreePort();
        using var process = Process.Start(Command("serve", "--dir", dir, "--http", $"127.0.0.1:{port}"))!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try { if ((await client.GetAsync("/api/health", TestContext.Current.CancellationToken)).IsSuccessStatusCode) break; }
                catch (HttpRequestException) { }
                Assert.True(DateTime.UtcNow < deadline, "the server did not start");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            Assert.Equal(0, Kill(process.Id, "TERM"));
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            Assert.Equal(0, process.ExitCode);
            Assert.Contains("No superuser yet", await output);
            // A clean close checkpoints the write-ahead log into the database and removes it.
            Assert.False(File.Exists(Path.Combine(dir, "data.db-wal")), "data.db-wal left behind");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static int Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString()]);
        kill.WaitForExit();
        return kill.ExitCode;
    }

}
