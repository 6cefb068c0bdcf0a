using System.Text.Json.Nodes;
using Cairn.Realtime;
using Cairn.Records;
using Cairn.Tests.Records;

namespace Cairn.Tests.Realtime;

/// <summary>
/// PocketBase's realtime protocol over SSE (POCKETBASE_API.md 1.4): <c>PB_CONNECT</c>, subscription sets replaced by
/// <c>POST /api/realtime</c>, events named by the exact subscription string, options applied per subscriber, and
/// delivery only after commit and only to those the collection's rules admit.
/// </summary>
public sealed class RealtimeSseApiTests
{
    [Fact]
    public async Task Connect_NamesTheClientInTheIdLineAndInPbConnect()
    {
        await using var server = await TestServer.StartAsync();
        await using var sse = await SseClient.ConnectAsync(server);

        Assert.Equal(40, sse.ClientId.Length);
        Assert.True(sse.ClientId.All(char.IsAsciiLetterOrDigit), sse.ClientId);
        Assert.Equal("text/event-stream", sse.ContentType?.MediaType);
        Assert.Equal("no-store", sse.Headers.CacheControl?.ToString());
        Assert.Equal("no", sse.Headers.GetValues("X-Accel-Buffering").Single());
        await using var other = await SseClient.ConnectAsync(server);
        Assert.NotEqual(sse.ClientId, other.ClientId);
    }

    [Fact]
    public async Task Subscribe_ValidatesTheBody_AndKnowsOnlyLiveClients()
    {
        await using var server = await TestServer.StartAsync();
        await using var sse = await SseClient.ConnectAsync(server);

        (await server.SendAsync(HttpMethod.Post, "/api/realtime", new JsonObject { ["subscriptions"] = new JsonArray() }))
            .AssertFieldError("Failed to load the submitted data due to invalid formatting.", "clientId", "validation_required");
        (await server.SendAsync(HttpMethod.Post, "/api/realtime", new JsonObject { ["clientId"] = "nope", ["subscriptions"] = new JsonArray() }))
            .AssertError(404, "Missing or invalid client id.");
        var tooMany = new JsonArray(Enumerable.Range(0, 1001).Select(i => (JsonNode)$"posts/{i}").ToArray());
        (await server.SendAsync(HttpMethod.Post, "/api/realtime", new JsonObject { ["clientId"] = sse.ClientId, ["subscriptions"] = tooMany }))
            .AssertFieldError("Failed to load the submitted data due to invalid formatting.", "subscriptions", "validation_length_too_long");
        (await sse.SubscribeAsync(null, new string('x', 2501))).AssertFieldError("Failed to load the submitted data due to invalid formatting.", "subscriptions", "validation_invalid_value");
        Assert.Equal(204, (await sse.SubscribeAsync(null, "posts/*")).Status);
    }

    [Fact]
    public async Task Events_CreateUpdateDelete_ArriveInOrder_NamedByTheTopic()
    {
        await using var server = await RealtimeKit.StartAsync();
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, "posts/*");

        var id = await server.CreatePostAsync("first");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{id}", new JsonObject { ["title"] = "second" })).Status);
        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/posts/records/{id}")).Status);

