// Holds N realtime connections (WebSocket or SSE) against a running `cairn serve` and measures one of:
//   memory  the server's resident memory per idle connection, each subscribed to one topic, beyond the idle
//           process (VmRSS of --pid before and after; the idle process has opened and closed 200 connections
//           first), and the cost of each connection of the second half alone; then checks that one event
//           reaches all of them;
//   fanout  N connections signed in as N distinct users, subscribed to `live/*` whose list rule must be checked
//           for each (`@request.auth.id != "" && (public = true || owner = @request.auth.id)`); each round updates
//           one record and times, per subscriber, from the update request to the event's arrival (after one warm-up
//           event and 30 unmeasured rounds: see FanoutAsync). At most 50 rounds.
//
//   RealtimeLoad memory|fanout --url U --email E --password P --transport ws|sse --connections N [--pid PID] [--rounds 10]
// Prints one markdown table row on stdout; progress on stderr.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

var mode = args[0];
var options = new Dictionary<string, string> { ["--rounds"] = "10", ["--pid"] = "0" };
for (var i = 1; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
var baseUrl = new Uri(options["--url"]);
var transport = options["--transport"];
var count = int.Parse(options["--connections"]);
var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
using var http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = Timeout.InfiniteTimeSpan };
var clock = Stopwatch.StartNew();
void Log(string text) => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {text}");

var superuser = (await Send(HttpMethod.Post, "/api/collections/_superusers/auth-with-password",
    new JsonObject { ["identity"] = options["--email"], ["password"] = options["--password"] }, null))!["token"]!.GetValue<string>();

if (mode == "memory") await MemoryAsync();
else await FanoutAsync();
return;

async Task MemoryAsync()
{
    await Send(HttpMethod.Post, "/api/collections", JsonNode.Parse("""{"name":"live","listRule":"","viewRule":"","createRule":"","fields":[{"name":"title","type":"text"}]}"""), superuser);
    var pid = int.Parse(options["--pid"]);
    // The idle process has served realtime connections before (code compiled, pools sized): what is measured is
    // what holding connections costs, not the first connection's one-time start-up.
    await CloseAllAsync(await OpenAsync(Enumerable.Repeat<string?>(null, Math.Min(200, count)).ToList()));
    await Task.Delay(3000);
    var before = Rss(pid);
    Log($"server RSS before: {before / 1024.0:F1} MiB; opening {count} {transport} connections, half first");
    var connections = await OpenAsync(Enumerable.Repeat<string?>(null, count / 2).ToList());
    await Task.Delay(10_000);
    var half = Rss(pid);
    connections.AddRange(await OpenAsync(Enumerable.Repeat<string?>(null, count - count / 2).ToList()));
    Log($"open; settling");
    await Task.Delay(10_000);
    var after = Rss(pid);
    var perConnection = (after - before) * 1024.0 / count;
    // The second half's cost alone: what one more connection costs once the heap has settled at this size.
    var marginal = (after - half) * 1024.0 / (count - count / 2);
    Log($"server RSS after: {after / 1024.0:F1} MiB: {perConnection / 1024:F2} KiB per connection, {marginal / 1024:F2} KiB for each of the second half");

    var (delivered, _) = await RoundAsync(connections, "ping", () => Send(HttpMethod.Post, "/api/collections/live/records", new JsonObject { ["title"] = "ping" }, superuser));
    Console.WriteLine($"| memory | {transport} | {count:N0} | {before / 1024.0:F1} MiB | {after / 1024.0:F1} MiB | **{perConnection / 1024:F2} KiB** | {marginal / 1024:F2} KiB | {delivered:N0}/{count:N0} got one event |");
    await CloseAllAsync(connections);
}

