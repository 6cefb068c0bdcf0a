using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Cairn.Caching;
using Cairn.Tests.Records;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Cairn.Tests.Caching;

/// <summary>
/// The record list/view response cache: what is served from it, that one caller's response never reaches another,
/// that a write is seen by the next read on every write path, and that concurrent misses load once.
/// </summary>
public sealed class ResponseCacheTests
{
    private static Task<TestServer> StartAsync(ResponseCacheMode mode) =>
        TestServer.StartAsync(o => o with { Cache = new ResponseCacheOptions { Mode = mode } });

    private static async Task<string> TitlesOf(TestServer server, string url, string? token = null)
    {
        var response = await server.SendAsync(HttpMethod.Get, url, token: token);
        Assert.True(response.Status == 200, response.Text);
        return string.Join(",", response.Titles().Order());
    }

    [Fact]
    public async Task A_public_list_is_served_from_the_cache_until_a_write_to_its_collection()
    {
        await using var server = await StartAsync(ResponseCacheMode.Public);
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        await server.CreatePublicAsync("other", """[{"name":"title","type":"text"}]""");
        await server.CreateRecordAsync("posts", """{"title":"a"}""");
        var cache = server.Service<ResponseCache>();

        Assert.Equal("a", await TitlesOf(server, "/api/collections/posts/records"));
        var queries = server.Service<Cairn.Records.RecordStore>().QueriesRun;
        Assert.Equal("a", await TitlesOf(server, "/api/collections/posts/records"));
        Assert.Equal((1L, 1L), (cache.Misses, cache.Hits));
        Assert.Equal(queries, server.Service<Cairn.Records.RecordStore>().QueriesRun); // the hit read nothing

        await server.CreateRecordAsync("other", """{"title":"x"}"""); // an unrelated collection keeps the entry
        Assert.Equal("a", await TitlesOf(server, "/api/collections/posts/records"));
        Assert.Equal(2L, cache.Hits);

        await server.CreateRecordAsync("posts", """{"title":"b"}""");
        Assert.Equal("a,b", await TitlesOf(server, "/api/collections/posts/records"));
        Assert.Equal(2L, cache.Misses);
    }

