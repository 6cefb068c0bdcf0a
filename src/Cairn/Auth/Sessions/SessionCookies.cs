using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Cairn.Auth.Sessions;

/// <summary>
/// The two cookies of a session. <c>cairn_session</c> carries the session id and is <c>HttpOnly</c>, so page
/// scripts (and XSS) never see it; <c>cairn_csrf</c> is readable by the page's own scripts, which echo it in the
/// <c>X-CSRF-Token</c> header (double submit, bound to the session because only its hash is stored with it).
/// Both are <c>SameSite=Lax</c> (no cookie on cross-site POSTs or subresource requests) and <c>Path=/</c>.
/// The Set-Cookie lines are written by hand so the attributes appear exactly as documented.
/// </summary>
internal static class SessionCookies
{
    public const string Session = "cairn_session", Csrf = "cairn_csrf", CsrfHeader = "X-CSRF-Token";

    public static void Set(HttpResponse response, string session, string csrf, DateTimeOffset expires, DateTimeOffset now, bool secure)
    {
        var maxAge = Math.Max(0, (long)(expires - now).TotalSeconds);
        response.Headers.Append("Set-Cookie", Line(Session, session, expires, maxAge, secure, httpOnly: true));
        response.Headers.Append("Set-Cookie", Line(Csrf, csrf, expires, maxAge, secure, httpOnly: false));
    }

    /// <summary>Tells the browser to drop both cookies (an expiry in the past and <c>Max-Age=0</c>).</summary>
    public static void Clear(HttpResponse response, bool secure)
    {
        response.Headers.Append("Set-Cookie", Line(Session, "", DateTimeOffset.UnixEpoch, 0, secure, httpOnly: true));
        response.Headers.Append("Set-Cookie", Line(Csrf, "", DateTimeOffset.UnixEpoch, 0, secure, httpOnly: false));
    }

    private static string Line(string name, string value, DateTimeOffset expires, long maxAge, bool secure, bool httpOnly) =>
        $"{name}={value}; Expires={expires.UtcDateTime.ToString("R", CultureInfo.InvariantCulture)}; Max-Age={maxAge}; Path=/"
        + (secure ? "; Secure" : "") + (httpOnly ? "; HttpOnly" : "") + "; SameSite=Lax";
}
