using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Observability;

public sealed class LogStoreTests
{

    private static async Task<List<string>> LoggedRequestIdsAsync(TestServer server)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "auxiliary.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json_extract(data, '$.requestId') FROM _logs ORDER BY created";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return ids;
    }

    private static async Task<List<string>> WaitForAsync(TestServer server, Func<List<string>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        for (;;)
        {
            var ids = await LoggedRequestIdsAsync(server);
            if (done(ids) || DateTime.UtcNow > deadline) return ids;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private static Task<ApiResponse> GetHealthAsync(TestServer server, string requestId) =>
        server.SendAsync(HttpMethod.Get, "/api/health", configure: r => r.Headers.Add("X-Request-Id", requestId));

    [Fact]
    public async Task Retention_EntriesOlderThanMaxDays_AreDeletedByALaterFlush()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o => o with { LogsMaxDays = 5 }, s => s.AddSingleton<TimeProvider>(clock));
        await GetHealthAsync(server, "old-request");
        Assert.Contains("old-request", await WaitForAsync(server, ids => ids.Contains("old-request")));

        clock.Now += TimeSpan.FromDays(6);
        await GetHealthAsync(server, "new-request");

        var remaining = await WaitForAsync(server, ids => ids.Contains("new-request") && !ids.Contains("old-request"));
        Assert.Contains("new-request", remaining);
        Assert.DoesNotContain("old-request", remaining);
    }

    [Fact]
    public async Task MaxDaysZero_StoresNoRequestLogs()
    {
        await using var server = await TestServer.StartAsync(o => o with { LogsMaxDays = 0 });
        await GetHealthAsync(server, "not-stored");
        await GetHealthAsync(server, "not-stored-either");
        await Task.Delay(300, TestContext.Current.CancellationToken); // the flush loop would have written them by now
        Assert.Empty(await LoggedRequestIdsAsync(server));
    }
}
