using System.Diagnostics;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Microsoft.AspNetCore.Http;

namespace Cairn.Observability;

/// <summary>
/// One structured log entry per request: queued here, then stored in the logs database and printed as
/// a JSON line by <see cref="LogStore"/>'s background loop, so the request itself only pays for a queue write.
/// </summary>
internal sealed class RequestLogMiddleware(RequestDelegate next, LogStore logs, TimeProvider clock)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var status = context.Response.StatusCode;
            var request = context.Request;
            var auth = RequestAuth.Of(context);
            var settings = logs.Settings;
            var data = new JsonObject
            {
                ["type"] = "request",
                ["execTime"] = Math.Round(elapsed, 3),
                ["url"] = request.Path.Value,
                ["method"] = request.Method,
                ["status"] = status,
                ["referer"] = request.Headers.Referer.ToString(),
                ["userAgent"] = request.Headers.UserAgent.ToString(),
                ["auth"] = auth.Record?.Collection.Name ?? "",
                ["requestId"] = CorrelationId.Of(context),
            };
            // Both are personal data where privacy law says so: settings.logs decides whether they are kept at all.
            if (settings.LogAuthId) data["authId"] = auth.Record?.Id ?? "";
            if (settings.LogIP)
            {
                data["userIP"] = ClientIp.Of(context);
                data["remoteIP"] = context.Connection.RemoteIpAddress?.ToString() ?? "";
            }
            if (context.Features.Get<RequestOutcome>() is { } outcome) data["error"] = outcome.Error;
            // The query string is left out: it can carry file tokens.
            var message = $"{request.Method} {request.Path} {status} in {Math.Round(elapsed, 3)} ms ({CorrelationId.Of(context)})";
            logs.Add(new LogEntry(status >= 500 ? 8 : status >= 400 ? 4 : 0, message, data, clock.GetUtcNow()));
        }
    }
}
