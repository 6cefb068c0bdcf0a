using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Realtime;

/// <summary>
/// Realtime over one WebSocket (<c>/api/realtime/ws</c>, beyond PocketBase): the same topics, options and event
/// payloads as SSE, with auth, subscribe and unsubscribe as messages on the socket itself. The protocol,
/// its error codes and close codes are documented in docs/realtime.md.
/// </summary>
public static class RealtimeWebSocketApi
{
    public const string Path = "/api/realtime/ws";

    /// <summary>The close codes of docs/realtime.md (4000–4999 are the application's own range).</summary>
    public static WebSocketCloseStatus CloseCode(RealtimeCloseReason reason) => reason switch
    {
        RealtimeCloseReason.AuthExpired => (WebSocketCloseStatus)4001,
        RealtimeCloseReason.AuthRevoked => (WebSocketCloseStatus)4003,
        RealtimeCloseReason.TooSlow => (WebSocketCloseStatus)4008,
        RealtimeCloseReason.ServerShutdown => (WebSocketCloseStatus)1012, // "service restart": reconnect
        _ => WebSocketCloseStatus.NormalClosure,
    };

    public static string CloseText(RealtimeCloseReason reason) => reason switch
    {
        RealtimeCloseReason.AuthExpired => "auth expired",
        RealtimeCloseReason.AuthRevoked => "auth revoked",
        RealtimeCloseReason.TooSlow => "too slow",
        RealtimeCloseReason.ServerShutdown => "server shutting down",
        _ => "closed",
    };

    /// <summary>The largest message a client may send; a subscribe with 1000 long topics fits.</summary>
    public const int MaxMessageBytes = 1 << 20;

    public static IEndpointRouteBuilder MapRealtimeWebSocketApi(this IEndpointRouteBuilder app)
    {
        app.Map(Path, Connect);
        return app;
    }

