using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Realtime;

/// <summary>
/// The acceptance scenario of the realtime issue: 1,000 mixed creates, updates and deletes by two users on an
/// owner-only collection (<c>notes</c>) and a shared one (<c>posts</c>); B, subscribed over SSE and over WebSocket,
/// receives none of A's private notes and every event it is allowed to see.
/// </summary>
public sealed class RealtimeAuthorizationTests
{
    private const int Mutations = 1000;

    [Fact]
    public async Task UserB_HearsNothingOfAsPrivateRecords_OverSseAndWebSocket()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        var (b, tokenB) = await server.CreateUserAsync("b@example.com");
        var idA = a.Str("id");
        var idB = b.Str("id");
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(tokenB, "notes/*", "posts/*");
        await using var ws = await WsClient.ConnectAsync(server);
        Assert.Equal("authenticated", (await ws.AskAsync(new JsonObject { ["type"] = "auth", ["token"] = tokenB }))["type"]!.GetValue<string>());
        Assert.Equal("subscribed", (await ws.AskAsync(JsonNode.Parse("""{"type":"subscribe","topics":["notes/*","posts/*"]}""")!.AsObject()))["type"]!.GetValue<string>());

        // Each mutation is chosen by a seeded random generator; what B may see is counted as it is made.
        var random = new Random(6);
        var notes = new ConcurrentDictionary<string, string>(); // note id → owner id
        var posts = new ConcurrentBag<string>();
        var visibleToB = 0;
        var plan = Enumerable.Range(0, Mutations).Select(_ => (ByA: random.Next(2) == 0, Kind: random.Next(6))).ToList();
        foreach (var round in plan.Chunk(20))
        {
            var results = await Task.WhenAll(round.Select(async step =>
            {
                var (owner, token) = step.ByA ? (idA, tokenA) : (idB, tokenB);
                var own = notes.Where(n => n.Value == owner).Select(n => n.Key).FirstOrDefault();
                switch (step.Kind)
                {
                    case 0 or 1:
                        notes[await server.CreateNoteAsync(owner, token, $"note by {owner}")] = owner;
                        return step.ByA ? 0 : 1;
                    case 2 when own is not null && notes.TryRemove(own, out _):
                        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/notes/records/{own}", token: token)).Status);
                        return step.ByA ? 0 : 1;
                    case 3 when own is not null:
                        var update = await server.SendAsync(HttpMethod.Patch, $"/api/collections/notes/records/{own}", new JsonObject { ["title"] = $"edited by {owner}" }, token);
                        if (update.Status == 404) return 0; // deleted meanwhile by a parallel step of its owner
                        Assert.Equal(200, update.Status);
                        return step.ByA ? 0 : 1;
                    default:
                        posts.Add(await server.CreatePostAsync($"post by {owner}", token));
                        return 1;
                }
            }));
            visibleToB += results.Sum();
        }

        var overSse = new List<JsonNode>();
        while (overSse.Count < visibleToB) overSse.Add((await sse.NextAsync()).Data!);
        var overWs = new List<JsonNode>();
        while (overWs.Count < visibleToB) overWs.Add((await ws.NextAsync())["data"]!);
        Assert.Empty(await sse.DrainAsync(500));
        Assert.Empty(await ws.DrainAsync(0));

        foreach (var e in overSse.Concat(overWs))
        {
            var record = e["record"]!;
            if (record.Str("collectionName") == "notes") Assert.Equal(idB, record.Str("owner"));
        }
        Assert.True(visibleToB > 300, $"only {visibleToB} events were visible to B: the scenario did not exercise enough");
    }

    /// <summary>
    /// More subscribers of one rule than one statement checks (<see cref="Cairn.Realtime.RecordEventDelivery.PartSize"/>):
    /// the group is checked part by part, and every part still gets exactly what its callers may see.
    /// </summary>
    [Fact]
    public async Task A_group_larger_than_one_rule_statement_is_checked_in_parts()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        var (_, tokenB) = await server.CreateUserAsync("b@example.com");
        var subscribe = JsonNode.Parse("""{"type":"subscribe","topics":["notes/*","posts/*"]}""")!.AsObject();
        var clients = new List<(WsClient Socket, bool IsA)>();
        try
        {
            // A and B alternate, so that each part of the group holds both.
            for (var i = 0; i < Cairn.Realtime.RecordEventDelivery.PartSize + 200; i++)
            {
                var socket = await WsClient.ConnectAsync(server);
                clients.Add((socket, i % 2 == 0));
                Assert.Equal("authenticated", (await socket.AskAsync(new JsonObject { ["type"] = "auth", ["token"] = i % 2 == 0 ? tokenA : tokenB }))["type"]!.GetValue<string>());
                Assert.Equal("subscribed", (await socket.AskAsync(subscribe.DeepClone().AsObject()))["type"]!.GetValue<string>());
            }

            await server.CreateNoteAsync(a.Str("id"), tokenA, "private to A");
            await server.CreatePostAsync("for everyone");

            foreach (var (socket, isA) in clients)
            {
                var next = (await socket.NextAsync())["data"]!["record"]!;
                if (isA)
                {
                    Assert.Equal("private to A", next.Str("title"));
                    next = (await socket.NextAsync())["data"]!["record"]!;
                }
                Assert.Equal("for everyone", next.Str("title"));
            }
            foreach (var (socket, _) in clients) Assert.Empty(await socket.DrainAsync(0));
        }
        finally
        {
            foreach (var (socket, _) in clients) await socket.DisposeAsync();
        }
    }
}
