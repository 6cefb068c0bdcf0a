using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Api;

/// <summary>
/// <code>
/// GET|HEAD /api/health   {"message":"API is healthy.","code":200,"data":{}}
/// </code>
/// </summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/health", ["GET", "HEAD"], () =>
            new PickedJson(new JsonObject { ["message"] = "API is healthy.", ["code"] = 200, ["data"] = new JsonObject() }));
        return app;
    }
}
