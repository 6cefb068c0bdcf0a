using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Cairn.Tests.Realtime;

/// <summary>One SSE event as a client sees it: the <c>id:</c>, <c>event:</c> and parsed <c>data:</c> lines.</summary>
internal sealed record SseEvent(string Id, string Name, JsonNode? Data);

/// <summary>
/// A minimal EventSource for the scenarios: opens <c>GET /api/realtime</c>, reads <c>PB_CONNECT</c>, and queues
/// every later event for <see cref="NextAsync"/>; <see cref="SubscribeAsync"/> posts the subscription set.
/// </summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly TestServer _server;
    private readonly HttpResponseMessage _response;
    private readonly Task _reading;

    private SseClient(TestServer server, HttpResponseMessage response, Stream stream)
    {
        _server = server;
        _response = response;
        _reading = ReadAsync(stream);
    }

    public string ClientId { get; private set; } = "";
    public HttpResponseHeaders Headers => _response.Headers;
    public MediaTypeHeaderValue? ContentType => _response.Content.Headers.ContentType;

    /// <summary>Set once the server ended the stream.</summary>
    public bool Ended { get; private set; }

    public static async Task<SseClient> ConnectAsync(TestServer server, HttpClient? http = null)
    {
        var response = await (http ?? server.Client).GetAsync("/api/realtime", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var client = new SseClient(server, response, await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var connect = await client.NextAsync();
        Assert.Equal("PB_CONNECT", connect.Name);
        client.ClientId = connect.Id;
        return client;
    }

    public Task<ApiResponse> SubscribeAsync(string? token, params string[] topics) =>
        _server.SendAsync(HttpMethod.Post, "/api/realtime",
            new JsonObject { ["clientId"] = ClientId, ["subscriptions"] = new JsonArray(topics.Select(t => (JsonNode)t).ToArray()) }, token);

    public async Task SubscribeOkAsync(string? token, params string[] topics)
    {
        var response = await SubscribeAsync(token, topics);
        Assert.True(response.Status == 204, response.Text);
    }

    public async Task<SseEvent> NextAsync(int timeoutMs = 10_000)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(timeoutMs);
        try
        {
            return await _events.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No realtime event within {timeoutMs} ms.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("The server ended the event stream.");
        }
    }

    /// <summary>Whatever arrives within <paramref name="ms"/> milliseconds.</summary>
    public async Task<List<SseEvent>> DrainAsync(int ms = 300)
    {
        await Task.Delay(ms, TestContext.Current.CancellationToken);
        var events = new List<SseEvent>();
        while (_events.Reader.TryRead(out var e)) events.Add(e);
        return events;
    }

    public Task Stream => _reading;

    private async Task ReadAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string id = "", name = "";
        var data = new StringBuilder();
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (name.Length > 0 || data.Length > 0)
                        await _events.Writer.WriteAsync(new SseEvent(id, name, data.Length == 0 ? null : JsonNode.Parse(data.ToString())));
                    name = "";
                    data.Clear();
                    continue;
                }
                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                switch (field)
                {
                    case "id": id = value; break;
                    case "event": name = value; break;
                    case "data": data.Append(value); break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        Ended = true;
        _events.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try { await _reading; } catch { }
    }
}
