using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Observability;

/// <summary><c>/api/logs</c> (POCKETBASE_API.md 1.7): the request logs for superusers, filtered and sorted with the query language, per-hour stats, one entry, truncation.</summary>
public sealed class LogsApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Makes three requests (two 200s on /api/health, one 404) and waits until the background writer has stored them.</summary>
    private static async Task<TestServer> StartWithLogsAsync()
    {
        var server = await TestServer.StartAsync();
        await server.Client.GetAsync("/api/health", Ct);
        await server.Client.GetAsync("/api/health", Ct);
        await server.Client.GetAsync("/api/nowhere", Ct);
        for (var i = 0; i < 100; i++)
        {
            var found = await server.AsSuperuser(HttpMethod.Get, "/api/logs?filter=" + Uri.EscapeDataString("data.url = '/api/nowhere'"));
            if (found.Json?["totalItems"]?.GetValue<long>() == 1) return server;
            await Task.Delay(50, Ct);
        }
        throw new TimeoutException("the request logs were not written");
    }

    private static Task<ApiResponse> GetAsync(TestServer server, string url) => server.AsSuperuser(HttpMethod.Get, url);

    [Fact]
    public async Task TheLogs_AreForSuperusersOnly()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (_, user) = await server.CreateUserAsync("u@example.com");

        (await server.SendAsync(HttpMethod.Get, "/api/logs")).AssertError(401);
        (await server.SendAsync(HttpMethod.Get, "/api/logs", token: user)).AssertError(403);
        (await server.SendAsync(HttpMethod.Get, "/api/logs/stats", token: user)).AssertError(403);
        (await server.SendAsync(HttpMethod.Delete, "/api/logs", token: user)).AssertError(403);
    }

    [Fact]
    public async Task List_FiltersOnDataPaths_AndSorts()
    {
        await using var server = await StartWithLogsAsync();

        var health = await GetAsync(server, "/api/logs?sort=created&filter=" + Uri.EscapeDataString("data.url = '/api/health' && data.status = 200"));
        var missing = await GetAsync(server, "/api/logs?filter=" + Uri.EscapeDataString("data.status >= 400 && data.method = 'GET'"));

        Assert.Equal(2, health.Json!["totalItems"]!.GetValue<long>());
        var items = health.Json["items"]!.AsArray();
        Assert.True(string.CompareOrdinal(items[0].Str("created"), items[1].Str("created")) <= 0);
        Assert.Equal("request", items[0]!["data"].Str("type"));
        Assert.Equal(0, items[0]!["level"]!.GetValue<int>());
        var only = missing.Json!["items"]!.AsArray().Single()!;
        Assert.Equal("/api/nowhere", only["data"].Str("url"));
        Assert.Equal(404, only["data"]!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task One_GivesAnEntry_AndAMissingIdIs404()
    {
        await using var server = await StartWithLogsAsync();
        var id = (await GetAsync(server, "/api/logs?perPage=1")).Json!["items"]![0].Str("id");

        var one = await GetAsync(server, $"/api/logs/{id}");

        Assert.Equal(200, one.Status);
        Assert.Equal(id, one.Json.Str("id"));
        (await GetAsync(server, "/api/logs/nope")).AssertError(404);
    }

    [Fact]
    public async Task Stats_CountPerHour_WithTheFilter()
    {
        await using var server = await StartWithLogsAsync();

        var all = await GetAsync(server, "/api/logs/stats");
        var health = await GetAsync(server, "/api/logs/stats?filter=" + Uri.EscapeDataString("data.url = '/api/health'"));

        // Requests keep being logged meanwhile (these ones too): the stats lie between the three made and the total read after.
        var counted = all.Json!.AsArray().Sum(b => b!["total"]!.GetValue<long>());
        var later = (await GetAsync(server, "/api/logs")).Json!["totalItems"]!.GetValue<long>();
        Assert.InRange(counted, 3, later);
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2} \\d{2}:00:00\\.000Z$", health.Json!.AsArray()[0]!["date"]!.GetValue<string>());
        Assert.Equal(2, health.Json.AsArray().Sum(b => b!["total"]!.GetValue<long>()));
    }

    [Fact]
    public async Task BadOrHostileFilters_Are400OrMatchNothing()
    {
        await using var server = await StartWithLogsAsync();

        (await GetAsync(server, "/api/logs?filter=" + Uri.EscapeDataString("data.url ="))).AssertError(400);
        (await GetAsync(server, "/api/logs?sort=nofield")).AssertError(400);
        var injected = await GetAsync(server, "/api/logs?filter=" + Uri.EscapeDataString("message = \"x' OR 1=1 --\""));
        Assert.Equal(0, injected.Json!["totalItems"]!.GetValue<long>());
    }

    [Fact]
    public async Task Delete_RemovesEveryEntry()
    {
        await using var server = await StartWithLogsAsync();

        Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, "/api/logs")).Status);

        var left = await GetAsync(server, "/api/logs?filter=" + Uri.EscapeDataString("data.url = '/api/health'"));
        Assert.Equal(0, left.Json!["totalItems"]!.GetValue<long>());
    }
}
