using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Cairn.Realtime.Connections;
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
        RealtimeCloseReason.ProtocolError => WebSocketCloseStatus.ProtocolError,
        RealtimeCloseReason.MessageTooBig => WebSocketCloseStatus.MessageTooBig,
        RealtimeCloseReason.InvalidPayload => WebSocketCloseStatus.InvalidPayloadData,
        _ => WebSocketCloseStatus.NormalClosure,
    };

    public static string CloseText(RealtimeCloseReason reason) => reason switch
    {
        RealtimeCloseReason.AuthExpired => "auth expired",
        RealtimeCloseReason.AuthRevoked => "auth revoked",
        RealtimeCloseReason.TooSlow => "too slow",
        RealtimeCloseReason.ServerShutdown => "server shutting down",
        RealtimeCloseReason.ProtocolError => "protocol error",
        RealtimeCloseReason.MessageTooBig => "message too big",
        RealtimeCloseReason.InvalidPayload => "invalid UTF-8",
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
        if (!context.WebSockets.IsWebSocketRequest || context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } upgrade)
        {
            await ErrorResponses.WriteAsync(context, 400, "This endpoint speaks WebSocket only (see docs/realtime.md).");
            return;
        }
        if (context.Features.Get<ConnectionHandoff>() is not { } handoff)
        {
            await ErrorResponses.WriteAsync(context, 400, "A WebSocket needs its own HTTP/1.1 connection.");
            return;
        }
        // A browser sends its cookies with the upgrade whatever page opened it: only allowed origins may use them.
        if (!OriginAllowed(context, options, settings.Current.Meta.AppUrl))
        {
            await ErrorResponses.WriteAsync(context, 403, "The request origin is not allowed.");
            return;
        }

        // The 101 goes out through the pipeline; the stream Kestrel would hand back is not used: the connection is
        // taken over (ConnectionHandoff) and its frames are read straight off the socket's pipe (WebSocketFrames).
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = WebSocketFrames.AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        try
        {
            await upgrade.UpgradeAsync();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return;
        }
        var client = hub.Connect(ClientIp.Of(context), RealtimeTransport.WebSocket);
        // The upgrade request may already carry auth: a session cookie, or a header from a non-browser client.
        if (RequestAuth.Of(context) is { Record: { } record } auth)
            client.SetAuth(auth, auth.Token is null ? null : registry.Find(record.Collection.Id)?.TokenSecret("authToken"), TokenExpiry(auth.Token),
                context.Features.Get<Auth.Sessions.CurrentSession>()?.Id);
        var session = new Session(handoff, client, hub, registry, tokens);
        handoff.TakeOver(session);
        client.Attach(session);
        session.Reply(new JsonObject { ["type"] = "connected", ["clientId"] = client.Id, ["auth"] = AuthJson(client.Auth) });
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

    /// <summary>
    /// One connection after the handshake: reads the client's frames off the socket and answers its messages, and
    /// frames what delivery writes. A server-side close waits for the client's answer, then cuts.
    /// </summary>
    private sealed class Session(ConnectionHandoff handoff, RealtimeClient client, RealtimeHub hub, CollectionRegistry registry, TokenService tokens)
        : RealtimeWriter(handoff)
    {
        private ArrayBufferWriter<byte>? _message; // a message being assembled from its frames
        private bool _binary;
        private bool _discard; // after a framing error nothing more the client sends can be parsed
        private volatile bool _ended;

        public override void Write(RealtimeMessage message) => WebSocketFrames.Write(Output, message.WebSocketOpcode, message.WebSocketPayload);

        public override void WriteClose(RealtimeCloseReason reason) => WebSocketFrames.WriteClose(Output, (ushort)CloseCode(reason), CloseText(reason));

        public override void Closed(RealtimeCloseReason reason)
        {
            if (reason == RealtimeCloseReason.ClientGone) return;
            // The client answers the close frame and goes; one that does not (or cannot read: too slow) is cut.
            _ = AbortLaterAsync(reason == RealtimeCloseReason.TooSlow ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(5));
        }

        private async Task AbortLaterAsync(TimeSpan grace)
        {
            await Task.Delay(grace);
            if (!_ended) Abort();
        }

        public void Reply(JsonObject message) => client.Send(RealtimeMessage.Reply(Encoding.UTF8.GetBytes(message.ToJsonString(CairnJson.Options))));

        /// <summary>Reads frames until the client closes or goes away; an idle connection waits here and nowhere else.</summary>
        public override async Task RunAsync()
        {
            var input = Connection.Transport.Input;
            try
            {
                // What an idle connection keeps is this loop's frame alone: the parsing state lives in ReadFramesAsync.
                while (await ReadFramesAsync(input, await input.ReadAsync())) { }
            }
            catch (Exception e) when (e is IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException or InvalidOperationException) { }
            finally
            {
                _ended = true;
                hub.Remove(client); // its goodbye answers a client's close frame, if the server had said nothing yet
            }
        }

        // The frames of one read; false once the client closed or went away.
        private async ValueTask<bool> ReadFramesAsync(PipeReader input, ReadResult result)
        {
            var buffer = result.Buffer;
            var end = result.IsCompleted || result.IsCanceled;
            while (!end && !_discard)
            {
                if (!WebSocketFrames.TryRead(ref buffer, MaxMessageBytes, out var frame, out var code))
                {
                    if (code == 0) break;
                    _discard = true;
                    client.Close(code == WebSocketFrames.MessageTooBig ? RealtimeCloseReason.MessageTooBig : RealtimeCloseReason.ProtocolError);
                    break;
                }
                client.Received();
                if (frame.Opcode == WebSocketOpcode.Close) end = true;
                // Once the server has closed, only the client's close frame matters.
                else if (client.CloseReason is null && await OnFrameAsync(frame) is { } error)
                {
                    _discard = true;
                    client.Close(error);
                }
            }
            input.AdvanceTo(_discard ? buffer.End : buffer.Start, buffer.End);
            return !end;
        }

        // A data or control frame (not close); the close reason when it breaks the protocol.
        private async ValueTask<RealtimeCloseReason?> OnFrameAsync(WebSocketFrame frame)
        {
            switch (frame.Opcode)
            {
                case WebSocketOpcode.Ping:
                    client.Send(RealtimeMessage.Pong(frame.Payload.ToArray()));
                    return null;
                case WebSocketOpcode.Pong:
                    return null;
                case WebSocketOpcode.Continuation when _message is null:
                case WebSocketOpcode.Text or WebSocketOpcode.Binary when _message is not null:
                    return RealtimeCloseReason.ProtocolError;
            }
            if (_message is null)
            {
                _binary = frame.Opcode == WebSocketOpcode.Binary;
                _message = new ArrayBufferWriter<byte>((int)Math.Min(frame.Payload.Length, 4096) + 1);
            }
            if (_message.WrittenCount + frame.Payload.Length > MaxMessageBytes) return RealtimeCloseReason.MessageTooBig;
            foreach (var segment in frame.Payload) _message.Write(segment.Span);
            if (!frame.Fin) return null;
            var bytes = _message.WrittenMemory;
            _message = null;
            if (_binary) Reply(Error("bad_message", "Messages are JSON text frames.", null));
            else if (!System.Text.Unicode.Utf8.IsValid(bytes.Span)) return RealtimeCloseReason.InvalidPayload;
            else if (await HandleAsync(bytes) is { } reply) Reply(reply);
            return null;
        }

        private async Task<JsonObject?> HandleAsync(ReadOnlyMemory<byte> bytes)
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
                "auth" => await AuthenticateAsync(request, requestId),
                "subscribe" => Subscribe(request, requestId),
                "unsubscribe" => Unsubscribe(request, requestId),
                _ => Error("unknown_type", "The type must be one of ping, auth, subscribe, unsubscribe.", requestId),
            };
        }

        private async Task<JsonObject> AuthenticateAsync(JsonObject request, JsonNode? requestId)
        {
            var token = request["token"] is JsonValue v && v.TryGetValue<string>(out var text) ? text.Trim() : "";
            if (token.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = token[7..].Trim();
            if (await tokens.ValidateAsync(token, TokenService.Auth, CancellationToken.None) is not var (record, jwt))
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
