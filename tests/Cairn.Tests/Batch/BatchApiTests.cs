using System.Data.Common;
using System.Text.Json.Nodes;
using Cairn.Storage;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Batch;

/// <summary><c>POST /api/batch</c>: one transaction, the failure shape, upsert, per-item fields and limits (POCKETBASE_API.md 1.2).</summary>
public sealed class BatchApiTests
{
    private const string Invalid = "Invalid batch request data.";

    private static async Task<TestServer> StartAsync(Func<CairnOptions, CairnOptions>? configure = null)
    {
        var server = await TestServer.StartAsync(configure);
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text","required":true},{"name":"n","type":"number"}]""");
        return server;
    }

    private static Task<ApiResponse> BatchAsync(TestServer server, string requestsJson, string? token = null) =>
        server.SendAsync(HttpMethod.Post, "/api/batch", new JsonObject { ["requests"] = JsonNode.Parse(requestsJson) }, token);

    private static async Task<int> CountAsync(TestServer server) =>
        (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts/records")).Json!["totalItems"]!.GetValue<int>();

    [Fact]
    public async Task Batch_CreateUpdateDelete_ReturnsResultsInOrder()
    {
        await using var server = await StartAsync();
        var existing = (await server.CreateRecordAsync("posts", """{"title":"old"}""")).Str("id");
        var gone = (await server.CreateRecordAsync("posts", """{"title":"gone"}""")).Str("id");

        var response = await BatchAsync(server, $$$"""
            [{"method":"POST","url":"/api/collections/posts/records","body":{"title":"new"}},
             {"method":"PATCH","url":"/api/collections/posts/records/{{{existing}}}","body":{"title":"changed","n+":2}},
             {"method":"DELETE","url":"/api/collections/posts/records/{{{gone}}}"}]
            """);

        Assert.True(response.Status == 200, response.Text);
        var results = response.Json!.AsArray();
        Assert.Equal(3, results.Count);
        Assert.Equal(200, results[0]!["status"]!.GetValue<int>());
        Assert.Equal("new", results[0]!["body"].Str("title"));
        Assert.Equal("posts", results[0]!["body"].Str("collectionName"));
        Assert.Equal(200, results[1]!["status"]!.GetValue<int>());
        Assert.Equal("changed", results[1]!["body"].Str("title"));
        Assert.Equal(2, results[1]!["body"]!["n"]!.GetValue<double>());
        Assert.Equal(204, results[2]!["status"]!.GetValue<int>());
        Assert.True(results[2]!.AsObject().ContainsKey("body"));
        Assert.Null(results[2]!["body"]);
        Assert.Equal(2, await CountAsync(server));
    }

    /// <summary>A database whose writer, once stalled, starts no write unit: a queue that does not get to the batch in time.</summary>
    private sealed class StallingDatabase(IDatabase inner) : IDatabase
    {
        public bool Stalled { get; set; }
        public SqlDialect Dialect => inner.Dialect;
        public Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken = default) => inner.ReadAsync(read, cancellationToken);

        public async Task<T> WriteAsync<T>(Func<WriteContext, T> write, CancellationToken cancellationToken = default)
        {
            if (Stalled) await Task.Delay(Timeout.Infinite, cancellationToken);
            return await inner.WriteAsync(write, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Fact]
    public async Task Batch_NotStartedWithinItsTimeout_Is503WithRetryAfterAndWritesNothing()
    {
        StallingDatabase? database = null;
        await using var server = await TestServer.StartAsync(o => o with { Batch = o.Batch with { Timeout = TimeSpan.FromMilliseconds(200) } }, services =>
        {
            var real = services.Single(d => d.ServiceType == typeof(IDatabase));
            services.Remove(real);
            services.AddSingleton<IDatabase>(s => database = new StallingDatabase((IDatabase)real.ImplementationFactory!(s)));
        });
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        database!.Stalled = true;

        var response = await BatchAsync(server, """[{"method":"POST","url":"/api/collections/posts/records","body":{"title":"new"}}]""");

        database.Stalled = false;
        response.AssertError(503);
        Assert.Equal("1", response.Header("Retry-After"));
        Assert.Contains("nothing was written", response.Json.Str("message"));
        Assert.Equal(0, await CountAsync(server));
    }

    [Fact]
    public async Task Batch_FailingItem_RollsBackEverythingWithTheFailureShape()
    {
        await using var server = await StartAsync();
        var existing = (await server.CreateRecordAsync("posts", """{"title":"old"}""")).Str("id");

        var response = await BatchAsync(server, $$$"""
            [{"method":"POST","url":"/api/collections/posts/records","body":{"title":"first"}},
             {"method":"PATCH","url":"/api/collections/posts/records/{{{existing}}}","body":{"title":"changed"}},
             {"method":"POST","url":"/api/collections/posts/records","body":{"n":1}},
             {"method":"POST","url":"/api/collections/posts/records","body":{"title":"never"}}]
            """);

        response.AssertError(400, "Batch transaction failed.");
        var failure = response.Json!["data"]!["requests"]!.AsObject();
        Assert.Equal(["2"], failure.Select(p => p.Key));
        Assert.Equal("batch_request_failed", failure["2"].Str("code"));
        Assert.Equal("Batch request failed.", failure["2"].Str("message"));
        var inner = failure["2"]!["response"]!;
        Assert.Equal(400, inner["status"]!.GetValue<int>());
        Assert.Equal("Failed to create record.", inner.Str("message"));
        Assert.Equal("validation_required", inner["data"]!["title"].Str("code"));

        Assert.Equal(1, await CountAsync(server));
        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{existing}");
        Assert.Equal("old", view.Json.Str("title"));
    }

    [Fact]
    public async Task Batch_FailingDelete_RollsBackAndReportsItsStatus()
    {
        await using var server = await StartAsync();
        var response = await BatchAsync(server, """
            [{"method":"POST","url":"/api/collections/posts/records","body":{"title":"first"}},
             {"method":"DELETE","url":"/api/collections/posts/records/aaaaaaaaaaaaaaa"}]
            """);
        response.AssertError(400, "Batch transaction failed.");
        Assert.Equal(404, response.Json!["data"]!["requests"]!["1"]!["response"]!["status"]!.GetValue<int>());
        Assert.Equal(0, await CountAsync(server));
    }

    [Fact]
    public async Task Batch_Upsert_UpdatesExistingAndCreatesMissing()
    {
        await using var server = await StartAsync();
        var existing = (await server.CreateRecordAsync("posts", """{"title":"old"}""")).Str("id");

        var response = await BatchAsync(server, $$$"""
            [{"method":"PUT","url":"/api/collections/posts/records","body":{"id":"{{{existing}}}","title":"updated"}},
             {"method":"PUT","url":"/api/collections/posts/records","body":{"id":"abcdefghij12345","title":"created"}},
             {"method":"PUT","url":"/api/collections/posts/records","body":{"title":"no id"}}]
            """);

        Assert.True(response.Status == 200, response.Text);
        var results = response.Json!.AsArray();
        Assert.Equal(existing, results[0]!["body"].Str("id"));
        Assert.Equal("updated", results[0]!["body"].Str("title"));
        Assert.Equal("abcdefghij12345", results[1]!["body"].Str("id"));
        Assert.Equal("created", results[1]!["body"].Str("title"));
        Assert.Matches("^[a-z0-9]{15}$", results[2]!["body"].Str("id"));
        Assert.Equal(3, await CountAsync(server));
    }

    [Fact]
    public async Task Batch_UpsertCreatingInvalid_ReportsFailedToCreate()
    {
        await using var server = await StartAsync();
        var response = await BatchAsync(server, """[{"method":"PUT","url":"/api/collections/posts/records","body":{"id":"abcdefghij12345"}}]""");
        response.AssertError(400, "Batch transaction failed.");
        Assert.Equal("Failed to create record.", response.Json!["data"]!["requests"]!["0"]!["response"].Str("message"));
    }

    [Fact]
    public async Task Batch_FieldsPerItem_PicksThatItemOnly()
    {
        await using var server = await StartAsync();
        var response = await BatchAsync(server, """
            [{"method":"POST","url":"/api/collections/posts/records?fields=id","body":{"title":"a"}},
             {"method":"POST","url":"/api/collections/posts/records","body":{"title":"b"}}]
            """);
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(["id"], response.Json![0]!["body"]!.AsObject().Select(p => p.Key));
        Assert.Equal("b", response.Json[1]!["body"].Str("title"));
    }

    [Fact]
    public async Task Batch_MultipartJsonPayload_AsTheSdkSendsIt()
    {
        await using var server = await StartAsync();
        using var content = new MultipartFormDataContent
        {
            { new StringContent("""{"requests":[{"method":"POST","url":"/api/collections/posts/records","body":{"title":"sdk"}}]}"""), "@jsonPayload" },
        };
        var response = await server.SendAsync(HttpMethod.Post, "/api/batch", configure: r => r.Content = content);
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal("sdk", response.Json![0]!["body"].Str("title"));
    }

    [Fact]
    public async Task Batch_MoreThanMaxRequests_Is400Invalid()
    {
        await using var server = await StartAsync(o => o with { Batch = o.Batch with { MaxRequests = 2 } });
        var one = """{"method":"POST","url":"/api/collections/posts/records","body":{"title":"a"}}""";
        var response = await BatchAsync(server, $"[{one},{one},{one}]");
        response.AssertError(400, Invalid);
        Assert.NotNull(response.Json!["data"]!["requests"]);
        Assert.Equal(0, await CountAsync(server));
    }

    [Theory]
    [InlineData("""[]""")]
    [InlineData("""[{"method":"FOO","url":"/api/collections/posts/records"}]""")]
    [InlineData("""[{"method":"POST"}]""")]
    [InlineData("""[{"method":"POST","url":""}]""")]
    [InlineData("""[{"url":"/api/collections/posts/records"}]""")]
    [InlineData("""[{"method":"POST","url":"/api/collections/posts/records","body":{"title":"ok"}},{"method":"FOO","url":"/x"}]""")]
    public async Task Batch_BadMethodOrUrl_Is400Invalid(string requests)
    {
        await using var server = await StartAsync();
        var response = await BatchAsync(server, requests);
        response.AssertError(400, Invalid);
        Assert.Equal(0, await CountAsync(server));
    }

    [Fact]
    public async Task Batch_UrlOver2000Characters_Is400Invalid()
    {
        await using var server = await StartAsync();
        var response = await BatchAsync(server, $$$"""[{"method":"POST","url":"/api/collections/posts/records?x={{{new string('a', 2000)}}}","body":{"title":"a"}}]""");
        response.AssertError(400, Invalid);
    }

    [Theory]
    [InlineData("GET", "/api/health")]
    [InlineData("GET", "/api/collections/posts/records")]
    [InlineData("POST", "/api/collections")]
    [InlineData("POST", "/api/batch")]
    [InlineData("PATCH", "/api/collections/posts/records")]
    [InlineData("DELETE", "/api/collections/posts")]
    [InlineData("POST", "/api/collections/nope/records")]
    public async Task Batch_NonRecordUrl_FailsTheWholeBatch(string method, string url)
    {
        await using var server = await StartAsync();
        var response = await BatchAsync(server, $$$"""
            [{"method":"POST","url":"/api/collections/posts/records","body":{"title":"a"}},
             {"method":"{{{method}}}","url":"{{{url}}}","body":{"name":"x","title":"b"}}]
            """);
        response.AssertError(400, "Batch transaction failed.");
        Assert.Equal("batch_request_failed", response.Json!["data"]!["requests"]!["1"].Str("code"));
        Assert.Equal(0, await CountAsync(server));
    }

    [Fact]
    public async Task Batch_LockedCollection_FailsForGuests()
    {
        await using var server = await StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"secrets","fields":[{"name":"title","type":"text"}]}"""));
        var response = await BatchAsync(server, """
            [{"method":"POST","url":"/api/collections/posts/records","body":{"title":"a"}},
             {"method":"POST","url":"/api/collections/secrets/records","body":{"title":"b"}}]
            """);
        response.AssertError(400, "Batch transaction failed.");
        Assert.Equal(403, response.Json!["data"]!["requests"]!["1"]!["response"]!["status"]!.GetValue<int>());
        Assert.Equal(0, await CountAsync(server));
    }

    [Fact]
    public async Task Batch_ItemAuthorizationHeader_IsIgnored()
    {
        await using var server = await StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"secrets","fields":[{"name":"title","type":"text"}]}"""));
        var response = await BatchAsync(server, $$$"""
            [{"method":"POST","url":"/api/collections/secrets/records","headers":{"Authorization":"{{{server.SuperuserToken}}}"},"body":{"title":"b"}}]
            """);
        response.AssertError(400, "Batch transaction failed.");
    }

    [Fact]
    public async Task Batch_Disabled_Is403()
    {
        await using var server = await StartAsync(o => o with { Batch = o.Batch with { Enabled = false } });
        var response = await BatchAsync(server, """[{"method":"POST","url":"/api/collections/posts/records","body":{"title":"a"}}]""");
        response.AssertError(403, "Batch requests are not allowed.");
    }
}
