using System.Diagnostics;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cairn.Observability;

/// <summary>One structured log line per request, and the same facts stored in the logs database.</summary>
internal sealed partial class RequestLogMiddleware(RequestDelegate next, ILogger<RequestLogMiddleware> logger, LogStore logs, TimeProvider clock)
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
            // The query string is left out of the log line: it can carry file tokens.
            LogRequest(logger, request.Method, request.Path.Value ?? "", status, Math.Round(elapsed, 3), CorrelationId.Of(context));
            var auth = RequestAuth.Of(context);
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
                ["authId"] = auth.Record?.Id ?? "",
                ["remoteIP"] = context.Connection.RemoteIpAddress?.ToString() ?? "",
                ["requestId"] = CorrelationId.Of(context),
            };
            if (context.Features.Get<RequestOutcome>() is { } outcome) data["error"] = outcome.Error;
            logs.Add(new LogEntry(status >= 500 ? 8 : status >= 400 ? 4 : 0, $"{request.Method} {request.Path}", data, clock.GetUtcNow()));
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "{Method} {Path} {Status} in {ElapsedMs} ms ({RequestId})")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status, double elapsedMs, string requestId);
}