async Task FanoutAsync()
{
    // Users at bcrypt cost 4: creating 10,000 of them is not what is measured.
    var users = (await Send(HttpMethod.Get, "/api/collections/users", null, superuser))!;
    var fields = users["fields"]!.AsArray().Select(f => f!.DeepClone()).ToArray();
    foreach (var field in fields.OfType<JsonObject>()) if (field["name"]!.GetValue<string>() == "password") field["cost"] = 4;
    await Send(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["fields"] = new JsonArray(fields) }, superuser);
    await Send(HttpMethod.Post, "/api/collections", JsonNode.Parse($$"""
        {"name":"live","listRule":"@request.auth.id != \"\" && (public = true || owner = @request.auth.id)","viewRule":"","createRule":"","updateRule":"",
         "fields":[{"name":"title","type":"text"},{"name":"public","type":"bool"},{"name":"owner","type":"relation","collectionId":"{{users["id"]}}"}]}
        """), superuser);

    Log($"creating {count} users");
    var ids = Enumerable.Range(0, count).Select(i => $"fan{i:D12}").ToList();
    await Parallel.ForEachAsync(ids.Chunk(50), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, _) =>
        await Send(HttpMethod.Post, "/api/batch", new JsonObject
        {
            ["requests"] = new JsonArray(chunk.Select(id => (JsonNode)new JsonObject
            {
                ["method"] = "POST", ["url"] = "/api/collections/users/records",
                ["body"] = new JsonObject { ["id"] = id, ["email"] = $"{id}@example.com", ["password"] = "fan-password-1", ["passwordConfirm"] = "fan-password-1" },
            }).ToArray()),
        }, superuser));
    Log("tokens (impersonate)");
    var tokens = new string[count];
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        tokens[i] = (await Send(HttpMethod.Post, $"/api/collections/users/impersonate/{ids[i]}", new JsonObject { ["duration"] = 3600 }, superuser))!["token"]!.GetValue<string>());

    Log($"opening {count} signed-in {transport} connections");
    var connections = await OpenAsync(tokens);
    var record = (await Send(HttpMethod.Post, "/api/collections/live/records", new JsonObject { ["title"] = "warm-up", ["public"] = true, ["owner"] = ids[0] }, superuser))!["id"]!.GetValue<string>();
    var (warm, _) = await WaitAllAsync(connections, "warm-up", TimeSpan.FromSeconds(60));
    Log($"warm-up event reached {warm}/{count}");
    // Unmeasured rounds first, to reach the steady state: the server's per-request code is recompiled by the tiered
    // JIT over its first ~30 calls, and the server trims its heap once the storm of 10,000 connections has settled
    // (a pause of about 0.3 s that would otherwise land in a measured round).
    for (var w = 60; w < 90; w++)
    {
        var title = $"round-{w}";
        await RoundAsync(connections, title, () => Send(HttpMethod.Patch, $"/api/collections/live/records/{record}", new JsonObject { ["title"] = title }, superuser));
        await Task.Delay(500);
    }

    var latencies = new List<double>();
    var delivered = 0;
    var rounds = int.Parse(options["--rounds"]);
    for (var r = 1; r <= rounds; r++)
    {
        var title = $"round-{r}";
        var (got, times) = await RoundAsync(connections, title,
            () => Send(HttpMethod.Patch, $"/api/collections/live/records/{record}", new JsonObject { ["title"] = title }, superuser));
        delivered += got;
        latencies.AddRange(times);
        Log($"{title}: {got}/{count}, p50 {Percentile(times, 50):F0} ms, p99 {Percentile(times, 99):F0} ms, max {times.DefaultIfEmpty().Max():F0} ms");
        await Task.Delay(500);
    }
    Console.WriteLine($"| fanout | {transport} | {count:N0} | {rounds} | {Percentile(latencies, 50):F0} ms | **{Percentile(latencies, 99):F0} ms** | {latencies.DefaultIfEmpty().Max():F0} ms | {delivered:N0}/{(long)count * rounds:N0} |");
    await CloseAllAsync(connections);
}

static double Percentile(List<double> values, int p)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
}

// Sends the update, then waits for every connection to see `title`; latency runs from just before the request.
async Task<(int Delivered, List<double> Ms)> RoundAsync(List<Connection> connections, string title, Func<Task> trigger)
{
    // No collection runs in this process during a round: its 10,000 sockets make a large heap, and one of its own
    // pauses (333 ms was seen) stamps every event and the write's answer late together, which is not the server's
    // latency. Entering the region collects first, before the clock starts; a round allocates far less than this.
    var noGc = GC.TryStartNoGCRegion(128L << 20);
    try
    {
        var start = Stopwatch.GetTimestamp();
        await trigger();
        var writeMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var (got, arrivals) = await WaitAllAsync(connections, title, TimeSpan.FromSeconds(30));
        // A write answers late when its response waits behind the fan-out it started (run O), or when its commit was slow.
        Log($"{title}: the write itself answered in {writeMs:F0} ms");
        return (got, arrivals.Select(t => Stopwatch.GetElapsedTime(start, t).TotalMilliseconds).ToList());
    }
    finally
    {
        if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        else Log($"{title}: the load client collected during this round (its own pause is in these figures)");
    }
}