        var created = await sse.NextAsync();
        var updated = await sse.NextAsync();
        var deleted = await sse.NextAsync();
        Assert.Equal(("posts/*", "create", "first"), (created.Name, created.Action(), created.Title()));
        Assert.Equal(("posts/*", "update", "second"), (updated.Name, updated.Action(), updated.Title()));
        Assert.Equal(("posts/*", "delete", "second"), (deleted.Name, deleted.Action(), deleted.Title()));
        Assert.Equal(sse.ClientId, created.Id);
        Assert.Equal(id, created.Data!["record"].Str("id"));
        Assert.Equal("posts", created.Data!["record"].Str("collectionName"));
    }

    [Fact]
    public async Task RecordTopic_HearsOnlyThatRecord_AndTheCollectionMayBeNamedById()
    {
        await using var server = await RealtimeKit.StartAsync();
        var postsId = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts")).Json.Str("id");
        var watched = await server.CreatePostAsync("watched");
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, $"{postsId}/{watched}");

        await server.CreatePostAsync("other");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{watched}", new JsonObject { ["title"] = "changed" })).Status);

        var e = await sse.NextAsync();
        Assert.Equal(($"{postsId}/{watched}", "update", "changed"), (e.Name, e.Action(), e.Title()));
        Assert.Empty(await sse.DrainAsync());
    }

    [Fact]
    public async Task Options_AreEchoedCharacterForCharacter_AndFilterFieldsExpandApply()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (author, token) = await server.CreateUserAsync("author@example.com");
        var topic = RealtimeKit.WithOptions("posts/*", new JsonObject { ["filter"] = "title ~ 'keep'", ["fields"] = "title,expand.author.id", ["expand"] = "author" });
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, topic);

        await server.CreatePostAsync("drop me");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records",
            new JsonObject { ["title"] = "keep me", ["author"] = author.Str("id") }, token)).Status);

        var e = await sse.NextAsync();
        Assert.Equal(topic, e.Name);
        Assert.Equal("""{"title":"keep me","expand":{"author":{"id":"AUTHOR"}}}""".Replace("AUTHOR", author.Str("id")), e.Data!["record"]!.ToJsonString());
        Assert.Empty(await sse.DrainAsync());
    }

    [Fact]
    public async Task Filter_ThatReachesRequestData_IsSkippedForNonSuperusers()
    {
        await using var server = await RealtimeKit.StartAsync();
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, RealtimeKit.WithOptions("posts/*", new JsonObject { ["filter"] = "@request.method = 'GET'" }), "posts/*");

        await server.CreatePostAsync("x");

        var e = await sse.NextAsync();
        Assert.Equal("posts/*", e.Name);
        Assert.Empty(await sse.DrainAsync());
    }

    [Fact]
    public async Task RolledBackBatch_IsNeverDelivered()
    {
        await using var server = await RealtimeKit.StartAsync();
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, "posts/*");

        var batch = await server.SendAsync(HttpMethod.Post, "/api/batch", JsonNode.Parse("""
            {"requests":[
              {"method":"POST","url":"/api/collections/posts/records","body":{"title":"rolled back"}},
              {"method":"POST","url":"/api/collections/posts/records","body":{"author":"missing-user"}}]}
            """));
        Assert.Equal(400, batch.Status);
        await server.CreatePostAsync("committed");

        Assert.Equal("committed", (await sse.NextAsync()).Title());
        Assert.Empty(await sse.DrainAsync());
    }

    [Fact]
    public async Task OwnerRule_EachUserHearsOnlyTheirOwnRecords_AndGuestsNothing()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        var (b, tokenB) = await server.CreateUserAsync("b@example.com");
        await using var sseA = await SseClient.ConnectAsync(server);
        await using var sseB = await SseClient.ConnectAsync(server);
        await using var guest = await SseClient.ConnectAsync(server);
        await sseA.SubscribeOkAsync(tokenA, "notes/*");
        await sseB.SubscribeOkAsync(tokenB, "notes/*");
        await guest.SubscribeOkAsync(null, "notes/*");

        await server.CreateNoteAsync(a.Str("id"), tokenA, "a's");
        await server.CreateNoteAsync(b.Str("id"), tokenB, "b's");

        Assert.Equal("a's", (await sseA.NextAsync()).Title());
        Assert.Equal("b's", (await sseB.NextAsync()).Title());
        Assert.Empty(await sseA.DrainAsync());
        Assert.Empty(await sseB.DrainAsync(0));
        Assert.Empty(await guest.DrainAsync(0));
    }

    [Fact]
    public async Task Delete_ReachesThoseWhoCouldSeeTheRecordBeforeIt()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        var (_, tokenB) = await server.CreateUserAsync("b@example.com");
        var note = await server.CreateNoteAsync(a.Str("id"), tokenA, "doomed");
        await using var sseA = await SseClient.ConnectAsync(server);
        await using var sseB = await SseClient.ConnectAsync(server);
        await sseA.SubscribeOkAsync(tokenA, $"notes/{note}");
        await sseB.SubscribeOkAsync(tokenB, $"notes/{note}");

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/notes/records/{note}", token: tokenA)).Status);

        var e = await sseA.NextAsync();
        Assert.Equal(("delete", "doomed"), (e.Action(), e.Title()));
        Assert.Empty(await sseB.DrainAsync());
    }

    [Fact]
    public async Task Auth_GuestMayBecomeSignedIn_ButNeverSomeoneElse()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        var (_, tokenB) = await server.CreateUserAsync("b@example.com");
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, "notes/*");
        await server.CreateNoteAsync(a.Str("id"), tokenA, "unseen");
        Assert.Empty(await sse.DrainAsync());

        await sse.SubscribeOkAsync(tokenA, "notes/*");
        await server.CreateNoteAsync(a.Str("id"), tokenA, "seen");
        Assert.Equal("seen", (await sse.NextAsync()).Title());

        (await sse.SubscribeAsync(tokenB, "notes/*")).AssertError(403, "The current and the previous request authorization don't match.");
        (await sse.SubscribeAsync(null, "notes/*")).AssertError(403, "The current and the previous request authorization don't match.");
    }

    [Fact]
    public async Task PasswordChange_EndsTheConnectionsAuthAtOnce()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(tokenA, "notes/*");
        await server.CreateNoteAsync(a.Str("id"), tokenA, "before");
        Assert.Equal("before", (await sse.NextAsync()).Title());

        var change = await server.AsSuperuser(HttpMethod.Patch, $"/api/collections/users/records/{a.Str("id")}",
            new JsonObject { ["password"] = "new-password-1", ["passwordConfirm"] = "new-password-1" });
        Assert.Equal(200, change.Status);
        var fresh = (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
            new JsonObject { ["identity"] = "a@example.com", ["password"] = "new-password-1" })).Json.Str("token");
        await server.CreateNoteAsync(a.Str("id"), fresh, "after");

        Assert.Empty(await sse.DrainAsync());
    }

    [Fact]
    public async Task AuthRecordEvents_ShowTheEmailOnlyToItsOwner()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        var (_, tokenB) = await server.CreateUserAsync("b@example.com");
        await using var sseA = await SseClient.ConnectAsync(server);
        await using var sseB = await SseClient.ConnectAsync(server);
        await sseA.SubscribeOkAsync(tokenA, "users/*");
        await sseB.SubscribeOkAsync(tokenB, "users/*");

        Assert.Equal(200, (await server.SendAsync(HttpMethod.Patch, $"/api/collections/users/records/{a.Str("id")}", new JsonObject { ["name"] = "Ann" }, tokenA)).Status);

        Assert.Equal("a@example.com", (await sseA.NextAsync()).Data!["record"].Str("email"));
        var seenByB = (await sseB.NextAsync()).Data!["record"]!.AsObject();
        Assert.False(seenByB.ContainsKey("email"), seenByB.ToJsonString());
        Assert.False(seenByB.ContainsKey("password") || seenByB.ContainsKey("tokenKey"), seenByB.ToJsonString());
    }

    [Fact]
    public async Task CustomTopic_ReceivesWhatServerCodePublishes()
    {
        await using var server = await RealtimeKit.StartAsync();
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, "news");

        server.Service<RealtimeHub>().Publish("news", new JsonObject { ["headline"] = "hello" });
        server.Service<RealtimeHub>().Publish("other", new JsonObject { ["headline"] = "not for you" });

        var e = await sse.NextAsync();
        Assert.Equal(("news", """{"headline":"hello"}"""), (e.Name, e.Data!.ToJsonString()));
        Assert.Empty(await sse.DrainAsync());
    }

    [Fact]
    public async Task RuleChecks_CostTheSameForThirtySubscribersAsForOne()
    {
        await using var server = await RealtimeKit.StartAsync(notesRule: "@request.auth.id != '' && (shared = true || owner = @request.auth.id)");
        var (owner, ownerToken) = await server.CreateUserAsync("owner@example.com");
        var store = server.Service<RecordStore>();

        async Task<long> QueriesForOneEventAsync(IReadOnlyList<SseClient> subscribers)
        {
            var before = store.QueriesRun;
            await server.CreateNoteAsync(owner.Str("id"), ownerToken, "shared", shared: true);
            foreach (var s in subscribers) Assert.Equal("shared", (await s.NextAsync()).Title());
            return store.QueriesRun - before;
        }

        var subscribers = new List<SseClient>();
        try
        {
            for (var i = 0; i < 30; i++)
            {
                var (_, token) = await server.CreateUserAsync($"u{i}@example.com");
                var sse = await SseClient.ConnectAsync(server);
                await sse.SubscribeOkAsync(token, "notes/*");
                subscribers.Add(sse);
            }
            var forThirty = await QueriesForOneEventAsync(subscribers);
            foreach (var s in subscribers.Skip(1)) await s.DisposeAsync();
            var forOne = await QueriesForOneEventAsync(subscribers.Take(1).ToList());

            Assert.Equal(forOne, forThirty);
        }
        finally
        {
            foreach (var s in subscribers) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task IdleConnection_IsClosedByTheServer()
    {
        await using var server = await TestServer.StartAsync(o => o with { Realtime = o.Realtime with { IdleTimeout = TimeSpan.FromMilliseconds(300) } });
        await using var sse = await SseClient.ConnectAsync(server);

        await sse.Stream.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(sse.Ended);
        Assert.Equal(0, server.Service<RealtimeHub>().Count);
    }
}
