using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Cairn.Storage;
using Cairn.Storage.Sqlite;
using Cairn.Tests.Records;
using static Cairn.Tests.Records.TestCollections;

namespace Cairn.Tests.Storage;

/// <summary>
/// Concurrent record writes through the API, on both engines: atomic increments, optimistic concurrency, batches that
/// deadlock on PostgreSQL, creates racing for one unique value, and SQLite's group commit under load.
/// </summary>
public sealed class ConcurrentWritesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ConcurrentIncrements_AreNeverLost()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("counters", """[{"name":"count","type":"number"}]""");
        var id = (await server.CreateRecordAsync("counters", """{"count":0}""")).Str("id");
        var url = $"/api/collections/counters/records/{id}";

        var patches = Enumerable.Range(0, 50).Select(_ => Task.Run(() => server.SendAsync(HttpMethod.Patch, url, new JsonObject { ["count+"] = 1 })));
        var responses = await Task.WhenAll(patches).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.All(responses, r => Assert.Equal(200, r.Status));
        var view = await server.SendAsync(HttpMethod.Get, url);
        Assert.Equal(50, view.Json!["count"]!.GetValue<double>());
        // Each response saw its own increment: all values 1..50 appear exactly once.
        Assert.Equal(Enumerable.Range(1, 50), responses.Select(r => (int)r.Json!["count"]!.GetValue<double>()).Order());
    }

    [Fact]
    public async Task ConcurrentUpdatesWithTheSameIfMatch_ExactlyOneWins()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("docs", """[{"name":"title","type":"text"}]""");
        var created = await server.SendAsync(HttpMethod.Post, "/api/collections/docs/records", Json("""{"title":"v0"}"""));
        var url = $"/api/collections/docs/records/{created.Json.Str("id")}";
        var etag = created.Headers.ETag!;

        // All at once: otherwise each update tends to commit before the next one reads, and the test passed even without
        // the row lock that makes the If-Match check and the update one step on PostgreSQL (with it removed: 3 to 5 winners).
        var responses = await AllAtOnceAsync(server, url, 20, i => server.SendAsync(HttpMethod.Patch, url,
            new JsonObject { ["title"] = $"v{i + 1}" }, configure: r => r.Headers.IfMatch.Add(new EntityTagHeaderValue(etag.Tag))));

        Assert.Single(responses, r => r.Status == 200);
        Assert.Equal(19, responses.Count(r => r.Status == 412));
        var winner = responses.Single(r => r.Status == 200).Json.Str("title");
        Assert.Equal(winner, (await server.SendAsync(HttpMethod.Get, url)).Json.Str("title"));
    }

    [Fact]
    public async Task BatchesUpdatingTwoRecordsInOppositeOrder_CommitWholeOrConflict()
    {
        // PostgreSQL looks for a deadlock only after deadlock_timeout (1 s by default): sooner here, so that the many
        // deadlocks take seconds rather than a minute. The batch timeout is long because the test is about what the
        // retries end in, not about the timeout (BatchApiTests covers that).
        await using var server = await TestServer.StartAsync(o => o with
        {
            Database = o.Database is { } database ? database + ";Options=-c deadlock_timeout=20ms" : null,
            Batch = o.Batch with { Timeout = Timeout },
        });
        await server.CreatePublicAsync("counters", """[{"name":"count","type":"number"}]""");
        var a = (await server.CreateRecordAsync("counters", """{"count":0}""")).Str("id");
        var b = (await server.CreateRecordAsync("counters", """{"count":0}""")).Str("id");

        // Half lock a then b, half b then a: on PostgreSQL the row locks deadlock (about a hundred times a run), a unit
        // that loses is run again, and one that loses four times is answered 409 (a few a run); never a 500, never half a batch.
        var responses = new List<ApiResponse>();
        for (var round = 0; round < 4; round++)
            responses.AddRange(await AllAtOnceAsync(server, $"/api/collections/counters/records/{a}", 16,
                i => server.SendAsync(HttpMethod.Post, "/api/batch", i % 2 == 0 ? IncrementBoth(a, b) : IncrementBoth(b, a))));

        foreach (var response in responses.Where(r => r.Status != 200)) response.AssertError(409);
        var committed = responses.Count(r => r.Status == 200);
        Assert.True(committed > 0, "no batch committed");
        foreach (var id in new[] { a, b })
            Assert.Equal(committed, (await server.SendAsync(HttpMethod.Get, $"/api/collections/counters/records/{id}")).Json!["count"]!.GetValue<double>());
    }

    private static JsonObject IncrementBoth(string first, string second) => new()
    {
        ["requests"] = new JsonArray(new[] { first, second }.Select(id => (JsonNode)new JsonObject
        {
            ["method"] = "PATCH", ["url"] = $"/api/collections/counters/records/{id}", ["body"] = new JsonObject { ["count+"] = 1 },
        }).ToArray()),
    };

    public static TheoryData<string> UniqueRaces() => new("unique index", "same id", "auth email");

    [Theory]
    [MemberData(nameof(UniqueRaces))]
    public async Task ConcurrentCreatesOfOneUniqueValue_OneWinsTheRestAreNotUnique(string race)
    {
        await using var server = await TestServer.StartAsync();
        var (collection, field, body, count) = race switch
        {
            "unique index" => ("posts", "slug", Json("""{"slug":"same"}"""), 20),
            "same id" => ("notes", "id", Json("""{"id":"sameid000000001"}"""), 20),
            // Fewer: each sign-up hashes a password.
            _ => ("users", "email", Json("""{"email":"same@example.com","password":"password123","passwordConfirm":"password123"}"""), 8),
        };
        if (collection == "users") await server.CreateUsersAsync();
        else if (collection == "notes") await server.CreatePublicAsync("notes");
        else await server.CreatePublicAsync("posts", """[{"name":"slug","type":"text"}]""", indexesJson: """["CREATE UNIQUE INDEX idx_posts_slug ON posts (slug)"]""");

        var url = $"/api/collections/{collection}/records";
        var responses = await AllAtOnceAsync(server, url, count, _ => server.SendAsync(HttpMethod.Post, url, body.DeepClone()));

        Assert.Single(responses, r => r.Status == 200);
        foreach (var response in responses.Where(r => r.Status != 200))
            response.AssertFieldError("Failed to create record.", field, "validation_not_unique");
        var list = await server.AsSuperuser(HttpMethod.Get, url + "?perPage=1");
        Assert.Equal(1, list.Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task ConcurrentCreates_ShareCommits()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, "Group commit is SQLite's single writer; PostgreSQL commits each transaction itself.");
        await using var server = await TestServer.StartAsync(o => o with { SynchronousFull = true });
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var stats = ((SqliteDatabase)((global::Cairn.Observability.InstrumentedDatabase)server.Service<IDatabase>()).Inner).WriterStats;
        var before = (stats.Batches, stats.Units);

        var creates = Enumerable.Range(0, 200).Select(i => Task.Run(() => server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", new JsonObject { ["title"] = $"t{i}" })));
        var responses = await Task.WhenAll(creates).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.All(responses, r => Assert.Equal(200, r.Status));
        var units = stats.Units - before.Units;
        var batches = stats.Batches - before.Batches;
        Assert.True(units >= 200, $"{units} units");
        Assert.True(units / (double)batches > 1, $"{units} units in {batches} batches: no batching under concurrency");
        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?perPage=1");
        Assert.Equal(200, list.Json!["totalItems"]!.GetValue<int>());
    }

    /// <summary>
    /// Sends <paramref name="count"/> requests at the same moment. Connections are opened first (a read of
    /// <paramref name="warmUrl"/> on each), so the requests overlap in the server rather than arriving one by one
    /// behind TCP handshakes and new database connections.
    /// </summary>
    private static async Task<ApiResponse[]> AllAtOnceAsync(TestServer server, string warmUrl, int count, Func<int, Task<ApiResponse>> send)
    {
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => server.AsSuperuser(HttpMethod.Get, warmUrl))).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, count).Select(i => Task.Run(async () => { await go.Task; return await send(i); })).ToList();
        go.SetResult();
        return await Task.WhenAll(requests).WaitAsync(Timeout, TestContext.Current.CancellationToken);
    }
}