static async Task<(int, List<long>)> WaitAllAsync(List<Connection> connections, string title, TimeSpan timeout)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < timeout && connections.Any(c => c.ArrivedAt(title) is null)) await Task.Delay(20);
    var arrivals = connections.Select(c => c.ArrivedAt(title)).OfType<long>().ToList();
    return (arrivals.Count, arrivals);
}

async Task<List<Connection>> OpenAsync(IReadOnlyList<string?> tokens)
{
    var connections = new Connection[tokens.Count];
    await Parallel.ForEachAsync(Enumerable.Range(0, tokens.Count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        connections[i] = transport == "ws" ? await WsConnection.OpenAsync(baseUrl, tokens[i]) : await SseConnection.OpenAsync(http, tokens[i]));
    return [.. connections];
}

static async Task CloseAllAsync(List<Connection> connections)
{
    foreach (var c in connections) c.Dispose();
    await Task.Delay(500);
}

static long Rss(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]); // KiB
    return 0;
}

async Task<JsonNode?> Send(HttpMethod method, string url, JsonNode? body, string? token)
{
    using var request = new HttpRequestMessage(method, url);
    if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
    if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
    using var response = await http.SendAsync(request);
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {url}: {(int)response.StatusCode} {text}");
    return text.Length == 0 ? null : JsonNode.Parse(text);
}

/// <summary>
/// One subscriber: remembers when each awaited title arrived (Stopwatch ticks). Titles are "warm-up", "ping" or
/// "round-N"; arrivals go into a fixed array, so that the client allocates next to nothing per message: it shares
/// the box's 2 cores with the server it measures, and its own garbage collections would show up as latency.
/// </summary>
abstract class Connection : IDisposable
{
    private readonly long[] _arrivals = new long[128];

    public long? ArrivedAt(string title) => Volatile.Read(ref _arrivals[Slot(title)]) is var t and not 0 ? t : null;

    private static int Slot(string title) => title.StartsWith("round-") ? int.Parse(title[6..]) : 0;

    protected void Arrived(ReadOnlySpan<byte> json)
    {
        var now = Stopwatch.GetTimestamp();
        var at = json.IndexOf("\"title\":\""u8);
        if (at < 0) return;
        var rest = json[(at + 9)..];
        var title = rest[..rest.IndexOf((byte)'"')];
        var slot = title.StartsWith("round-"u8) && int.TryParse(title[6..], out var n) && n < _arrivals.Length ? n : 0;
        Interlocked.CompareExchange(ref _arrivals[slot], now, 0);
    }

    public abstract void Dispose();
}

/// <summary>
/// A WebSocket client written against the socket, as the SSE reader below is: the upgrade request by hand, the
/// server's frames (unmasked, whole) parsed from the bytes as they arrive, pings answered. `ClientWebSocket` costs
/// the shared cores more per message: with it, the WebSocket p99 ran 40–90 ms above the SSE one for the same
/// server work (bench/RESULTS.md run O), which is the client's cost, not the server's.
/// </summary>
sealed class WsConnection : Connection
{
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private byte[] _buffer = new byte[4 * 1024]; // an event is a few hundred bytes; a longer frame grows it
    private int _start, _end; // the bytes received and not yet read: _buffer[_start.._end]

