using Microsoft.AspNetCore.Http;

namespace Cairn.Observability;

/// <summary>
/// One id per request, taken from <c>X-Request-Id</c> when the caller (or a proxy) sends a sane one,
/// else generated; echoed in the response and attached to every log line of the request.
/// </summary>
internal sealed class CorrelationId(RequestDelegate next)
{
    public const string Header = "X-Request-Id";

    public static string Of(HttpContext context) => context.TraceIdentifier;

    public Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header].ToString();
        context.TraceIdentifier = IsSafe(incoming) ? incoming : Guid.NewGuid().ToString("N");
        context.Response.Headers[Header] = context.TraceIdentifier;
        return next(context);
    }

    // Ids end up in logs and headers: accept only short ids of plain characters.
    private static bool IsSafe(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
