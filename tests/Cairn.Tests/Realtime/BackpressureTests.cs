using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Realtime;
using Cairn.Tests.Records;

namespace Cairn.Tests.Realtime;

/// <summary>
/// Each connection has a bounded send queue: a client that stops reading is dropped as "too slow" once its queue
/// is full, and a normal subscriber on the same server keeps receiving every event meanwhile.
/// </summary>
public sealed class BackpressureTests
{
    private const int Events = 150, TitleBytes = 100_000; // ~15 MB: more than loopback socket buffers hold

    private static async Task<TestServer> StartAsync()
    {
        var server = await TestServer.StartAsync(o => o with { Realtime = o.Realtime with { SendQueueLimit = 8 } });
        await server.CreatePublicAsync("blobs", """[{"name":"title","type":"text","max":200000}]""");
        return server;
    }

    /// <summary>Creates big records until <paramref name="dropped"/> holds (at most <see cref="Events"/>); returns how many.</summary>
    private static async Task<int> FloodAsync(TestServer server, Func<bool> dropped)
    {
        var title = new string('x', TitleBytes);
        var created = 0;
        while (created < Events)
        {
            var response = await server.SendAsync(HttpMethod.Post, "/api/collections/blobs/records", new JsonObject { ["title"] = title + created });
            Assert.Equal(200, response.Status);
            created++;
            if (dropped() && created >= 20) break;
        }
        return created;
    }

    private static async Task AssertReceivesAllAsync(SseClient normal, int count)
    {
        for (var i = 0; i < count; i++)
            Assert.EndsWith("x" + i, (await normal.NextAsync()).Title());
    }

    [Fact]
    public async Task SseClientThatNeverReads_IsDropped_WhileANormalSubscriberGetsEveryEvent()
    {
        await using var server = await StartAsync();
        var hub = server.Service<RealtimeHub>();
        await using var normal = await SseClient.ConnectAsync(server);
        await normal.SubscribeOkAsync(null, "blobs/*");

        // A raw socket that reads PB_CONNECT and then nothing more.
        using var slow = new TcpClient { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(server.Client.BaseAddress!.Host, server.Client.BaseAddress.Port, TestContext.Current.CancellationToken);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /api/realtime HTTP/1.1\r\nHost: {server.Client.BaseAddress.Authority}\r\n\r\n"), TestContext.Current.CancellationToken);
        var head = new StringBuilder();
        var buffer = new byte[1];
        while (!head.ToString().Contains("PB_CONNECT"))
        {
            Assert.Equal(1, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken));
            head.Append((char)buffer[0]);
        }
        var slowId = head.ToString().Split("id:")[1].Split('\n')[0];
        await new SseClientFor(server, slowId).SubscribeOkAsync("blobs/*");
        var slowClient = hub.Find(slowId)!;

        var created = await FloodAsync(server, () => slowClient.CloseReason is not null);

        Assert.Equal(RealtimeCloseReason.TooSlow, slowClient.CloseReason);
        await AssertReceivesAllAsync(normal, created);
        Assert.True(hub.Find(slowId) is null or { CloseReason: not null });
    }

    [Fact]
    public async Task WebSocketThatNeverReads_IsClosedWith4008_WhileANormalSubscriberGetsEveryEvent()
    {
        await using var server = await StartAsync();
        var hub = server.Service<RealtimeHub>();
        await using var normal = await SseClient.ConnectAsync(server);
        await normal.SubscribeOkAsync(null, "blobs/*");

        using var slow = new ClientWebSocket();
        slow.Options.SetBuffer(4096, 4096);
        await slow.ConnectAsync(new UriBuilder(server.Client.BaseAddress!) { Scheme = "ws", Path = "/api/realtime/ws" }.Uri, TestContext.Current.CancellationToken);
        var buffer = new byte[1 << 20];
        var connected = await slow.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        var slowId = JsonNode.Parse(buffer.AsSpan(0, connected.Count))!["clientId"]!.GetValue<string>();
        await slow.SendAsync("""{"type":"subscribe","topics":["blobs/*"]}"""u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        await slow.ReceiveAsync(buffer, TestContext.Current.CancellationToken); // "subscribed"; from here on nothing is read
        var slowClient = hub.Find(slowId)!;

        var created = await FloodAsync(server, () => slowClient.CloseReason is not null);

        Assert.Equal(RealtimeCloseReason.TooSlow, slowClient.CloseReason);
        await AssertReceivesAllAsync(normal, created);
        // Reading again, the client finds what was already in flight and then the close frame with its reason.
        WebSocketReceiveResult result;
        do result = await slow.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        while (result.MessageType != WebSocketMessageType.Close);
        Assert.Equal((WebSocketCloseStatus)4008, result.CloseStatus);
        Assert.Equal("too slow", result.CloseStatusDescription);
    }

    /// <summary>Posts subscriptions for a client id the test read itself.</summary>
    private sealed class SseClientFor(TestServer server, string clientId)
    {
        public async Task SubscribeOkAsync(params string[] topics)
        {
            var response = await server.SendAsync(HttpMethod.Post, "/api/realtime",
                new JsonObject { ["clientId"] = clientId, ["subscriptions"] = new JsonArray(topics.Select(t => (JsonNode)t).ToArray()) });
            Assert.True(response.Status == 204, response.Text);
        }
    }
}
