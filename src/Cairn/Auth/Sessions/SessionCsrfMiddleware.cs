using Cairn.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cairn.Auth.Sessions;

/// <summary>
/// CSRF protection for requests a session cookie authenticated. A browser attaches the cookie to any request
/// it makes to us, including one a foreign page triggers; so an unsafe method (anything but GET, HEAD, OPTIONS,
/// TRACE) must prove it comes from our own page, by either
/// <list type="bullet">
/// <item>an <c>X-CSRF-Token</c> header matching the session's token (compared as hashes in constant time), or</item>
/// <item>an <c>Origin</c> header naming this server's own origin (scheme and host of the request; a browser
/// always sets <c>Origin</c> and <c>Host</c> itself, so a foreign page cannot fake either).</item>
/// </list>
/// Anything else is 403 before the endpoint runs, so nothing is written. Bearer tokens are never sent
/// ambiently and are not checked.
/// </summary>
internal sealed partial class SessionCsrfMiddleware(RequestDelegate next, ILogger<SessionCsrfMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<CurrentSession>() is { } session && IsUnsafe(context.Request.Method) && !HasProof(context.Request, session))
        {
            LogRejected(logger, session.Id, context.Request.Method);
            throw ApiException.Forbidden("The request needs a valid X-CSRF-Token header or a same-origin Origin header.");
        }
        return next(context);
    }

    private static bool IsUnsafe(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));

    private static bool HasProof(HttpRequest request, CurrentSession session)
    {
        var header = request.Headers[SessionCookies.CsrfHeader].ToString();
        if (header.Length is > 0 and <= SessionSecret.MaxLength && SessionSecret.Matches(header, session.CsrfHash)) return true;
        return IsOwnOrigin(request);
    }

    /// <summary>
    /// The request's own host, over http or https: behind a TLS-terminating proxy the page's origin is https
    /// while the request reaches us as http, and a page on our own host is ours whichever scheme served it.
    /// </summary>
    private static bool IsOwnOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || !request.Host.HasValue) return false;
        var host = request.Host.Value;
        return string.Equals(origin, "http://" + host, StringComparison.OrdinalIgnoreCase)
            || string.Equals(origin, "https://" + host, StringComparison.OrdinalIgnoreCase);
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "CSRF check failed for session {SessionId} on {Method}")]
    private static partial void LogRejected(ILogger logger, string sessionId, string method);
}