    [Fact]
    public async Task One_users_cached_responses_are_never_served_to_another()
    {
        await using var server = await StartAsync(ResponseCacheMode.All);
        await server.CreateUsersAsync();
        var notes = TestCollections.Json("""{"name":"notes","listRule":"owner = @request.auth.id","viewRule":"owner = @request.auth.id","createRule":"owner = @request.auth.id"}""");
        var users = server.Service<Cairn.Collections.CollectionRegistry>().Find("users")!.Id;
        notes["fields"] = JsonNode.Parse($$"""[{"name":"title","type":"text"},{"name":"owner","type":"relation","collectionId":"{{users}}","maxSelect":1}]""");
        await server.CreateCollectionAsync(notes);
        var (a, aToken) = await server.CreateUserAsync("a@example.com");
        var (b, bToken) = await server.CreateUserAsync("b@example.com");
        var aNote = await server.CreateRecordAsync("notes", $$"""{"title":"a's","owner":"{{a.Str("id")}}"}""");
        await server.CreateRecordAsync("notes", $$"""{"title":"b's","owner":"{{b.Str("id")}}"}""");

        for (var round = 0; round < 2; round++) // the second round is served from the cache
        {
            Assert.Equal("a's", await TitlesOf(server, "/api/collections/notes/records", aToken));
            Assert.Equal("b's", await TitlesOf(server, "/api/collections/notes/records", bToken));
            Assert.Equal("", await TitlesOf(server, "/api/collections/notes/records"));
            Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, $"/api/collections/notes/records/{aNote.Str("id")}", token: aToken)).Status);
            Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"/api/collections/notes/records/{aNote.Str("id")}", token: bToken)).Status);
            Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"/api/collections/notes/records/{aNote.Str("id")}")).Status);
        }
        Assert.True(server.Service<ResponseCache>().Hits >= 4);
    }

    [Fact]
    public async Task A_public_list_expands_what_each_caller_may_see_of_the_related_records()
    {
        await using var server = await StartAsync(ResponseCacheMode.Public);
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"users","type":"auth","listRule":"id = @request.auth.id","viewRule":"id = @request.auth.id","createRule":""}"""));
        var users = server.Service<Cairn.Collections.CollectionRegistry>().Find("users")!.Id;
        await server.CreatePublicAsync("posts", $$"""[{"name":"title","type":"text"},{"name":"author","type":"relation","collectionId":"{{users}}","maxSelect":1}]""");
        var (a, aToken) = await server.CreateUserAsync("a@example.com");
        var (_, bToken) = await server.CreateUserAsync("b@example.com");
        await server.CreateRecordAsync("posts", $$"""{"title":"p","author":"{{a.Str("id")}}"}""");

        for (var round = 0; round < 2; round++)
        {
            JsonNode? Expanded(ApiResponse r) => r.Json!["items"]![0]!["expand"]?["author"];
            Assert.NotNull(Expanded(await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?expand=author", token: aToken)));
            Assert.Null(Expanded(await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?expand=author", token: bToken)));
            Assert.Null(Expanded(await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?expand=author")));
        }
        Assert.Equal(3L, server.Service<ResponseCache>().Hits);
    }

    /// <summary>Each way a record can change, followed at once by a read of a response that was cached before it.</summary>
    public static TheoryData<string> WritePaths => ["rest create", "rest update", "rest delete", "batch create", "batch update", "batch delete",
        "cascade delete", "expanded record update", "rule change", "field added", "auth record change"];

    [Theory]
    [MemberData(nameof(WritePaths))]
    public async Task A_write_is_seen_by_the_next_read_on_every_write_path(string path)
    {
        await using var server = await StartAsync(ResponseCacheMode.All);
        await server.CreateCollectionAsync(TestCollections.Json("""
            {"name":"users","type":"auth","listRule":"","viewRule":"","createRule":"","updateRule":"","fields":[{"name":"role","type":"text"}]}
            """));
        var users = server.Service<Cairn.Collections.CollectionRegistry>().Find("users")!.Id;
        var posts = await server.CreatePublicAsync("posts", $$"""
            [{"name":"title","type":"text"},{"name":"author","type":"relation","collectionId":"{{users}}","maxSelect":1,"cascadeDelete":true}]
            """);
        var (user, token) = await server.CreateUserAsync("a@example.com");
        var first = await server.CreateRecordAsync("posts", $$"""{"title":"first","author":"{{user.Str("id")}}"}""");
        var id = first.Str("id");
        var list = "/api/collections/posts/records?expand=author&sort=title";
        string Body(ApiResponse r) => r.Json!.ToJsonString();
        async Task<string> Read(string url, string? as_ = null) => Body(await server.SendAsync(HttpMethod.Get, url, token: as_));
        async Task Ok(HttpMethod method, string url, string? body = null)
        {
            var response = await server.AsSuperuser(method, url, body is null ? null : JsonNode.Parse(body));
            Assert.True(response.Status is 200 or 204, response.Text);
        }
        async Task Batch(string request) => await Ok(HttpMethod.Post, "/api/batch", $$"""{"requests":[{{request}}]}""");

        var before = await Read(list, token);
        var beforeOne = await Read($"/api/collections/posts/records/{id}", token);
        Assert.Equal(before, await Read(list, token)); // cached now
        Assert.True(server.Service<ResponseCache>().Hits >= 1);

        switch (path)
        {
            case "rest create": await Ok(HttpMethod.Post, "/api/collections/posts/records", """{"title":"second"}"""); break;
            case "rest update": await Ok(HttpMethod.Patch, $"/api/collections/posts/records/{id}", """{"title":"renamed"}"""); break;
            case "rest delete": await Ok(HttpMethod.Delete, $"/api/collections/posts/records/{id}"); break;
            case "batch create": await Batch("""{"method":"POST","url":"/api/collections/posts/records","body":{"title":"second"}}"""); break;
            case "batch update": await Batch($$$"""{"method":"PATCH","url":"/api/collections/posts/records/{{{id}}}","body":{"title":"renamed"}}"""); break;
            case "batch delete": await Batch($$"""{"method":"DELETE","url":"/api/collections/posts/records/{{id}}"}"""); break;
            case "cascade delete": await Ok(HttpMethod.Delete, $"/api/collections/users/records/{user.Str("id")}"); break;
            case "expanded record update": await Ok(HttpMethod.Patch, $"/api/collections/users/records/{user.Str("id")}", """{"role":"editor"}"""); break;
            case "rule change": await Ok(HttpMethod.Patch, $"/api/collections/{posts.Str("id")}", """{"listRule":"title = 'nothing'","viewRule":"title = 'nothing'"}"""); break;
            case "field added":
                var fields = posts["fields"]!.DeepClone().AsArray();
                fields.Add(JsonNode.Parse("""{"name":"extra","type":"number"}"""));
                await Ok(HttpMethod.Patch, $"/api/collections/{posts.Str("id")}", new JsonObject { ["fields"] = fields }.ToJsonString());
                break;
            case "auth record change": // the caller's own record: its role is in the expanded author, and could be in a rule
                await Ok(HttpMethod.Patch, $"/api/collections/users/records/{user.Str("id")}", """{"role":"admin"}"""); break;
        }

        Assert.NotEqual(before, await Read(list, token));
        var one = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}?expand=author", token: token);
        Assert.NotEqual(beforeOne, one.Status == 200 ? Body(one) : one.Status.ToString());
    }

    [Fact]
    public async Task Concurrent_misses_of_one_response_load_it_once()
    {
        await using var server = await StartAsync(ResponseCacheMode.Public);
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        for (var i = 0; i < 200; i++) await server.CreateRecordAsync("posts", $$"""{"title":"t{{i}}"}""");
        var cache = server.Service<ResponseCache>();

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?perPage=200")));
        Assert.All(responses, r => Assert.Equal(200, r.Json!["items"]!.AsArray().Count));
        Assert.Equal(1L, cache.Misses);
        Assert.Equal(15L, cache.Hits);
    }

    [Fact]
    public async Task A_read_right_after_each_acknowledged_write_returns_it_while_others_keep_reading()
    {
        await using var server = await StartAsync(ResponseCacheMode.Public);
        await server.CreatePublicAsync("counters", """[{"name":"n","type":"number"}]""");
        var id = (await server.CreateRecordAsync("counters", """{"n":0}""")).Str("id");
        var url = $"/api/collections/counters/records/{id}";
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await server.SendAsync(HttpMethod.Get, url);
        })).ToArray();

        for (var n = 1; n <= 60; n++)
        {
            var written = await server.SendAsync(HttpMethod.Patch, url, JsonNode.Parse($$"""{"n":{{n}}}"""));
            Assert.Equal(200, written.Status);
            Assert.Equal(n, (await server.SendAsync(HttpMethod.Get, url)).Json!["n"]!.GetValue<int>());
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.True(server.Service<ResponseCache>().Hits > 0);
    }

    [Fact]
    public async Task A_cached_view_keeps_its_ETag_and_answers_If_None_Match_with_304()
    {
        await using var server = await StartAsync(ResponseCacheMode.Public);
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var id = (await server.CreateRecordAsync("posts", """{"title":"a"}""")).Str("id");
        var url = $"/api/collections/posts/records/{id}";
        var first = await server.SendAsync(HttpMethod.Get, url);
        var etag = first.Header("ETag");
        Assert.NotNull(etag);
        Assert.Equal(etag, (await server.SendAsync(HttpMethod.Get, url)).Header("ETag"));
        var conditional = await server.SendAsync(HttpMethod.Get, url, configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        Assert.Equal(304, conditional.Status);
        Assert.Equal(2L, server.Service<ResponseCache>().Hits);
    }

    [Fact]
    public async Task Fields_and_query_strings_are_part_of_the_key()
    {
        await using var server = await StartAsync(ResponseCacheMode.Public);
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"},{"name":"body","type":"text"}]""");
        var id = (await server.CreateRecordAsync("posts", """{"title":"a","body":"b"}""")).Str("id");
        var url = $"/api/collections/posts/records/{id}";
        Assert.NotNull((await server.SendAsync(HttpMethod.Get, url)).Json!["body"]);
        var picked = await server.SendAsync(HttpMethod.Get, url + "?fields=title");
        Assert.Equal("""{"title":"a"}""", picked.Json!.ToJsonString());
        Assert.Equal("""{"title":"a"}""", (await server.SendAsync(HttpMethod.Get, url + "?fields=title")).Json!.ToJsonString());
        Assert.Equal(1L, server.Service<ResponseCache>().Hits);
    }

    [Theory]
    [InlineData("created <= @now")]                  // changes with the clock, not with writes
    [InlineData("@request.headers.x_team = 'red'")]  // changes with a header the key does not hold
    public async Task Responses_whose_rule_reads_the_clock_or_headers_are_never_cached(string rule)
    {
        await using var server = await StartAsync(ResponseCacheMode.All);
        await server.CreateCollectionAsync(TestCollections.Json($$"""{"name":"posts","listRule":"{{rule.Replace("'", "\\u0027")}}","fields":[{"name":"title","type":"text"},{"name":"created","type":"autodate","onCreate":true}]}"""));
        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
        var cache = server.Service<ResponseCache>();
        Assert.Equal((0L, 0L), (cache.Misses, cache.Hits));
    }

    [Fact]
    public async Task Off_caches_nothing_and_public_mode_leaves_rule_protected_collections_alone()
    {
        await using (var off = await StartAsync(ResponseCacheMode.Off))
        {
            await off.CreatePublicAsync("posts");
            await off.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
            await off.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
            Assert.Equal((0L, 0L), (off.Service<ResponseCache>().Misses, off.Service<ResponseCache>().Hits));
        }
        await using var server = await StartAsync(ResponseCacheMode.Public);
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"posts","listRule":"title != ''","fields":[{"name":"title","type":"text"}]}"""));
        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
        Assert.Equal(0L, server.Service<ResponseCache>().Misses);
    }

    [Fact]
    public async Task A_response_larger_than_the_entry_limit_is_served_but_not_kept()
    {
        await using var server = await TestServer.StartAsync(o => o with { Cache = new ResponseCacheOptions { Mode = ResponseCacheMode.Public, MaxEntryBytes = 2000 } });
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        for (var i = 0; i < 30; i++) await server.CreateRecordAsync("posts", $$"""{"title":"a title long enough to fill the page {{i}}"}""");
        var cache = server.Service<ResponseCache>();
        for (var i = 0; i < 3; i++)
            Assert.Equal(30, (await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records")).Json!["items"]!.AsArray().Count);
        Assert.Equal(2, (await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?perPage=2")).Json!["items"]!.AsArray().Count);
        Assert.Equal(2, (await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?perPage=2")).Json!["items"]!.AsArray().Count);
        Assert.Equal((4L, 1L), (cache.Misses, cache.Hits));
    }

    [Fact]
    public async Task The_cache_holds_no_more_bytes_than_its_bound()
    {
        await using var server = await TestServer.StartAsync(o => o with { Cache = new ResponseCacheOptions { Mode = ResponseCacheMode.Public, MaxBytes = 3000 } });
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        for (var i = 0; i < 5; i++) await server.CreateRecordAsync("posts", $$"""{"title":"{{new string('x', 1200)}}"}""");
        var ids = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts/records")).Json!["items"]!.AsArray().Select(i => i.Str("id")).ToList();
        var cache = server.Service<ResponseCache>();
        foreach (var id in ids) await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}");
        var missesBefore = cache.Misses;
        foreach (var id in ids) await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{id}");
        // Five views of ~1.4 KB each cannot all be kept in 3,000 bytes: at least three are loaded again.
        Assert.True(cache.Misses - missesBefore >= 3, $"{cache.Misses - missesBefore} misses");
    }

    [Fact]
    public async Task Lookups_are_counted_as_hits_and_misses()
    {
        await using var server = await StartAsync(ResponseCacheMode.Public);
        using var lookups = new MetricCollector<long>(server.Service<IMeterFactory>(), Cairn.Observability.CairnMetrics.MeterName, "cairn.cache.lookups");
        await server.CreatePublicAsync("posts");
        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
        await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records");
        var measured = lookups.GetMeasurementSnapshot();
        Assert.Equal(1L, measured.Where(m => Equals(m.Tags["result"], "miss")).Sum(m => m.Value));
        Assert.Equal(2L, measured.Where(m => Equals(m.Tags["result"], "hit")).Sum(m => m.Value));
    }
}
