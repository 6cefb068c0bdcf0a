using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Auth.Sessions;

/// <summary>
/// A signed-in record's own server-side sessions (beyond PocketBase; issue 5):
/// <code>
/// GET    /api/collections/{collection}/sessions              the caller's live sessions, the current one marked
/// DELETE /api/collections/{collection}/sessions/{id}         revokes one
/// DELETE /api/collections/{collection}/sessions              revokes all (?keepCurrent=true: all but the current one)
/// POST   /api/collections/{collection}/sign-out              ends the current session and clears its cookies
/// </code>
/// Sessions start with a sign-in called with <c>?session=true</c> (see <see cref="SessionStore"/>). Superusers
/// manage anyone's sessions through the records API of <c>_sessions</c>.
/// </summary>
public static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/collections/{collection}/sessions", List);
        app.MapDelete("/api/collections/{collection}/sessions/{id}", RevokeOne);
        app.MapDelete("/api/collections/{collection}/sessions", RevokeAll);
        app.MapPost("/api/collections/{collection}/sign-out", SignOut);
        return app;
    }



    private static async Task<IResult> List(string collection, HttpContext context, CollectionRegistry registry, SessionStore sessions)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        var current = context.Features.Get<CurrentSession>()?.Id;
        var items = new JsonArray();
        foreach (var s in await sessions.ListAsync(owner, context.RequestAborted))
            items.Add(new JsonObject
            {
                ["id"] = s.Id,
                ["userAgent"] = s.GetString("userAgent"),
                ["ip"] = s.GetString("ip"),
                ["lastSeen"] = s.GetString("lastSeen"),
                ["expires"] = s.GetString("expires"),
                ["created"] = s.GetString("created"),
                ["current"] = s.Id == current,
            });
        return new PickedJson(new JsonObject { ["items"] = items });
    }

    private static async Task<IResult> RevokeOne(string collection, string id, HttpContext context, CollectionRegistry registry, SessionStore sessions, CairnOptions options)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        if (!await sessions.RevokeAsync(owner, id, context.RequestAborted)) throw ApiException.NotFound();
        if (context.Features.Get<CurrentSession>()?.Id == id) SessionCookies.Clear(context.Response, options.SecureCookies);
        return Results.NoContent();
    }

    private static async Task<IResult> RevokeAll(string collection, HttpContext context, CollectionRegistry registry, SessionStore sessions, CairnOptions options)
    {
        var owner = AuthRoute.SignedIn(context, AuthRoute.AuthCollection(registry, collection));
        var current = context.Features.Get<CurrentSession>()?.Id;
        var keepCurrent = context.Request.Query["keepCurrent"].ToString().Trim().ToLowerInvariant() is "1" or "true";
        await sessions.RevokeAllAsync(owner, keepCurrent ? current : null, context.RequestAborted);
        if (current is not null && !keepCurrent) SessionCookies.Clear(context.Response, options.SecureCookies);
        return Results.NoContent();
    }

    /// <summary>Idempotent: without a live session it only clears the cookies, so a stale browser can always sign out.</summary>
    private static async Task<IResult> SignOut(string collection, HttpContext context, CollectionRegistry registry, SessionStore sessions, CairnOptions options)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        if (context.Features.Get<CurrentSession>() is { } current)
        {
            if (current.CollectionId != c.Id) throw ApiException.Forbidden("The current session belongs to another collection.");
            await sessions.RevokeAsync(RequestAuth.Of(context).Record!, current.Id, context.RequestAborted);
        }
        SessionCookies.Clear(context.Response, options.SecureCookies);
        return Results.NoContent();
    }
}
