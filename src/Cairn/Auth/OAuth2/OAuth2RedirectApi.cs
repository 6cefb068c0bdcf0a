using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Realtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// The end of the SDK's one-call OAuth2 flow (POCKETBASE_API.md 1.3): the provider sends the browser here
/// with <c>state</c> and <c>code</c> (GET, or POST for Apple's <c>form_post</c>); <c>state</c> is the id of the
/// realtime client that subscribed to <c>@oauth2</c>, which receives <c>{state, code, error}</c> and then calls
/// <c>auth-with-oauth2</c> itself. Nothing is signed in here: the code is only handed to the window that asked.
/// </summary>
public static class OAuth2RedirectApi
{
    public const string Topic = "@oauth2";

    public static IEndpointRouteBuilder MapOAuth2RedirectApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/oauth2-redirect", context => RedirectAsync(context, context.Request.Query["state"], context.Request.Query["code"], context.Request.Query["error"]));
        app.MapPost("/api/oauth2-redirect", async context =>
        {
            var form = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
            await RedirectAsync(context, Text(form["state"]), Text(form["code"]), Text(form["error"]));
        });
        return app;
    }

    private static string Text(JsonNode? node) => Records.FieldValues.ToText(node);

    private static Task RedirectAsync(HttpContext context, string? state, string? code, string? error)
    {
        var hub = context.RequestServices.GetService(typeof(RealtimeHub)) as RealtimeHub;
        // The client must be live, waiting on @oauth2, and reached from the address that opened it: a code is
        // never pushed to a connection someone else picked by guessing or leaking its id.
        if (string.IsNullOrEmpty(state) || hub?.Find(state) is not { } client || client.CloseReason is not null
            || !client.Subscriptions.Any(s => s.Target == Topic) || client.Ip != ClientIp.Of(context))
            return Page(context, 400, "The sign-in could not be completed: the window that started it is gone. Close this window and try again.");

        var message = new JsonObject { ["state"] = state, ["code"] = code ?? "" };
        if (!string.IsNullOrEmpty(error)) message["error"] = error;
        hub.SendTo(client.Id, Topic, message);
        return string.IsNullOrEmpty(error)
            ? Page(context, 200, "Sign-in complete. You can close this window.")
            : Page(context, 400, "The provider refused the sign-in. Close this window and try again.");
    }

    // There is no bundled UI to redirect to, so the popup shows a short plain-text page.
    private static Task Page(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
