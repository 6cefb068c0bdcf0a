using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Cairn.Storage;
using Cairn.Storage.Sqlite;
using Cairn.Tests.Records;

namespace Cairn.Tests.Storage;

/// <summary>Concurrent record writes through the API: atomic increments, optimistic concurrency, and group commit under load.</summary>
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
        var created = await server.SendAsync(HttpMethod.Post, "/api/collections/docs/records", TestCollections.Json("""{"title":"v0"}"""));
        var url = $"/api/collections/docs/records/{created.Json.Str("id")}";
        var etag = created.Headers.ETag!;

        var patches = Enumerable.Range(0, 20).Select(i => Task.Run(() => server.SendAsync(HttpMethod.Patch, url,
            new JsonObject { ["title"] = $"v{i + 1}" }, configure: r => r.Headers.IfMatch.Add(new EntityTagHeaderValue(etag.Tag)))));
        var responses = await Task.WhenAll(patches).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Single(responses, r => r.Status == 200);
        Assert.Equal(19, responses.Count(r => r.Status == 412));
        var winner = responses.Single(r => r.Status == 200).Json.Str("title");
        Assert.Equal(winner, (await server.SendAsync(HttpMethod.Get, url)).Json.Str("title"));
    }

    [Fact]
    public async Task ConcurrentCreates_ShareCommits()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, "Group commit is SQLite's single writer; PostgreSQL commits each transaction itself.");
        await using var server = await TestServer.StartAsync(o => o with { SynchronousFull = true });
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var stats = ((SqliteDatabase)server.Service<IDatabase>()).WriterStats;
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
}
