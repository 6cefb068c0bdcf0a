using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
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
        var client = hub.Connect(ClientIp.Of(context), RealtimeTransport.Sse);
        // A client dropped as too slow is usually one whose writes are stuck: the connection is cut rather than waited on.
        client.OnClosed = reason => { if (reason == RealtimeCloseReason.TooSlow) context.Abort(); };
        try
        {
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            var id = Encoding.UTF8.GetBytes($"id:{client.Id}\n");
            await WriteAsync(response, id, new RealtimeMessage("PB_CONNECT", Encoding.UTF8.GetBytes(new JsonObject { ["clientId"] = client.Id }.ToJsonString())), context.RequestAborted);
            // The queue completes when the server ends the connection (idle, lifetime, too slow, shutdown); the
            // request's own token ends it when the client goes away.
            while (await client.Outgoing.WaitToReadAsync(context.RequestAborted) && client.CloseReason is null)
            {
                // Write what else is queued before flushing once.
                while (client.CloseReason is null && client.Outgoing.TryRead(out var message)) await WriteAsync(response, id, message, context.RequestAborted, flush: false);
                await response.BodyWriter.FlushAsync(context.RequestAborted);
                client.Sent();
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { }
        catch (IOException) { } // the client went away mid-write
        finally
        {
            client.Close(RealtimeCloseReason.ClientGone);
            hub.Remove(client);
        }
    }

    // id:<clientId>, then the shared event:<topic>\ndata:<json>\n\n. The JSON is compact, so it holds no line break that would end the data field.
    private static async Task WriteAsync(HttpResponse response, byte[] id, RealtimeMessage message, CancellationToken cancellationToken, bool flush = true)
    {
        response.BodyWriter.Write(id);
        response.BodyWriter.Write(message.SseFrame);
        if (flush) await response.BodyWriter.FlushAsync(cancellationToken);
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
