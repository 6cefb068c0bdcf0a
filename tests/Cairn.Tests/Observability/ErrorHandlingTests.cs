using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Observability;

public sealed class ErrorHandlingTests
{
    [Fact]
    public async Task UnexpectedFault_Returns500WithRequestIdAndNoInternals()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cairn-test-" + Guid.NewGuid().ToString("N"));
        await using var app = await CairnApp.BuildAsync(new CairnOptions { DataDir = dir, Http = "127.0.0.1:0", SynchronousFull = false });
        app.MapGet("/test/boom", string () => throw new InvalidOperationException("secret internal detail"));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        using var response = await client.GetAsync("/test/boom", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(text)!;
        var requestId = response.Headers.GetValues("X-Request-Id").Single();

        Assert.Equal(500, (int)response.StatusCode);
        Assert.Equal(500, body["status"]!.GetValue<int>());
        Assert.Equal(requestId, body["data"]!["requestId"]!.GetValue<string>());
        Assert.Contains(requestId, body["message"]!.GetValue<string>());
        Assert.DoesNotContain("secret internal detail", text);
        Assert.DoesNotContain("InvalidOperationException", text);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task EveryRequest_IsStoredInTheLogsDatabase_NotTheDataDatabase()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/missing/records",
            configure: r => r.Headers.Add("X-Request-Id", "log-me-1"));
        Assert.Equal(404, response.Status);

        var logs = Path.Combine(server.DataDir, "auxiliary.db");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? stored = null;
        while (stored is null && DateTime.UtcNow < deadline)
        {
            await using (var connection = new SqliteConnection($"Data Source={logs};Pooling=False"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT data FROM _logs WHERE json_extract(data, '$.requestId') = 'log-me-1'";
                stored = command.ExecuteScalar() as string;
            }
            if (stored is null) await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.NotNull(stored);
        var data = JsonNode.Parse(stored)!;
        Assert.Equal(404, data["status"]!.GetValue<int>());
        Assert.Equal("GET", data["method"]!.GetValue<string>());
        Assert.Equal("request", data["type"]!.GetValue<string>());
    }
}
