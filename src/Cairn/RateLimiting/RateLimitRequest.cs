using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.RateLimiting;

/// <summary>What the rules look at in a request: its PocketBase action and collection, method, path and audience.</summary>
public sealed record RateLimitRequest(string? Collection, string? Action, string Method, string Path, bool IsAuth)
{
    // Route → action, in one table (POCKETBASE_API.md 0.4 names the actions).
    private static readonly Dictionary<(string Method, string Route), string> Actions = new()
    {
        [("GET", "/api/collections/{collection}/records")] = "list",
        [("GET", "/api/collections/{collection}/records/{id}")] = "view",
        [("POST", "/api/collections/{collection}/records")] = "create",
        [("PATCH", "/api/collections/{collection}/records/{id}")] = "update",
        [("DELETE", "/api/collections/{collection}/records/{id}")] = "delete",
        [("GET", "/api/files/{collection}/{recordId}/{filename}")] = "file",
        [("HEAD", "/api/files/{collection}/{recordId}/{filename}")] = "file",
        [("GET", "/api/collections/{collection}/auth-methods")] = "listAuthMethods",
        [("POST", "/api/collections/{collection}/auth-refresh")] = "authRefresh",
        [("POST", "/api/collections/{collection}/auth-with-password")] = "authWithPassword",
        [("POST", "/api/collections/{collection}/auth-with-oauth2")] = "authWithOAuth2",
        [("POST", "/api/collections/{collection}/auth-with-otp")] = "authWithOTP",
        [("POST", "/api/collections/{collection}/request-otp")] = "requestOTP",
        [("POST", "/api/collections/{collection}/request-password-reset")] = "requestPasswordReset",
        [("POST", "/api/collections/{collection}/confirm-password-reset")] = "confirmPasswordReset",
        [("POST", "/api/collections/{collection}/request-verification")] = "requestVerification",
        [("POST", "/api/collections/{collection}/confirm-verification")] = "confirmVerification",
        [("POST", "/api/collections/{collection}/request-email-change")] = "requestEmailChange",
        [("POST", "/api/collections/{collection}/confirm-email-change")] = "confirmEmailChange",
    };

    /// <summary>The three sign-in actions the label <c>*:auth</c> covers together.</summary>
    public static bool IsSignIn(string? action) => action is "authWithPassword" or "authWithOAuth2" or "authWithOTP";

    public static RateLimitRequest Of(HttpContext context, bool isAuth, Func<string, string?> collectionName)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var method = context.Request.Method.ToUpperInvariant();
        var action = route is null ? null : Actions.GetValueOrDefault((method, route));
        var collection = action is not null && context.GetRouteValue("collection") is string c ? collectionName(c) : null;
        return new RateLimitRequest(collection, action, method, context.Request.Path.Value ?? "/", isAuth);
    }
}
