using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Cairn.Api;

/// <summary>Writes the <c>{status, message, data}</c> error shape.</summary>
public static class ErrorResponses
{
    public static string DefaultMessage(int status) => status switch
    {
        400 => "Something went wrong while processing your request.",
        401 => "Missing or invalid authentication.",
        403 => "You are not allowed to perform this request.",
        404 => "The requested resource wasn't found.",
        405 => "Method not allowed.",
        408 => "Request timeout.",
        412 => "The record was changed since it was read.",
        413 => "Request entity too large.",
        415 => "Unsupported media type.",
        429 => "Too Many Requests.",
        _ => "Something went wrong while processing your request.",
    };

    public static Task WriteAsync(HttpContext context, ApiException error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        return response.WriteAsync(error.ToJson().ToJsonString(CairnJson.Options), context.RequestAborted);
    }

    public static Task WriteAsync(HttpContext context, int status, string? message = null, JsonObject? data = null) =>
        WriteAsync(context, new ApiException(status, message ?? DefaultMessage(status), data));
}
