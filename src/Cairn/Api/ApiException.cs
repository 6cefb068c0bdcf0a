using System.Text.Json.Nodes;

namespace Cairn.Api;

/// <summary>An error that becomes the PocketBase error shape <c>{status, message, data}</c>.</summary>
public class ApiException(int status, string message, JsonObject? data = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int Status { get; } = status;
    public JsonObject ErrorData { get; } = data ?? new JsonObject();

    public static ApiException BadRequest(string message = "Something went wrong while processing your request.", JsonObject? data = null) => new(400, message, data);
    public static ApiException Unauthorized(string message = "Missing or invalid authentication.") => new(401, message);
    public static ApiException Forbidden(string message = "You are not allowed to perform this request.") => new(403, message);
    public static ApiException NotFound(string message = "The requested resource wasn't found.") => new(404, message);
    public static ApiException Conflict(string message) => new(409, message);

    /// <summary>The body sent to the client. PocketBase turns messages into sentences, and so do we.</summary>
    public JsonObject ToJson() => new()
    {
        ["status"] = Status,
        ["message"] = Sentence(Message),
        ["data"] = ErrorData.DeepClone(),
    };

    internal static string Sentence(string message)
    {
        if (message.Length == 0) return message;
        var s = char.ToUpperInvariant(message[0]) + message[1..];
        return s.EndsWith('.') || s.EndsWith('!') || s.EndsWith('?') ? s : s + ".";
    }
}
