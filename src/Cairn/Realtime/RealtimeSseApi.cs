using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Realtime.Connections;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Realtime;

/// <summary>
/// PocketBase's realtime protocol over Server-Sent Events (POCKETBASE_API.md 1.4): <c>GET /api/realtime</c>
/// opens the stream and names the client in <c>PB_CONNECT</c>; <c>POST /api/realtime</c> replaces that client's
/// subscriptions and captures its auth. EventSource cannot send headers, hence the two requests.
/// </summary>
public static class RealtimeSseApi
{
    public static IEndpointRouteBuilder MapRealtimeSseApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/realtime", Connect);
        app.MapPost("/api/realtime", SetSubscriptions);
        return app;
    }

    private static async Task Connect(HttpContext context, RealtimeHub hub)
    {
        if (context.Features.Get<ConnectionHandoff>() is not { } handoff)
        {
            await ErrorResponses.WriteAsync(context, 400, "The realtime stream needs its own HTTP/1.1 connection.");
            return;
        }
        var client = hub.Connect(ClientIp.Of(context), RealtimeTransport.Sse);
        try
        {
            // The head and PB_CONNECT go out through the pipeline, with every header it adds (CORS, request id, security).
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            response.Headers["X-Accel-Buffering"] = "no";
            var stream = new SseStream(handoff, client, hub, chunked: HttpProtocol.IsHttp11(context.Request.Protocol));
            stream.WriteEvent(response.BodyWriter, new RealtimeMessage("PB_CONNECT", Encoding.UTF8.GetBytes(new JsonObject { ["clientId"] = client.Id }.ToJsonString())), chunk: false);
            await response.BodyWriter.FlushAsync(context.RequestAborted);
            handoff.TakeOver(stream);
            client.Attach(stream);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            hub.Remove(client); // the client went away before PB_CONNECT
        }
    }

    /// <summary>One event stream after the handoff: SSE framing (<c>id:</c>, the shared frame, each as one HTTP/1.1 chunk).</summary>
    private sealed class SseStream(ConnectionHandoff handoff, RealtimeClient client, RealtimeHub hub, bool chunked) : RealtimeWriter(handoff)
    {
        // Events are written by delivery (RealtimeClient.Send); this only waits for the client to go away, or for
        // the server to end the stream (which cancels the read).
        public override async Task RunAsync()
        {
            var input = Connection.Transport.Input;
            try
            {
                for (;;)
                {
                    var result = await input.ReadAsync();
                    input.AdvanceTo(result.Buffer.End); // a client has nothing to say on an event stream
                    if (result.IsCompleted || result.IsCanceled) break;
                }
            }
            catch (Exception e) when (e is IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException or InvalidOperationException) { }
            finally
            {
                hub.Remove(client);
            }
        }

        public override void Write(RealtimeMessage message) => WriteEvent(Output, message, chunked);

        // id:<clientId>, then the shared event:<topic>\ndata:<json>\n\n. The JSON is compact, so it holds no line break that would end the data field.
        public void WriteEvent(PipeWriter output, RealtimeMessage message, bool chunk)
        {
            var frame = message.SseFrame;
            var length = 4 + client.Id.Length + frame.Length;
            var span = output.GetSpan(length + 16);
            var at = 0;
            if (chunk)
            {
                length.TryFormat(span, out at, "x");
                "\r\n"u8.CopyTo(span[at..]);
                at += 2;
            }
            "id:"u8.CopyTo(span[at..]);
            at += 3;
            at += Encoding.ASCII.GetBytes(client.Id, span[at..]);
            span[at++] = (byte)'\n';
            frame.CopyTo(span[at..]);
            at += frame.Length;
            if (chunk)
            {
                "\r\n"u8.CopyTo(span[at..]);
                at += 2;
            }
            output.Advance(at);
        }

        public override void WriteClose(RealtimeCloseReason reason)
        {
            if (chunked && reason != RealtimeCloseReason.ClientGone) Output.Write("0\r\n\r\n"u8); // the body's end
        }

        public override void Closed(RealtimeCloseReason reason)
        {
            // A client dropped as too slow is usually one whose writes are stuck: the connection is cut rather than waited on.
            if (reason == RealtimeCloseReason.TooSlow) Abort();
            else if (reason != RealtimeCloseReason.ClientGone) Connection.Transport.Input.CancelPendingRead();
        }
    }

    internal static byte[] Frame(RealtimeMessage message)
    {
        var topic = Encoding.UTF8.GetBytes(message.Topic.Replace("\n", "").Replace("\r", ""));
        var frame = new byte[6 + topic.Length + 6 + message.Data.Length + 2];
        var span = frame.AsSpan();
        "event:"u8.CopyTo(span);
        topic.CopyTo(span[6..]);
        "\ndata:"u8.CopyTo(span[(6 + topic.Length)..]);
        message.Data.Span.CopyTo(span[(12 + topic.Length)..]);
        "\n\n"u8.CopyTo(span[^2..]);
        return frame;
    }

    private static async Task<IResult> SetSubscriptions(HttpContext context, RealtimeHub hub, CollectionRegistry registry)
    {
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var errors = new ValidationErrors();
        var clientId = body["clientId"] is JsonValue id && id.TryGetValue<string>(out var text) ? text : "";
        if (clientId.Length == 0) errors.Add("clientId", "validation_required", "Cannot be blank.");
        else if (clientId.Length > RealtimeOptions.MaxClientIdLength) errors.Add("clientId", "validation_length_out_of_range", $"The length must be between 1 and {RealtimeOptions.MaxClientIdLength}.");
        var topics = new List<string>();
        if (body["subscriptions"] is JsonArray list)
        {
            if (list.Count > RealtimeOptions.MaxSubscriptions)
                errors.Add("subscriptions", "validation_length_too_long", $"The length must be no more than {RealtimeOptions.MaxSubscriptions}.");
            foreach (var item in list)
            {
                if (item is not JsonValue value || !value.TryGetValue<string>(out var topic) || topic.Length > RealtimeOptions.MaxTopicLength)
                {
                    errors.Add("subscriptions", "validation_invalid_value", $"Each subscription must be a string of at most {RealtimeOptions.MaxTopicLength} characters.");
                    break;
                }
                topics.Add(topic);
            }
        }
        else if (body["subscriptions"] is not null)
            errors.Add("subscriptions", "validation_invalid_value", "Must be a list of strings.");
        if (errors.Any) throw ApiException.BadRequest("Failed to load the submitted data due to invalid formatting.", errors.ToJson());

        if (hub.Find(clientId) is not { } client || client.CloseReason is not null) throw ApiException.NotFound("Missing or invalid client id.");
        if (client.Ip != ClientIp.Of(context)) throw ApiException.BadRequest("Invalid realtime client.");

        // Only a guest may become signed in; a client never switches to another identity (POCKETBASE_API.md 1.4).
        var auth = RequestAuth.Of(context);
        if (client.Auth.Record is { } held && (auth.Record is not { } now || now.Id != held.Id || now.Collection.Id != held.Collection.Id))
            throw new ApiException(403, "The current and the previous request authorization don't match.");
        if (auth.Record is { } record && client.Auth.IsGuest)
            client.SetAuth(auth, auth.Token is null ? null : registry.Find(record.Collection.Id)?.TokenSecret("authToken"), null,
                context.Features.Get<Auth.Sessions.CurrentSession>()?.Id);

        client.ReplaceSubscriptions(topics);
        return Results.NoContent();
    }
}
