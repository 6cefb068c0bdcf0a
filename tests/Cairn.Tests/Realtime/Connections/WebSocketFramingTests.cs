using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Realtime;
using Cairn.Tests.Records;

namespace Cairn.Tests.Realtime.Connections;

/// <summary>
/// The WebSocket framing Cairn reads off the socket itself (WebSocketFrames), byte by byte from a raw TCP client:
/// fragments, control frames, and the close codes for frames that break RFC 6455. Also: the keep-alive ping, and
/// a realtime stream opened on a connection that served another request first (ConnectionHandoff).
/// </summary>
public sealed class WebSocketFramingTests
{
    [Fact]
    public async Task AMessageSplitIntoFragments_IsOneMessage()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = await RawWebSocket.OpenAsync(server);
        await raw.ReadMessageAsync(); // connected

        var message = Encoding.UTF8.GetBytes("""{"type":"ping","id":7}""");
        await raw.SendFrameAsync(0x1, message[..5], fin: false);
        await raw.SendFrameAsync(0x9, "between"u8.ToArray()); // a control frame may come between fragments
        await raw.SendFrameAsync(0x0, message[5..12], fin: false);
        await raw.SendFrameAsync(0x0, message[12..]);

        var (pongOpcode, pongPayload) = await raw.ReadFrameAsync();
        Assert.Equal(0xA, pongOpcode);
        Assert.Equal("between", Encoding.UTF8.GetString(pongPayload));
        var reply = JsonNode.Parse(await raw.ReadMessageAsync())!;
        Assert.Equal("pong", reply["type"]!.GetValue<string>());
        Assert.Equal(7, reply["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task AnUnmaskedFrame_ClosesWith1002()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = await RawWebSocket.OpenAsync(server);
        await raw.ReadMessageAsync();

        await raw.SendFrameAsync(0x1, """{"type":"ping"}"""u8.ToArray(), masked: false);

        Assert.Equal(1002, await raw.ReadCloseCodeAsync());
    }

    [Fact]
    public async Task AContinuationWithoutAStart_ClosesWith1002()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = await RawWebSocket.OpenAsync(server);
        await raw.ReadMessageAsync();

        await raw.SendFrameAsync(0x0, "{}"u8.ToArray());

        Assert.Equal(1002, await raw.ReadCloseCodeAsync());
    }

    [Fact]
    public async Task TextThatIsNotUtf8_ClosesWith1007()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = await RawWebSocket.OpenAsync(server);
        await raw.ReadMessageAsync();

        await raw.SendFrameAsync(0x1, [0x7B, 0xC3, 0x28, 0x7D]);

