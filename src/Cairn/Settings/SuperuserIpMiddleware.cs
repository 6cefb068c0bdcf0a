using Cairn.Api;
using Cairn.Auth;
using Microsoft.AspNetCore.Http;

namespace Cairn.Settings;

/// <summary>
/// <c>settings.superuserIPs</c> (POCKETBASE_API.md 0.1): when the list is not empty, a request authenticated as a superuser
/// (token or session) from any other client IP gets 403, on every route. It runs right after authentication, so a stolen
/// superuser token is useless from outside the listed networks. The client IP is the resolved one: forwarding headers count
/// only from trusted proxies, so the check cannot be talked past with a header.
/// </summary>
internal sealed class SuperuserIpMiddleware(RequestDelegate next, LiveSettings settings)
{
    public Task InvokeAsync(HttpContext context)
    {
        var networks = settings.SuperuserNetworks;
        if (networks.Count > 0 && RequestAuth.Of(context).IsSuperuser && !ClientIpResolver.IsInAny(ClientIp.Of(context), networks))
            throw ApiException.Forbidden();
        return next(context);
    }
}