    private static async Task Connect(HttpContext context, RealtimeHub hub, CollectionRegistry registry, TokenService tokens, CairnOptions options, Settings.LiveSettings settings)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await ErrorResponses.WriteAsync(context, 400, "This endpoint speaks WebSocket only (see docs/realtime.md).");
            return;
        }
        // A browser sends its cookies with the upgrade whatever page opened it: only allowed origins may use them.
        if (!OriginAllowed(context, options, settings.Current.Meta.AppUrl))
        {
            await ErrorResponses.WriteAsync(context, 403, "The request origin is not allowed.");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = hub.Options.WebSocketKeepAlive,
            KeepAliveTimeout = hub.Options.WebSocketKeepAlive,
        });
        var client = hub.Connect(ClientIp.Of(context), RealtimeTransport.WebSocket);
        var session = new Session(socket, client, registry, tokens);
        // A client that stopped reading may never take the close frame: after a grace period the socket is cut.
        client.OnClosed = reason => { if (reason == RealtimeCloseReason.TooSlow) _ = AbortUnlessClosedAsync(socket); };
        try
        {
            // The upgrade request may already carry auth: a session cookie, or a header from a non-browser client.
            if (RequestAuth.Of(context) is { Record: { } record } auth)
                client.SetAuth(auth, auth.Token is null ? null : registry.Find(record.Collection.Id)?.TokenSecret("authToken"), TokenExpiry(auth.Token),
                    context.Features.Get<Auth.Sessions.CurrentSession>()?.Id);
            await session.SendAsync(new JsonObject { ["type"] = "connected", ["clientId"] = client.Id, ["auth"] = AuthJson(client.Auth) });
            var sending = session.PumpAsync(context.RequestAborted);
            var receiving = session.ReceiveAsync(context.RequestAborted);
            if (await Task.WhenAny(sending, receiving) == receiving)
            {
                client.Close(RealtimeCloseReason.ClientGone);
                await sending;
            }
            else if (await Task.WhenAny(receiving, Task.Delay(TimeSpan.FromSeconds(5))) != receiving)
                socket.Abort(); // the server closed and the client never answered the close frame
            await receiving;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException) { }
        finally
        {
            client.Close(RealtimeCloseReason.ClientGone);
            hub.Remove(client);
        }
    }

    private static async Task AbortUnlessClosedAsync(WebSocket socket)
    {
        await Task.Delay(TimeSpan.FromSeconds(10));
        if (socket.State != WebSocketState.Closed) socket.Abort();
    }

    private static bool OriginAllowed(HttpContext context, CairnOptions options, string appUrl)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0) return true; // not a browser
        var allowed = options.Realtime.AllowedOrigins;
        if (allowed.Contains("*")) return true;
        var own = $"{context.Request.Scheme}://{context.Request.Host}";
        return Same(origin, own) || Same(origin, appUrl) || allowed.Any(a => Same(origin, a));
    }

    private static bool Same(string origin, string url) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var a) && Uri.TryCreate(url, UriKind.Absolute, out var b)
        && a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static DateTimeOffset? TokenExpiry(string? token)
    {
        if (token is null) return null;
        try
        {
            var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);
            return jwt.TryGetPayloadValue<long>("exp", out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static JsonNode? AuthJson(RequestAuth auth) => auth.Record is { } r
        ? new JsonObject { ["id"] = r.Id, ["collectionId"] = r.Collection.Id, ["collectionName"] = r.Collection.Name }
        : null;

    // {"type":"event","topic":"posts/*","data":{…}}: the payload bytes are copied in as they are.
    internal static byte[] Frame(RealtimeMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(message.Data.Length + message.Topic.Length + 48);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "event");
            writer.WriteString("topic", message.Topic);
            writer.WritePropertyName("data");
            writer.WriteRawValue(message.Data.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One socket: a receive loop for the client's messages and a send loop for its queue.</summary>
    private sealed class Session(WebSocket socket, RealtimeClient client, CollectionRegistry registry, TokenService tokens)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public async Task SendAsync(JsonObject message, CancellationToken cancellationToken = default) =>
            await SendRawAsync(Encoding.UTF8.GetBytes(message.ToJsonString(CairnJson.Options)), cancellationToken);

        private async Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            await _sendLock.WaitAsync(cancellationToken);
            try { await socket.SendAsync(bytes, WebSocketMessageType.Text, true, cancellationToken); }
            finally { _sendLock.Release(); }
        }

        /// <summary>Writes queued events until the connection ends, then closes the socket with the reason's code.</summary>
        public async Task PumpAsync(CancellationToken aborted)
        {
            try
            {
                // The queue completes when the connection is ended (by the client, or by the server with a reason).
                while (await client.Outgoing.WaitToReadAsync(aborted) && client.CloseReason is null)
                    while (client.CloseReason is null && client.Outgoing.TryRead(out var message)) await SendRawAsync(message.WebSocketFrame, aborted);
            }
            catch (OperationCanceledException) { }
            catch (WebSocketException) { return; }

            if (client.CloseReason is { } reason && reason != RealtimeCloseReason.ClientGone && socket.State == WebSocketState.Open)
            {
                // Sent even with events still queued: a client closed for being too slow does not get the rest.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await socket.CloseOutputAsync(CloseCode(reason), CloseText(reason), timeout.Token); }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
            }
        }

        /// <summary>Reads client messages until the client closes or the connection ends.</summary>
        public async Task ReceiveAsync(CancellationToken aborted)
        {
            // Not cancelled when the server closes: cancelling a receive aborts the socket, and the close frame
            // with its reason must still go out and be answered.
            var stop = aborted;
            // Small: clients send only short control messages, and an idle connection keeps this buffer for its lifetime.
            var buffer = new byte[512];
            var message = new MemoryStream();
            while (socket.State == WebSocketState.Open)
            {
                ValueWebSocketReceiveResult result;
                try { result = await socket.ReceiveAsync(buffer.AsMemory(), stop); }
                catch (Exception e) when (e is OperationCanceledException or WebSocketException) { return; }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }
                if (client.CloseReason is not null) continue; // closing: what the client still sends is dropped
                message.Write(buffer, 0, result.Count);
                if (message.Length > MaxMessageBytes)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", CancellationToken.None);
                    return;
                }
                if (!result.EndOfMessage) continue;
                var reply = result.MessageType == WebSocketMessageType.Text
                    ? await HandleAsync(message.GetBuffer().AsMemory(0, (int)message.Length), stop)
                    : Error("bad_message", "Messages are JSON text frames.", null);
                message.SetLength(0);
                if (reply is not null) await SendAsync(reply, stop);
            }
        }

        private async Task<JsonObject?> HandleAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            JsonObject request;
            try
            {
                request = JsonNode.Parse(bytes.Span) as JsonObject ?? throw new JsonException();
            }
            catch (JsonException)
            {
                return Error("bad_message", "A message must be a JSON object with a \"type\".", null);
            }
            var requestId = request["id"]?.DeepClone();
            var type = request["type"] is JsonValue t && t.TryGetValue<string>(out var text) ? text : "";
            return type switch
            {
                "ping" => WithId(new JsonObject { ["type"] = "pong" }, requestId),
                "auth" => await AuthenticateAsync(request, requestId, cancellationToken),
                "subscribe" => Subscribe(request, requestId),
                "unsubscribe" => Unsubscribe(request, requestId),
                _ => Error("unknown_type", "The type must be one of ping, auth, subscribe, unsubscribe.", requestId),
            };
        }

        private async Task<JsonObject> AuthenticateAsync(JsonObject request, JsonNode? requestId, CancellationToken cancellationToken)
        {
            var token = request["token"] is JsonValue v && v.TryGetValue<string>(out var text) ? text.Trim() : "";
            if (token.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = token[7..].Trim();
            if (await tokens.ValidateAsync(token, TokenService.Auth, cancellationToken) is not var (record, jwt))
                return Error("invalid_token", "The token is missing, invalid or expired.", requestId);
            if (client.Auth.Record is { } held && (held.Id != record.Id || held.Collection.Id != record.Collection.Id))
                return Error("auth_mismatch", "This connection is signed in as someone else; open a new connection to switch users.", requestId);
            var auth = new RequestAuth(record, token, TokenService.IsRefreshable(jwt));
            // A fresh token of the same user (after a refresh) extends the connection's auth.
            client.SetAuth(auth, registry.Find(record.Collection.Id)?.TokenSecret("authToken"), TokenExpiry(token));
            return WithId(new JsonObject { ["type"] = "authenticated", ["auth"] = AuthJson(auth) }, requestId);
        }

        private JsonObject Subscribe(JsonObject request, JsonNode? requestId)
        {
            if (Topics(request, out var error) is not { Count: > 0 } topics) return Error("invalid_topics", error ?? "\"topics\" must list at least one topic.", requestId);
            if (!client.AddSubscriptions(topics))
                return Error("too_many_subscriptions", $"A connection holds at most {RealtimeOptions.MaxSubscriptions} subscriptions.", requestId);
            return WithId(new JsonObject { ["type"] = "subscribed", ["topics"] = new JsonArray(topics.Select(t => (JsonNode)t).ToArray()) }, requestId);
        }

        private JsonObject Unsubscribe(JsonObject request, JsonNode? requestId)
        {
            string? error = null;
            var topics = request.ContainsKey("topics") ? Topics(request, out error) : [];
            if (topics is null) return Error("invalid_topics", error!, requestId);
            client.RemoveSubscriptions(topics);
            return WithId(new JsonObject { ["type"] = "unsubscribed", ["topics"] = new JsonArray(topics.Select(t => (JsonNode)t).ToArray()) }, requestId);
        }

        private static List<string>? Topics(JsonObject request, out string? error)
        {
            error = null;
            if (request["topics"] is not JsonArray list)
            {
                error = "\"topics\" must be a list of strings.";
                return null;
            }
            var topics = new List<string>();
            foreach (var item in list)
            {
                if (item is not JsonValue value || !value.TryGetValue<string>(out var topic) || topic.Length == 0 || topic.Length > RealtimeOptions.MaxTopicLength)
                {
                    error = $"Each topic must be a non-empty string of at most {RealtimeOptions.MaxTopicLength} characters.";
                    return null;
                }
                topics.Add(topic);
            }
            if (topics.Count > RealtimeOptions.MaxSubscriptions)
            {
                error = $"A connection holds at most {RealtimeOptions.MaxSubscriptions} subscriptions.";
                return null;
            }
            return topics;
        }

        private static JsonObject Error(string code, string message, JsonNode? requestId) =>
            WithId(new JsonObject { ["type"] = "error", ["code"] = code, ["message"] = message }, requestId);

        private static JsonObject WithId(JsonObject reply, JsonNode? requestId)
        {
            if (requestId is not null) reply["id"] = requestId;
            return reply;
        }
    }
}
