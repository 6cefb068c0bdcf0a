using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Files.Tus;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files;

/// <summary>
/// Every upload attack of the files issue against one server, then three checks over the whole run: each attack was
/// refused with a 4xx or neutralised (a hostile client file name is never used: the stored name is generated and
/// safe, which is how PocketBase answers it too, so such an upload succeeds under a harmless name and a path built
/// from the hostile name finds nothing), no file appeared outside the data folder's own places, and the server's
/// memory never grew by more than 200 MB.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public sealed class UploadAttackRunTests
{
    private const string Docs = "/api/collections/docs/records";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] HostileNames =
    [
        "../evil.txt", "..\\evil.txt", "../../../../../../tmp/evil.txt", "%2e%2e%2fevil.txt", "%252e%252e%252fevil.txt",
        "..%c0%afevil.txt", "evil\0.txt", new string('a', 10_000) + ".txt", "\u202Etxt.exe", "/etc/passwd", "C:\\evil.txt", ".htaccess",
    ];

    [Fact]
    public async Task EveryAttack_IsRefusedOrNeutralised_NothingEscapes_AndMemoryStaysBounded()
    {
        await using var server = await FileKit.StartAsync(o => o with { MaxBodySize = 1024 * 1024 });
        var outside = Path.GetDirectoryName(server.DataDir)!;
        var before = Directory.EnumerateFileSystemEntries(outside, "*evil*").ToHashSet();
        using var memory = new PeakMemory();
        var refused = new List<(string Attack, int Status)>();

        foreach (var name in HostileNames)
        {
            // The header is written by hand: HttpClient would refuse some of these names, a hostile client does not.
            var part = FileKit.Text("payload");
            part.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"attachments\"; filename=\"{name.Replace("\\", "\\\\")}\"");
            var response = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(part));
            if (response.Status != 200)
            {
                refused.Add(($"upload named {name[..Math.Min(name.Length, 20)]}", response.Status));
                continue;
            }
            var stored = response.Json.Names("attachments").Single();
            Assert.Matches("^[a-z0-9_]{1,100}_[a-z0-9]{10}\\.[a-z0-9]+$|^[a-z0-9]{10}(\\.[a-z0-9]+)?$", stored);
            using var byHostileName = await server.GetFileAsync($"/api/files/docs/{response.Json.Str("id")}/{Uri.EscapeDataString(name[..Math.Min(name.Length, 200)])}");
            refused.Add(($"GET by the hostile name {name[..Math.Min(name.Length, 20)]}", (int)byHostileName.StatusCode));
        }
        foreach (var path in new[] { "../../data.db", "..%2F..%2Fdata.db", "%2e%2e/%2e%2e/data.db", "x/../../data.db" })
        {
            using var response = await server.GetFileAsync($"/api/files/docs/{path}");
            refused.Add(($"GET {path}", (int)response.StatusCode));
        }

        var oversize = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(FileKit.File([.. FileKit.Png, .. new byte[1_100_000]], "image/png"), "cover", "big.png"));
        refused.Add(("a file over its field's maxSize", oversize.Status));
        refused.Add(("a Content-Length beyond the request limit", await RawStatusAsync(server, 50 * 1024 * 1024, "--b\r\n")));
        foreach (var (label, bytes) in new[]
        {
            ("HTML named .png", Encoding.UTF8.GetBytes("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")),
            ("SVG named .png", Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>")),
            ("HTML after a PNG-looking byte", Encoding.UTF8.GetBytes("\u0089PNG<html><script>alert(1)</script>")),
        })
        {
            var disguised = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(FileKit.File(bytes, "image/png"), "cover", "photo.png"));
            refused.Add((label, disguised.Status));
        }

        // A decompression bomb is a valid PNG: it is stored, and its thumbnail is refused from the header, serving the original.
        var bomb = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(FileKit.File(FileKit.BombHeader(), "image/png"), "cover", "bomb.png"));
        Assert.Equal(200, bomb.Status);
        using var thumb = await server.GetFileAsync($"/api/files/docs/{bomb.Json.Str("id")}/{bomb.Json.Names("cover").Single()}?thumb=100x100");
        Assert.Equal(FileKit.BombHeader(), await thumb.Content.ReadAsByteArrayAsync(Ct));

        var url = await server.NewUploadAsync(server.SuperuserToken, 1000);
        using (var badOffset = await server.PatchAsync(server.SuperuserToken, url, 500, new byte[10])) refused.Add(("tus: a bad offset", (int)badOffset.StatusCode));
        using (var badChecksum = await server.PatchAsync(server.SuperuserToken, url, 0, new byte[10], TusKit.Sha1(new byte[11]))) refused.Add(("tus: a bad checksum", (int)badChecksum.StatusCode));
        using (var pastEnd = await server.PatchAsync(server.SuperuserToken, url, 0, new byte[1001])) refused.Add(("tus: past the length", (int)pastEnd.StatusCode));
        await server.CreateUsersAsync();
        var (_, mallory) = await server.CreateUserAsync("mallory@example.com");
        using (var foreign = await server.PatchAsync(mallory, url, 0, new byte[10])) refused.Add(("tus: a foreign upload id", (int)foreign.StatusCode));
        using (var traversal = await server.PatchAsync(server.SuperuserToken, "/api/tus/..%2F..%2Fdata.db", 0, new byte[10])) refused.Add(("tus: a path as the id", (int)traversal.StatusCode));
        var foreignAttach = await server.SendAsync(HttpMethod.Post, Docs, new JsonObject { ["attachments"] = $"tus:{url.Split('/').Last()}" }, mallory);
        refused.Add(("tus: attaching someone else's upload", foreignAttach.Status));

        Assert.All(refused, r => Assert.True(r.Status is >= 400 and < 500, $"{r.Attack}: {r.Status}"));
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(outside, "*evil*").ToHashSet());
        string[] places = ["storage", "tus", "temp", "mails"];
        foreach (var file in Directory.EnumerateFiles(server.DataDir, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(server.DataDir, file);
            Assert.True(places.Any(p => relative.StartsWith(p + Path.DirectorySeparatorChar, StringComparison.Ordinal)) || relative.StartsWith("data.db") || relative.StartsWith("auxiliary.db"), relative);
        }
        Assert.True(memory.Growth < 200L * 1024 * 1024, $"memory grew by {memory.Growth / 1024 / 1024} MB");
    }

    private static async Task<int> RawStatusAsync(TestServer server, long contentLength, string body)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(server.Client.BaseAddress!.Host, server.Client.BaseAddress.Port, Ct);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST {Docs} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {contentLength}\r\n\r\n{body}"), Ct);
        using var reader = new StreamReader(stream);
        var status = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct) ?? "";
        return int.Parse(status.Split(' ')[1]);
    }

    /// <summary>Samples this process's working set (the server runs in it) and reports the largest growth over the start.</summary>
    private sealed class PeakMemory : IDisposable
    {
        private readonly long _start;
        private long _peak;
        private readonly Timer _timer;

        public PeakMemory()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            _start = _peak = Sample();
            _timer = new Timer(_ => Interlocked.Exchange(ref _peak, Math.Max(Interlocked.Read(ref _peak), Sample())), null, 0, 20);
        }

        private static long Sample()
        {
            using var process = Process.GetCurrentProcess();
            return process.WorkingSet64;
        }

        public long Growth => Math.Max(Interlocked.Read(ref _peak), Sample()) - _start;

        public void Dispose() => _timer.Dispose();
    }
}
