using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Cairn.Tests.Realtime;

/// <summary>A <see cref="ClientWebSocket"/> on <c>/api/realtime/ws</c> that queues every message it receives and records how the server closed.</summary>
internal sealed class WsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
    private readonly Task _reading;

    private WsClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reading = ReadAsync();
    }

    public string ClientId { get; private set; } = "";
    public JsonNode? ConnectedAuth { get; private set; }
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;
    public string? CloseText => _socket.CloseStatusDescription;
    public Task Reading => _reading;

    public static async Task<WsClient> ConnectAsync(TestServer server, Action<ClientWebSocketOptions>? configure = null, bool readConnected = true)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        var url = new UriBuilder(server.Client.BaseAddress!) { Scheme = "ws", Path = "/api/realtime/ws" }.Uri;
        await socket.ConnectAsync(url, TestContext.Current.CancellationToken);
        var client = new WsClient(socket);
        if (readConnected)
        {
            var connected = await client.NextAsync();
            Assert.Equal("connected", connected["type"]!.GetValue<string>());
            client.ClientId = connected["clientId"]!.GetValue<string>();
            client.ConnectedAuth = connected["auth"];
        }
        return client;
    }

    public Task SendAsync(JsonObject message) => SendTextAsync(message.ToJsonString());

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

    /// <summary>Sends a message and returns the next one received (the reply, when no events are flowing).</summary>
    public async Task<JsonObject> AskAsync(JsonObject message)
    {
        await SendAsync(message);
        return await NextAsync();
    }

    public async Task<JsonObject> NextAsync(int timeoutMs = 10_000)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(timeoutMs);
        try
        {
            return await _messages.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No WebSocket message within {timeoutMs} ms.");
        }
    }

    public async Task<List<JsonObject>> DrainAsync(int ms = 300)
    {
        await Task.Delay(ms, TestContext.Current.CancellationToken);
        var messages = new List<JsonObject>();
        while (_messages.Reader.TryRead(out var m)) messages.Add(m);
        return messages;
    }

    /// <summary>Waits until the server closes the socket; returns its close code.</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync(int timeoutMs = 10_000)
    {
        await _reading.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs), TestContext.Current.CancellationToken);
        return _socket.CloseStatus;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                _messages.Writer.TryWrite(JsonNode.Parse(message.ToArray())!.AsObject());
                message.SetLength(0);
            }
        }
        catch (WebSocketException) { }
        _messages.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); }
            catch (Exception e) when (e is WebSocketException or TimeoutException) { }
        }
        _socket.Abort();
        _socket.Dispose();
        try { await _reading; } catch { }
    }
}
