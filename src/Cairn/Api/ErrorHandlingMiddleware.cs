using Cairn.Observability;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cairn.Api;

/// <summary>
/// Maps exceptions to the error shape. An <see cref="ApiException"/> is the client's fault and says so;
/// anything else is logged with the correlation id and answered with a generic 500 that carries the
/// same id, so nothing internal (stack traces, SQL) ever reaches the client.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (the SDK auto-cancels duplicate requests): not a server fault.
            context.Features.Set(new RequestOutcome("client closed the request"));
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            context.Features.Set(new RequestOutcome(e.Message));
            await ErrorResponses.WriteAsync(context, e);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            context.Features.Set(new RequestOutcome(e.Message));
            await ErrorResponses.WriteAsync(context, e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var id = CorrelationId.Of(context);
            LogUnhandled(logger, e, id);
            context.Features.Set(new RequestOutcome("internal error"));
            await ErrorResponses.WriteAsync(context, 500, $"Something went wrong while processing your request (request id {id})",
                new() { ["requestId"] = id });
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled error in request {RequestId}")]
    private static partial void LogUnhandled(ILogger logger, Exception error, string requestId);
}

/// <summary>Why a request failed, for the request log.</summary>
public sealed record RequestOutcome(string Error);
