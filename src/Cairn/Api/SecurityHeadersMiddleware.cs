using Microsoft.AspNetCore.Http;

namespace Cairn.Api;

/// <summary>The headers PocketBase sets on every response (POCKETBASE_API.md 0.1).</summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers["X-XSS-Protection"] = "1; mode=block";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "SAMEORIGIN";
        return next(context);
    }
}
