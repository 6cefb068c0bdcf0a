using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Cairn.Tests.Api;

/// <summary>
/// The server's own defences against clients that hold connections: headers dribbled in (slowloris) are cut off by the
/// header timeout, a body that stops arriving by the minimum data rate (408), and connections past
/// <c>--max-connections</c> are closed; meanwhile ordinary requests keep succeeding. Plus the CORS origins setting.
/// </summary>
public sealed class SlowClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TcpClient> ConnectAsync(TestServer server)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Client.BaseAddress!.Host, server.Client.BaseAddress.Port, Ct);
        return tcp;
    }

    /// <summary>Ordinary requests on their own connections while an attack runs: every one must succeed.</summary>
    private static async Task<int[]> OrdinaryRequestsAsync(TestServer server, TimeSpan during)
    {
        var statuses = new List<int>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < during)
        {
            using var client = new HttpClient { BaseAddress = server.Client.BaseAddress };
            statuses.Add((int)(await client.GetAsync("/api/health", Ct)).StatusCode);
            await Task.Delay(250, Ct);
        }
        return [.. statuses];
    }

    [Fact]
    public async Task Slowloris_IsCutOffByTheHeaderTimeout_WhileOthersAreServed()
    {
        await using var server = await TestServer.StartAsync(o => o with { HeaderTimeout = TimeSpan.FromSeconds(2) });
        using var attacker = await ConnectAsync(server);
        var stream = attacker.GetStream();
        await stream.WriteAsync("GET /api/health HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), Ct);

        var ordinary = OrdinaryRequestsAsync(server, TimeSpan.FromSeconds(3));
        var watch = Stopwatch.StartNew();
        var cutOff = false;
        try
        {
            // One header byte every 300 ms, never finishing: a slowloris client.
            for (var i = 0; i < 40 && !cutOff; i++)
            {
                await stream.WriteAsync("X"u8.ToArray(), Ct);
                await Task.Delay(300, Ct);
                cutOff = attacker.Client.Poll(0, SelectMode.SelectRead) && attacker.Client.Available == 0 || ReadsAnswer(attacker);
            }
        }
        catch (IOException)
        {
            cutOff = true;
        }

        Assert.True(cutOff, "the slowloris connection was still open after 12 s");
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.5, 6);
        Assert.All(await ordinary, s => Assert.Equal(200, s));
    }

    // Kestrel answers 408 before closing; either the answer or the close means the connection is over.
    private static bool ReadsAnswer(TcpClient client)
    {
        if (client.Available == 0) return false;
        var buffer = new byte[client.Available];
        var read = client.GetStream().Read(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 408", StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABodyThatStopsArriving_Is408_WhileOthersAreServed()
    {
        await using var server = await TestServer.StartAsync();
        await Records.TestCollections.CreatePublicAsync(server, "posts", """[{"name":"title","type":"text"}]""");
        using var attacker = await ConnectAsync(server);
        var stream = attacker.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /api/collections/posts/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"title\":"), Ct);

        var ordinary = OrdinaryRequestsAsync(server, TimeSpan.FromSeconds(4));
        using var reader = new StreamReader(stream);
        var status = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.StartsWith("HTTP/1.1 408", status);
        Assert.All(await ordinary, s => Assert.Equal(200, s));
        Assert.Equal(0, (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts/records")).Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task ConnectionsPastTheMaximum_AreClosed_UntilOneIsFree()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxConnections = 2 });
        using var first = await ConnectAsync(server);
        using var second = await ConnectAsync(server);
        await Task.Delay(200, Ct);

        using var refused = new HttpClient { BaseAddress = server.Client.BaseAddress };
        await Assert.ThrowsAsync<HttpRequestException>(() => refused.GetAsync("/api/health", Ct));

        first.Close();
        await Task.Delay(300, Ct);
        using var admitted = new HttpClient { BaseAddress = server.Client.BaseAddress };
        Assert.Equal(200, (int)(await admitted.GetAsync("/api/health", Ct)).StatusCode);
    }

    [Fact]
    public async Task CorsOrigins_AllowOnlyTheConfiguredOrigins()
    {
        await using var server = await TestServer.StartAsync(o => o with { CorsOrigins = ["https://app.example.com"] });

        async Task<string?> AllowedOrigin(string origin)
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/health");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            using var response = await server.Client.SendAsync(preflight, Ct);
            return response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;
        }

        Assert.Equal("https://app.example.com", await AllowedOrigin("https://app.example.com"));
        Assert.Null(await AllowedOrigin("https://evil.example.com"));
    }
}
