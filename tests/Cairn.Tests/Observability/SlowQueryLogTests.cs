using Cairn.Observability;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Cairn.Tests.Observability;

/// <summary>Record queries over the threshold are logged with their plan and without the values bound to them.</summary>
public sealed class SlowQueryLogTests
{
    private static Task<TestServer> StartAsync(int slowQueryMs) =>
        TestServer.StartAsync(o => o with { SlowQueryMs = slowQueryMs }, s => s.AddLogging(l => l.AddFakeLogging()));

    private static async Task CreatePostsAsync(TestServer server) =>
        await server.CreateCollectionAsync(TestCollections.Json("""
            {"name":"posts","listRule":"","fields":[{"name":"title","type":"text"},{"name":"author","type":"text"}],
             "indexes":["CREATE INDEX idx_posts_author ON posts (author)"]}
            """));

    private static List<string> SlowQueries(TestServer server) =>
        server.Service<FakeLogCollector>().GetSnapshot()
            .Where(r => r.Category == typeof(SlowQueryLog).FullName && r.Level == LogLevel.Warning)
            .Select(r => r.Message).ToList();

    [Fact]
    public async Task AQueryOverTheThreshold_IsLoggedWithSqlAndPlan_ButNotTheFilterValues()
    {
        await using var server = await StartAsync(slowQueryMs: 0);
        await CreatePostsAsync(server);

        var list = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?filter=" + Uri.EscapeDataString("author = 'secret-author-42'"));

        Assert.Equal(200, list.Status);
        var logged = SlowQueries(server);
        var select = Assert.Single(logged, m => m.Contains("FROM \"posts\"", StringComparison.Ordinal) && !m.Contains("COUNT(", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("plan: ", select);
        Assert.Contains("idx_posts_author", select);
        Assert.DoesNotContain(logged, m => m.Contains("secret-author-42", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheCountQuery_IsTimedToo()
    {
        await using var server = await StartAsync(slowQueryMs: 0);
        await CreatePostsAsync(server);

        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");

        Assert.Contains(SlowQueries(server), m => m.Contains("COUNT(", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task MinusOne_TurnsTheLogOff()
    {
        await using var server = await StartAsync(slowQueryMs: -1);
        await CreatePostsAsync(server);

        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?filter=" + Uri.EscapeDataString("author = 'x'"));

        Assert.Empty(SlowQueries(server));
    }
}
