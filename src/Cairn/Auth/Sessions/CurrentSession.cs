namespace Cairn.Auth.Sessions;

/// <summary>
/// Set on a request that a session cookie authenticated (not a bearer token). Its presence is what makes
/// <see cref="SessionCsrfMiddleware"/> demand a CSRF proof: only ambient credentials can be forged across sites.
/// </summary>
/// <param name="Id">The <c>_sessions</c> record id (never the cookie value).</param>
/// <param name="CollectionId">The auth collection of the signed-in record.</param>
/// <param name="CsrfHash">The SHA-256 hash of the session's CSRF token.</param>
internal sealed record CurrentSession(string Id, string CollectionId, string CsrfHash);
