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

    private static async Task Connect(HttpContext context, RealtimeHub hub, TimeProvider clock)
    {
        var client = hub.Connect(ClientIp.Of(context), RealtimeTransport.Sse);
        try
        {
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            var prefix = Encoding.UTF8.GetBytes($"id:{client.Id}\nevent:");
            await WriteAsync(response, prefix, "PB_CONNECT", Encoding.UTF8.GetBytes(new JsonObject { ["clientId"] = client.Id }.ToJsonString()), context.RequestAborted);

            // A client dropped as too slow is usually one whose writes are stuck: the connection is cut rather than waited on.
            using var cut = client.Closed.Register(() => { if (client.CloseReason == RealtimeCloseReason.TooSlow) context.Abort(); });
            var options = hub.Options;
            var closeAt = clock.GetUtcNow() + options.MaxLifetime;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, client.Closed);
            while (!stop.IsCancellationRequested)
            {
                var wait = Min(options.IdleTimeout, closeAt - clock.GetUtcNow());
                if (wait <= TimeSpan.Zero) break; // lifetime over
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                idle.CancelAfter(wait);
                RealtimeMessage message;
                try
                {
                    if (!await client.Outgoing.WaitToReadAsync(idle.Token)) break;
                    if (!client.Outgoing.TryRead(out message!)) continue;
                }
                catch (OperationCanceledException)
                {
                    break; // idle, lifetime over, closed by the server, or the client went away
                }
                await WriteAsync(response, prefix, message.Topic, message.Data, context.RequestAborted);
                // Write what else is queued before flushing once.
                while (client.Outgoing.TryRead(out var next)) await WriteAsync(response, prefix, next.Topic, next.Data, context.RequestAborted, flush: false);
                await response.Body.FlushAsync(context.RequestAborted);
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

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // id:<clientId>\nevent:<topic>\ndata:<json>\n\n. The JSON is written compact, so it holds no line break that would end the data field.
    private static async Task WriteAsync(HttpResponse response, byte[] prefix, string topic, ReadOnlyMemory<byte> data, CancellationToken cancellationToken, bool flush = true)
    {
        var body = response.BodyWriter;
        body.Write(prefix);
        body.Write(Encoding.UTF8.GetBytes(topic.Replace("\n", "").Replace("\r", "")));
        body.Write("\ndata:"u8);
        body.Write(data.Span);
        body.Write("\n\n"u8);
        if (flush) await body.FlushAsync(cancellationToken);
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
