using System.Net;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Storage;

/// <summary>
/// Durability: the real server runs as its own process (on SQLite with <c>--synchronous full</c>, or on a fresh
/// PostgreSQL database in the PostgreSQL pass), is killed with SIGKILL while clients create records one at a time
/// and in batches, and restarted; every record it acknowledged must still be there, every batch must be there whole
/// or not at all, and SQLite's file must pass <c>PRAGMA integrity_check</c>.
/// </summary>
public sealed class CrashTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private ServerProcess(Process process, string baseUrl)
        {
            _process = process;
            BaseUrl = baseUrl;
            _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public static string Dll => Path.Combine(AppContext.BaseDirectory, "Cairn.Server.dll");

        // The SDK names the dotnet host that runs the tests; fall back to the one on PATH.
        public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

        public string BaseUrl { get; }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public static async Task<ServerProcess> StartAsync(string dataDir, string? database)
        {
            var port = Loopback.FreePort();
            Assert.True(File.Exists(Dll), $"{Dll} is missing: the test project references Cairn.Server to build it");
            var info = new ProcessStartInfo(ServerProcess.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { Dll, "serve", "--http", $"127.0.0.1:{port}", "--dir", dataDir, "--synchronous", "full" }.Concat(DatabaseArgs(database)))
                info.ArgumentList.Add(arg);
            var server = new ServerProcess(Process.Start(info)!, $"http://127.0.0.1:{port}");
            await server.WaitHealthyAsync();
            return server;
        }

        public static string[] DatabaseArgs(string? database) => database is null ? [] : ["--db", database];


        private async Task WaitHealthyAsync()
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < Timeout)
            {
                Assert.False(_process.HasExited, "the server exited: " + Output);
                try
                {
                    if ((await client.GetAsync(BaseUrl + "/api/health", TestContext.Current.CancellationToken)).IsSuccessStatusCode) return;
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested) { }
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            Assert.Fail("the server did not become healthy: " + Output);
        }

        public async Task KillAsync()
        {
            _process.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) await KillAsync();
            _process.Dispose();
        }
    }

    private const int BatchSize = 5;

    [Fact]
    public async Task KillDuringWrites_EveryAcknowledgedRecordSurvives()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cairn-crash-" + Guid.NewGuid().ToString("N"));
        // On PostgreSQL the Cairn process is killed, not PostgreSQL: a commit it acknowledged must be visible to the
        // restarted server. (The test server's fsync=off only matters if PostgreSQL itself crashed.)
        var database = await TestDatabase.CreateAsync();
        try
        {
            var acknowledged = new ConcurrentBag<string>();
            var acknowledgedBatches = new ConcurrentBag<string>();
            await UpsertSuperuserAsync(dataDir, database);
            await using (var server = await ServerProcess.StartAsync(dataDir, database))
            {
                await CreatePublicCollectionAsync(server);
                using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() => w < 6
                    ? WriteUntilFailureAsync(client, w, acknowledged, stop.Token)
                    : WriteBatchesUntilFailureAsync(client, w, acknowledged, acknowledgedBatches, stop.Token))).ToList();

                // Kill at a random moment once some writes and batches went through.
                var deadline = Stopwatch.StartNew();
                while ((acknowledged.Count < 20 || acknowledgedBatches.Count < 2) && deadline.Elapsed < Timeout)
                    await Task.Delay(10, TestContext.Current.CancellationToken);
                await Task.Delay(Random.Shared.Next(0, 300), TestContext.Current.CancellationToken);
                await server.KillAsync();
                await stop.CancelAsync();
                await Task.WhenAll(writers).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            }
            Assert.True(acknowledged.Count >= 20, $"only {acknowledged.Count} writes were acknowledged");
            Assert.True(acknowledgedBatches.Count >= 2, $"only {acknowledgedBatches.Count} batches were acknowledged");

            await using (var restarted = await ServerProcess.StartAsync(dataDir, database))
            {
                var present = await ListAsync(restarted);
                var lost = acknowledged.Where(id => !present.ContainsKey(id)).ToList();
                Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged records were lost");
                // One transaction per batch: a batch the kill interrupted left nothing behind.
                var torn = present.Values.Where(b => b.Length > 0).CountBy(b => b).Where(b => b.Value != BatchSize).ToList();
                Assert.True(torn.Count == 0, $"{torn.Count} batches are partly there: " + string.Join(", ", torn.Select(b => $"{b.Key} has {b.Value}")));
            }

            if (database is null) Assert.Equal("ok", IntegrityCheck(Path.Combine(dataDir, "data.db")));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            await TestDatabase.DropAsync(database);
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    // The superuser is created the way an operator would, with `cairn superuser upsert` before the first start.
    private static async Task UpsertSuperuserAsync(string dataDir, string? database)
    {
        var info = new ProcessStartInfo(ServerProcess.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ServerProcess.Dll, "superuser", "upsert", "root@example.com", "password123", "--dir", dataDir }.Concat(ServerProcess.DatabaseArgs(database)))
            info.ArgumentList.Add(arg);
        using var upsert = Process.Start(info)!;
        var stdout = upsert.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = upsert.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await upsert.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(upsert.ExitCode == 0, await stdout.WaitAsync(Timeout, TestContext.Current.CancellationToken) + await stderr.WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    private static async Task CreatePublicCollectionAsync(ServerProcess server)
    {
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
        var auth = await client.PostAsync("/api/collections/_superusers/auth-with-password",
            new StringContent("""{"identity":"root@example.com","password":"password123"}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await auth.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(auth.IsSuccessStatusCode, text);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/collections")
        {
            Content = new StringContent("""{"name":"events","listRule":"","viewRule":"","createRule":"","fields":[{"name":"n","type":"number"},{"name":"w","type":"number"},{"name":"batch","type":"text"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", JsonNode.Parse(text)!["token"]!.GetValue<string>());
        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static async Task WriteUntilFailureAsync(HttpClient client, int writer, ConcurrentBag<string> acknowledged, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            try
            {
                var response = await client.PostAsync("/api/collections/events/records",
                    new StringContent($$"""{"n":{{n}},"w":{{writer}}}""", Encoding.UTF8, "application/json"), stop);
                if (response.StatusCode != HttpStatusCode.OK) continue;
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(stop))!;
                acknowledged.Add(body["id"]!.GetValue<string>());
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                return; // the server is gone: whatever was not answered 200 was never acknowledged
            }
        }
    }

    // Each batch creates BatchSize records tagged with the batch's name; it is acknowledged only by a 200.
    private static async Task WriteBatchesUntilFailureAsync(HttpClient client, int writer, ConcurrentBag<string> acknowledged, ConcurrentBag<string> batches, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var batch = $"b{writer}-{n}";
            var requests = new JsonArray(Enumerable.Range(0, BatchSize).Select(i => (JsonNode)new JsonObject
            {
                ["method"] = "POST", ["url"] = "/api/collections/events/records", ["body"] = new JsonObject { ["n"] = i, ["w"] = writer, ["batch"] = batch },
            }).ToArray());
            try
            {
                var response = await client.PostAsync("/api/batch",
                    new StringContent(new JsonObject { ["requests"] = requests }.ToJsonString(), Encoding.UTF8, "application/json"), stop);
                if (response.StatusCode != HttpStatusCode.OK) continue;
                var results = JsonNode.Parse(await response.Content.ReadAsStringAsync(stop))!.AsArray();
                foreach (var result in results) acknowledged.Add(result!["body"]!["id"]!.GetValue<string>());
                batches.Add(batch);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                return;
            }
        }
    }

    /// <summary>Every record's id and the batch that created it ("" for single creates).</summary>
    private static async Task<Dictionary<string, string>> ListAsync(ServerProcess server)
    {
        using var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        var records = new Dictionary<string, string>();
        for (var page = 1; ; page++)
        {
            var text = await client.GetStringAsync($"/api/collections/events/records?perPage=1000&skipTotal=1&fields=id,batch&page={page}", TestContext.Current.CancellationToken);
            var items = JsonNode.Parse(text)!["items"]!.AsArray();
            foreach (var item in items) records[item!["id"]!.GetValue<string>()] = item["batch"]!.GetValue<string>();
            if (items.Count < 1000) return records;
        }
    }

    private static string IntegrityCheck(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
