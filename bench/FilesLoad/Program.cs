// The upload benchmark of the files issue: SIZE bytes written to disk plainly (a FileStream in the server's data folder,
// flushed to disk at the end, and another also flushed every 16 MiB), uploaded through tus (one PATCH) and through a multipart record create, ROUNDS times in
// turn. Reports each path's throughput, its ratios to both plain writes of the same round (medians and worst), and the server's peak RSS growth
// (VmRSS from /proc sampled every 20 ms) over its RSS just before the upload. Prints markdown table rows.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--")).ToDictionary(p => p.a[2..], p => args[p.i + 1]);
var url = options["url"];
var size = long.Parse(options["size"]);
var rounds = int.Parse(options.GetValueOrDefault("rounds", "3"));
var serverPid = int.Parse(options["pid"]);
var dataDir = options["dir"];

using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
var auth = await http.PostAsJsonAsync("/api/collections/_superusers/auth-with-password", new { identity = options["email"], password = options["password"] });
auth.EnsureSuccessStatusCode();
var token = (await auth.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
var collection = await http.PostAsJsonAsync("/api/collections", new
{
    name = "bench_files", type = "base", createRule = "", deleteRule = "",
    fields = new object[] { new { name = "blob", type = "file", maxSelect = 1, maxSize = size * 2 } },
});
collection.EnsureSuccessStatusCode();

var results = new Dictionary<string, List<(double Seconds, double Ratio, double SyncedRatio, long Growth)>> { ["tus"] = [], ["multipart"] = [], ["disk"] = [], ["disk-synced"] = [] };
// The order rotates every round, so no path always runs right after another's writeback or file removal.
string[] modes = ["disk", "disk-synced", "tus", "multipart"];
for (var round = 0; round < rounds; round++)
{
    var times = new Dictionary<string, (double Seconds, long Growth)>();
    foreach (var mode in modes.Skip(round % modes.Length).Concat(modes.Take(round % modes.Length)))
        times[mode] = mode switch
        {
            "disk" => (PlainWrite(syncEvery: 0), 0),
            "disk-synced" => (PlainWrite(syncEvery: 16 << 20), 0),
            "tus" => await Measured(UploadTusAsync),
            _ => await Measured(UploadMultipartAsync),
        };
    // Ratios to both plain writes of the same round: the baseline (one flush at the end) and the synced one.
    foreach (var (mode, (seconds, growth)) in times) results[mode].Add((seconds, times["disk"].Seconds / seconds, times["disk-synced"].Seconds / seconds, growth));
    Console.Error.WriteLine($"round {round + 1}: " + string.Join(", ", times.Select(t => $"{t.Key} {Mbps(t.Value.Seconds):F0} MB/s")));
}
foreach (var (mode, list) in results)
{
    double Median(IEnumerable<double> values) => values.Order().ElementAt(list.Count / 2);
    Console.WriteLine($"| {mode} | {size / 1024 / 1024} MiB | {rounds} | {Mbps(Median(list.Select(r => r.Seconds))):F0} MB/s | {Median(list.Select(r => r.Ratio)):P0} (worst {list.Min(r => r.Ratio):P0}) " +
        $"| {Median(list.Select(r => r.SyncedRatio)):P0} (worst {list.Min(r => r.SyncedRatio):P0}) | {list.Max(r => r.Growth) / 1024 / 1024} MB |");
}

double Mbps(double seconds) => size / 1e6 / seconds;

// A FileStream writing the benchmark's bytes in 1 MiB blocks into the data folder, flushed to disk at the end, and with
// syncEvery > 0 also every that many bytes (as tus acknowledges its offset).
double PlainWrite(long syncEvery)
{
    var path = Path.Combine(dataDir, "baseline.bin");
    var block = Block();
    var watch = Stopwatch.StartNew();
    using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0))
    {
        for (long written = 0; written < size; written += block.Length)
        {
            file.Write(block, 0, (int)Math.Min(block.Length, size - written));
            if (syncEvery > 0 && (written + block.Length) % syncEvery == 0) file.Flush(flushToDisk: true);
        }
        file.Flush(flushToDisk: true);
    }
    var seconds = watch.Elapsed.TotalSeconds;
    File.Delete(path);
    return seconds;
}

async Task<double> UploadTusAsync()
{
    using var create = new HttpRequestMessage(HttpMethod.Post, "/api/tus");
    create.Headers.Add("Tus-Resumable", "1.0.0");
    create.Headers.Add("Upload-Length", size.ToString());
    var watch = Stopwatch.StartNew();
    using var created = await http.SendAsync(create);
    created.EnsureSuccessStatusCode();
    var location = created.Headers.Location!.ToString();
    using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new StreamContent(new Generated(size), 1 << 20) };
    patch.Headers.Add("Tus-Resumable", "1.0.0");
    patch.Headers.Add("Upload-Offset", "0");
    patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
    patch.Content.Headers.ContentLength = size;
    using var patched = await http.SendAsync(patch);
    var seconds = watch.Elapsed.TotalSeconds;
    patched.EnsureSuccessStatusCode();
    using var delete = new HttpRequestMessage(HttpMethod.Delete, location);
    delete.Headers.Add("Tus-Resumable", "1.0.0");
    (await http.SendAsync(delete)).EnsureSuccessStatusCode();
    return seconds;
}

async Task<double> UploadMultipartAsync()
{
    using var form = new MultipartFormDataContent { { new StreamContent(new Generated(size), 1 << 20), "blob", "big.bin" } };
    var watch = Stopwatch.StartNew();
    using var created = await http.PostAsync("/api/collections/bench_files/records", form);
    var seconds = watch.Elapsed.TotalSeconds;
    created.EnsureSuccessStatusCode();
    var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    (await http.DeleteAsync($"/api/collections/bench_files/records/{id}")).EnsureSuccessStatusCode();
    await Task.Delay(1000); // the stored file is removed in the background
    return seconds;
}

async Task<(double Seconds, long Growth)> Measured(Func<Task<double>> upload)
{
    var before = Rss();
    long peak = before;
    using var stop = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, Rss());
            try { await Task.Delay(20, stop.Token); } catch (OperationCanceledException) { }
        }
    });
    var seconds = await upload();
    stop.Cancel();
    await sampler;
    return (seconds, peak - before);
}

long Rss()
{
    foreach (var line in File.ReadLines($"/proc/{serverPid}/status"))
        if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    return 0;
}

static byte[] Block()
{
    var block = new byte[1 << 20];
    new Random(42).NextBytes(block);
    return block;
}

/// <summary>SIZE bytes from a repeated random 1 MiB block, generated as they are read: the client holds no file.</summary>
sealed class Generated(long length) : Stream
{
    private static readonly byte[] Pattern = MakePattern();
    private long _position;

    private static byte[] MakePattern()
    {
        var block = new byte[1 << 20];
        new Random(42).NextBytes(block);
        return block;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        var done = 0;
        while (done < n)
        {
            var at = (int)((_position + done) % Pattern.Length);
            var take = Math.Min(n - done, Pattern.Length - at);
            Pattern.AsSpan(at, take).CopyTo(buffer[done..]);
            done += take;
        }
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