    public static async Task<Connection> OpenAsync(Uri baseUrl, string? token)
    {
        var c = new WsConnection();
        await c._socket.ConnectAsync(baseUrl.Host, baseUrl.Port);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await c._socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /api/realtime/ws HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        int head;
        while ((head = c._buffer.AsSpan(0, c._end).IndexOf("\r\n\r\n"u8)) < 0) await c.EnsureAsync(c._end + 1);
        if (!c._buffer.AsSpan(0, head).StartsWith("HTTP/1.1 101"u8)) throw new IOException("the upgrade was refused: " + Encoding.ASCII.GetString(c._buffer, 0, head));
        c._start = head + 4;
        await c.NextFrameAsync(); // connected
        if (token is not null)
        {
            await c.SendAsync(1, Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "auth", ["token"] = token }.ToJsonString()));
            await c.NextFrameAsync();
        }
        await c.SendAsync(1, """{"type":"subscribe","topics":["live/*"]}"""u8.ToArray());
        await c.NextFrameAsync();
        _ = c.ReadAsync();
        return c;
    }

    // Receives until at least `count` unread bytes are held.
    private async ValueTask EnsureAsync(int count)
    {
        while (_end - _start < count)
        {
            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                (_end, _start) = (_end - _start, 0);
            }
            if (count > _buffer.Length) Array.Resize(ref _buffer, count);
            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
            if (read == 0) throw new IOException("the server closed the connection");
            _end += read;
        }
    }

    // The next frame (RFC 6455 5.2): its opcode, and where its payload lies in the buffer until the next read.
    private async ValueTask<(int Opcode, int Offset, int Length)> NextFrameAsync()
    {
        await EnsureAsync(2);
        var opcode = _buffer[_start] & 0x0F;
        int length = _buffer[_start + 1] & 0x7F, header = 2;
        if (length == 126)
        {
            await EnsureAsync(header = 4);
            length = _buffer[_start + 2] << 8 | _buffer[_start + 3];
        }
        else if (length == 127)
        {
            await EnsureAsync(header = 10);
            length = checked((int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(_start + 2)));
        }
        await EnsureAsync(header + length);
        var offset = _start + header;
        _start = offset + length;
        return (opcode, offset, length);
    }

    private async Task ReadAsync()
    {
        try
        {
            for (;;)
            {
                var (opcode, offset, length) = await NextFrameAsync();
                if (opcode == 1) Arrived(_buffer.AsSpan(offset, length));
                else if (opcode == 9) await SendAsync(10, _buffer.AsSpan(offset, length).ToArray()); // the server's keep-alive
                else if (opcode == 8) return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
    }

    // A client frame is masked (RFC 6455 5.3); the client's messages are short.
    private async Task SendAsync(int opcode, byte[] payload)
    {
        var frame = new byte[payload.Length + 8];
        var n = 0;
        frame[n++] = (byte)(0x80 | opcode);
        if (payload.Length < 126) frame[n++] = (byte)(0x80 | payload.Length);
        else (frame[n++], frame[n++], frame[n++]) = (0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length);
        Random.Shared.NextBytes(frame.AsSpan(n, 4));
        for (var i = 0; i < payload.Length; i++) frame[n + 4 + i] = (byte)(payload[i] ^ frame[n + i % 4]);
        await _socket.SendAsync(frame.AsMemory(0, n + 4 + payload.Length), SocketFlags.None);
    }

    public override void Dispose() => _socket.Dispose();
}

sealed class SseConnection : Connection
{
    private HttpResponseMessage? _response;

    public static async Task<Connection> OpenAsync(HttpClient http, string? token)
    {
        var c = new SseConnection();
        c._response = await http.GetAsync("/api/realtime", HttpCompletionOption.ResponseHeadersRead);
        var stream = await c._response.Content.ReadAsStreamAsync();
        var buffer = new byte[4 * 1024]; // an event is a few hundred bytes; longer messages are assembled below
        var filled = 0;
        string? clientId = null;
        while (clientId is null)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0) throw new IOException("the stream ended before PB_CONNECT");
            filled += read;
            var text = Encoding.UTF8.GetString(buffer, 0, filled);
            if (text.Contains("\n\n") && text.IndexOf("id:", StringComparison.Ordinal) is var at and >= 0) clientId = text[(at + 3)..text.IndexOf('\n', at)];
        }
        using var subscribe = new HttpRequestMessage(HttpMethod.Post, "/api/realtime")
        {
            Content = new StringContent(new JsonObject { ["clientId"] = clientId, ["subscriptions"] = new JsonArray("live/*") }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (token is not null) subscribe.Headers.TryAddWithoutValidation("Authorization", token);
        (await http.SendAsync(subscribe)).EnsureSuccessStatusCode();
        _ = c.ReadAsync(stream, buffer);
        return c;
    }

    // Scans the bytes for "data:" lines without decoding them to strings: the client shares the cores it measures on.
    private async Task ReadAsync(Stream stream, byte[] buffer)
    {
        var filled = 0;
        try
        {
            for (;;)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled));
                if (read == 0) return;
                filled += read;
                var start = 0;
                for (int end; (end = Array.IndexOf(buffer, (byte)'\n', start, filled - start)) >= 0; start = end + 1)
                    if (buffer.AsSpan(start, end - start).StartsWith("data:"u8)) Arrived(buffer.AsSpan(start + 5, end - start - 5));
                Array.Copy(buffer, start, buffer, 0, filled - start);
                filled -= start;
                if (filled == buffer.Length) filled = 0; // a line longer than the buffer: not one of ours
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException) { }
    }

    public override void Dispose() => _response?.Dispose();
}
