using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Tests.Records;

namespace Cairn.Tests.Realtime;

/// <summary>
/// The WebSocket protocol of docs/realtime.md on <c>/api/realtime/ws</c>: connected, ping/pong, auth, subscribe and
/// unsubscribe with the SSE topic syntax, events with the SSE payload, typed error frames, and every close code.
/// </summary>
public sealed class RealtimeWebSocketApiTests
{
    private static JsonObject Msg(string json) => JsonNode.Parse(json)!.AsObject();

    private static string Type(JsonObject message) => message["type"]!.GetValue<string>();

    /// <summary>Signs in with <c>?session=true</c> and returns the <c>cairn_session=…</c> cookie a browser would send.</summary>
    private static async Task<string> SessionCookieAsync(TestServer server, string email)
    {
        var signIn = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password?session=true",
            new JsonObject { ["identity"] = email, ["password"] = "password123" });
        return signIn.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("cairn_session=", StringComparison.Ordinal)).Split(';')[0];
    }

    [Fact]
    public async Task Connect_Greets_WithTheClientIdAndNoAuth()
    {
        await using var server = await TestServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server);

        Assert.Equal(40, ws.ClientId.Length);
        Assert.Null(ws.ConnectedAuth);
    }

    [Fact]
    public async Task PlainHttp_IsRefusedWith400()
    {
        await using var server = await TestServer.StartAsync();
        (await server.SendAsync(HttpMethod.Get, "/api/realtime/ws")).AssertError(400);
    }

    [Fact]
    public async Task ForeignOrigin_IsRefused_ConfiguredOrOwnOriginsAreNot()
    {
        await using var server = await TestServer.StartAsync(o => o with { Realtime = o.Realtime with { AllowedOrigins = ["https://app.example.com"] } });

        var refused = await Assert.ThrowsAsync<WebSocketException>(() =>
            WsClient.ConnectAsync(server, o => o.SetRequestHeader("Origin", "https://evil.example.com")));
        Assert.Contains("403", refused.Message);
        await using var allowed = await WsClient.ConnectAsync(server, o => o.SetRequestHeader("Origin", "https://app.example.com"));
        await using var own = await WsClient.ConnectAsync(server, o => o.SetRequestHeader("Origin", server.Client.BaseAddress!.GetLeftPart(UriPartial.Authority)));
        Assert.NotEqual(allowed.ClientId, own.ClientId);
    }

    [Fact]
    public async Task Ping_IsAnsweredWithPong_EchoingTheId()
    {
        await using var server = await TestServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server);

        Assert.Equal("""{"type":"pong","id":7}""", (await ws.AskAsync(Msg("""{"type":"ping","id":7}"""))).ToJsonString());
    }

    [Theory]
    [InlineData("not json", "bad_message")]
    [InlineData("[1,2]", "bad_message")]
    [InlineData("""{"type":"dance"}""", "unknown_type")]
    [InlineData("""{"type":"subscribe"}""", "invalid_topics")]
    [InlineData("""{"type":"subscribe","topics":[1]}""", "invalid_topics")]
    [InlineData("""{"type":"unsubscribe","topics":"posts/*"}""", "invalid_topics")]
    [InlineData("""{"type":"auth","token":"garbage"}""", "invalid_token")]
    public async Task BadMessages_GetTypedErrorFrames_AndTheConnectionStaysUsable(string message, string code)
    {
        await using var server = await TestServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server);

        await ws.SendTextAsync(message);
        var error = await ws.NextAsync();
        Assert.Equal(("error", code), (Type(error), error["code"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(error["message"]?.GetValue<string>()));
        Assert.Equal("pong", Type(await ws.AskAsync(Msg("""{"type":"ping"}"""))));
    }

    [Fact]
    public async Task TooManySubscriptions_AreRefused()
    {
        await using var server = await TestServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server);
        var topics = new JsonArray(Enumerable.Range(0, 1000).Select(i => (JsonNode)$"posts/{i}").ToArray());

        Assert.Equal("subscribed", Type(await ws.AskAsync(new JsonObject { ["type"] = "subscribe", ["topics"] = topics })));
        var error = await ws.AskAsync(Msg("""{"type":"subscribe","topics":["posts/one-more"]}"""));
        Assert.Equal("too_many_subscriptions", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task SubscribeAndUnsubscribe_EventsCarryTheSsePayload()
    {
        await using var server = await RealtimeKit.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server);
        await using var sse = await SseClient.ConnectAsync(server);
        await sse.SubscribeOkAsync(null, "posts/*");

        var subscribed = await ws.AskAsync(Msg("""{"type":"subscribe","topics":["posts/*"],"id":"s1"}"""));
        Assert.Equal("""{"type":"subscribed","topics":["posts/*"],"id":"s1"}""", subscribed.ToJsonString());
        await server.CreatePostAsync("hello");

        var e = await ws.NextAsync();
        Assert.Equal(("event", "posts/*"), (Type(e), e["topic"]!.GetValue<string>()));
        Assert.Equal((await sse.NextAsync()).Data!.ToJsonString(), e["data"]!.ToJsonString());

        Assert.Equal("unsubscribed", Type(await ws.AskAsync(Msg("""{"type":"unsubscribe","topics":["posts/*"]}"""))));
        await server.CreatePostAsync("unheard");
        Assert.Empty(await ws.DrainAsync());
    }

    [Fact]
    public async Task Auth_ByMessage_AdmitsOwnRecordsOnly_AndNeverSwitchesUser()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        var (b, tokenB) = await server.CreateUserAsync("b@example.com");
        await using var ws = await WsClient.ConnectAsync(server);

        var ok = await ws.AskAsync(new JsonObject { ["type"] = "auth", ["token"] = tokenA });
        Assert.Equal(("authenticated", a.Str("id")), (Type(ok), ok["auth"].Str("id")));
        var mismatch = await ws.AskAsync(new JsonObject { ["type"] = "auth", ["token"] = tokenB });
        Assert.Equal("auth_mismatch", mismatch["code"]!.GetValue<string>());
        Assert.Equal("subscribed", Type(await ws.AskAsync(Msg("""{"type":"subscribe","topics":["notes/*"]}"""))));

        await server.CreateNoteAsync(b.Str("id"), tokenB, "b's");
        await server.CreateNoteAsync(a.Str("id"), tokenA, "a's");

        var e = await ws.NextAsync();
        Assert.Equal("a's", e["data"]!["record"].Str("title"));
        Assert.Empty(await ws.DrainAsync());
    }

    [Fact]
    public async Task Auth_BySessionCookie_OnTheUpgrade()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, _) = await server.CreateUserAsync("a@example.com");
        var cookie = await SessionCookieAsync(server, "a@example.com");

        await using var ws = await WsClient.ConnectAsync(server, o => o.SetRequestHeader("Cookie", cookie));

        Assert.Equal(a.Str("id"), ws.ConnectedAuth.Str("id"));
    }

    [Fact]
    public async Task Close4003_WhenTheCookieSessionIsRevoked()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (_, token) = await server.CreateUserAsync("a@example.com");
        var cookie = await SessionCookieAsync(server, "a@example.com");
        await using var ws = await WsClient.ConnectAsync(server, o => o.SetRequestHeader("Cookie", cookie));
        Assert.NotNull(ws.ConnectedAuth);

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, "/api/collections/users/sessions", token: token)).Status);

        Assert.Equal((WebSocketCloseStatus)4003, await ws.ClosedAsync());
    }

    [Fact]
    public async Task Close4003_WhenThePasswordChanges()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, tokenA) = await server.CreateUserAsync("a@example.com");
        await using var ws = await WsClient.ConnectAsync(server);
        Assert.Equal("authenticated", Type(await ws.AskAsync(new JsonObject { ["type"] = "auth", ["token"] = tokenA })));

        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, $"/api/collections/users/records/{a.Str("id")}",
            new JsonObject { ["password"] = "new-password-1", ["passwordConfirm"] = "new-password-1" })).Status);

        Assert.Equal((WebSocketCloseStatus)4003, await ws.ClosedAsync());
        Assert.Equal("auth revoked", ws.CloseText);
    }

    [Fact]
    public async Task Close4001_WhenTheTokenExpires()
    {
        await using var server = await RealtimeKit.StartAsync();
        var (a, _) = await server.CreateUserAsync("a@example.com");
        var users = server.Service<CollectionRegistry>().Find("users")!;
        var record = await server.Service<RecordService>().Database.ReadAsync(c => server.Service<RecordStore>().FindById(c, null, users, a.Str("id")), TestContext.Current.CancellationToken);
        var shortLived = server.Service<TokenService>().Issue(record!, TokenService.Auth, TimeSpan.FromSeconds(2));
        await using var ws = await WsClient.ConnectAsync(server);
        Assert.Equal("authenticated", Type(await ws.AskAsync(new JsonObject { ["type"] = "auth", ["token"] = shortLived })));

        Assert.Equal((WebSocketCloseStatus)4001, await ws.ClosedAsync());
        Assert.Equal("auth expired", ws.CloseText);
    }

    [Fact]
    public async Task Close1012_WhenTheServerShutsDown()
    {
        var server = await TestServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server);
        try
        {
            var stopping = server.App.StopAsync(TestContext.Current.CancellationToken);
            Assert.Equal((WebSocketCloseStatus)1012, await ws.ClosedAsync());
            Assert.Equal("server shutting down", ws.CloseText);
            await stopping;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Close1009_ForAMessagePastTheLimit()
    {
        await using var server = await TestServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server);

        await ws.SendTextAsync("\"" + new string('x', Cairn.Realtime.RealtimeWebSocketApi.MaxMessageBytes + 10) + "\"");

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await ws.ClosedAsync());
    }
}