        Assert.Equal(1007, await raw.ReadCloseCodeAsync());
    }

    [Fact]
    public async Task AQuietClient_IsPinged_AndCutWhenItNeverAnswers()
    {
        await using var server = await TestServer.StartAsync(o => o with { Realtime = o.Realtime with { WebSocketKeepAlive = TimeSpan.FromSeconds(1) } });
        using var raw = await RawWebSocket.OpenAsync(server);
        await raw.ReadMessageAsync();

        var (opcode, _) = await raw.ReadFrameAsync();
        Assert.Equal(0x9, opcode); // the server's ping; never answered
        Assert.True(await raw.EndedAsync(TimeSpan.FromSeconds(10)));
        var hub = server.Service<RealtimeHub>();
        for (var i = 0; i < 100 && hub.Count > 0; i++) await Task.Delay(50, TestContext.Current.CancellationToken); // the server lets go just after the socket closes
        Assert.Equal(0, hub.Count);
    }

    [Fact]
    public async Task AClientThatAnswersPings_StaysConnected()
    {
        await using var server = await TestServer.StartAsync(o => o with { Realtime = o.Realtime with { WebSocketKeepAlive = TimeSpan.FromSeconds(1) } });
        await using var ws = await WsClient.ConnectAsync(server); // ClientWebSocket answers pings itself

        await Task.Delay(TimeSpan.FromSeconds(3.5), TestContext.Current.CancellationToken);

        Assert.Null(ws.CloseStatus);
        await ws.SendAsync(new JsonObject { ["type"] = "ping" });
        Assert.Equal("pong", (await ws.NextAsync())["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnEventStream_OnAConnectionThatServedAnotherRequestFirst_ReceivesEvents()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Client.BaseAddress!.Host, server.Client.BaseAddress.Port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        var host = server.Client.BaseAddress.Authority;
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /api/health HTTP/1.1\r\nHost: {host}\r\n\r\nGET /api/realtime HTTP/1.1\r\nHost: {host}\r\n\r\n"), TestContext.Current.CancellationToken);
        var text = await ReadUntilAsync(stream, "PB_CONNECT");
        Assert.Contains("HTTP/1.1 200", text);
        Assert.Contains("text/event-stream", text);
        var clientId = text.Split("id:")[1].Split('\n')[0];

        var subscribe = await server.SendAsync(HttpMethod.Post, "/api/realtime", new JsonObject { ["clientId"] = clientId, ["subscriptions"] = new JsonArray("posts/*") });
        Assert.Equal(204, subscribe.Status);
        await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", new JsonObject { ["title"] = "after reuse" });

        Assert.Contains("\"title\":\"after reuse\"", await ReadUntilAsync(stream, "after reuse"));
    }

    private static async Task<string> ReadUntilAsync(NetworkStream stream, string marker)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (!text.ToString().Contains(marker))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.NotEqual(0, read);
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return text.ToString();
    }

    /// <summary>A WebSocket client written out by hand, so that tests can send what a library never would.</summary>
    private sealed class RawWebSocket : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;

        private RawWebSocket(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
        }

        public static async Task<RawWebSocket> OpenAsync(TestServer server)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(server.Client.BaseAddress!.Host, server.Client.BaseAddress.Port, TestContext.Current.CancellationToken);
            var raw = new RawWebSocket(tcp);
            await raw._stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"GET /api/realtime/ws HTTP/1.1\r\nHost: {server.Client.BaseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), TestContext.Current.CancellationToken);
            var head = new StringBuilder();
            while (!head.ToString().EndsWith("\r\n\r\n")) head.Append((char)await raw.ReadByteAsync());
            Assert.StartsWith("HTTP/1.1 101", head.ToString());
            Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head.ToString()); // RFC 6455's own example
            return raw;
        }

        public async Task SendFrameAsync(int opcode, byte[] payload, bool fin = true, bool masked = true)
        {
            var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
            var mask = new byte[] { 0x12, 0x34, 0x56, 0x78 };
            frame.Add((byte)((masked ? 0x80 : 0) | payload.Length)); // tests send short frames
            if (masked) frame.AddRange(mask);
            frame.AddRange(payload.Select((b, i) => masked ? (byte)(b ^ mask[i % 4]) : b));
            await _stream.WriteAsync(frame.ToArray(), TestContext.Current.CancellationToken);
        }

        public async Task<(int Opcode, byte[] Payload)> ReadFrameAsync()
        {
            var first = await ReadByteAsync();
            var second = await ReadByteAsync();
            long length = second & 0x7F;
            if (length == 126) length = BinaryPrimitives.ReadUInt16BigEndian(await ReadBytesAsync(2));
            else if (length == 127) length = (long)BinaryPrimitives.ReadUInt64BigEndian(await ReadBytesAsync(8));
            return (first & 0x0F, await ReadBytesAsync((int)length));
        }

        /// <summary>The next text message's bytes, skipping control frames.</summary>
        public async Task<byte[]> ReadMessageAsync()
        {
            for (;;)
            {
                var (opcode, payload) = await ReadFrameAsync();
                if (opcode == 0x1) return payload;
                Assert.True(opcode is 0x9 or 0xA, $"unexpected opcode {opcode}");
            }
        }

        public async Task<int> ReadCloseCodeAsync()
        {
            for (;;)
            {
                var (opcode, payload) = await ReadFrameAsync();
                if (opcode == 0x8) return BinaryPrimitives.ReadUInt16BigEndian(payload);
            }
        }

        /// <summary>True when the server closes the TCP connection within <paramref name="within"/>.</summary>
        public async Task<bool> EndedAsync(TimeSpan within)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(within);
            var buffer = new byte[256];
            try
            {
                while (await _stream.ReadAsync(buffer, timeout.Token) > 0) { }
                return true;
            }
            catch (IOException)
            {
                return true; // reset
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        private async Task<byte> ReadByteAsync() => (await ReadBytesAsync(1))[0];

        private async Task<byte[]> ReadBytesAsync(int count)
        {
            var buffer = new byte[count];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await _stream.ReadExactlyAsync(buffer, timeout.Token);
            return buffer;
        }

        public void Dispose() => _tcp.Dispose();
    }
}
