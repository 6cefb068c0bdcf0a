using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Tests.Collections;

/// <summary>
/// One API scenario in the PocketBase style: a request against a fresh server with its own temporary
/// data folder (so scenarios never share state), prepared by <see cref="Setup"/>, and what the response
/// must show: status, JSON values at dot paths, validation codes under <c>data</c>, text fragments,
/// and a final <see cref="Verify"/> that can look at the server state afterwards.
/// </summary>
public sealed record ApiScenario(string Name, HttpMethod Method, string Url)
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public JsonNode? Body { get; init; }

    /// <summary>Sent verbatim instead of <see cref="Body"/>, to test malformed input.</summary>
    public string? RawBody { get; init; }

    public string ContentType { get; init; } = "application/json";

    public Caller Caller { get; init; } = Caller.Superuser;

    public int Status { get; init; } = 200;

    /// <summary>Expected values by dot path (<c>items.0.name</c>); a path ending in <c>#</c> is the count of an array or object.</summary>
    public Dictionary<string, object?> Values { get; init; } = [];

    /// <summary>Expected validation codes by dot path under <c>data</c> (<c>fields.1.name</c>).</summary>
    public Dictionary<string, string> Errors { get; init; } = [];

    /// <summary>Fragments the compact JSON body must contain, and ones it must not.</summary>
    public string[] Contains { get; init; } = [];
    public string[] NotContains { get; init; } = [];

    public Func<TestServer, Task>? Setup { get; init; }
    public Func<TestServer, ApiResponse, Task>? Verify { get; init; }

    public override string ToString() => Name;

    public async Task RunAsync()
    {
        await using var server = await TestServer.StartAsync();
        var token = Caller switch
        {
            Caller.Superuser => server.SuperuserToken,
            Caller.User => await server.CreateUserTokenAsync(),
            Caller.BadToken => "not-a-valid-token",
            _ => null,
        };
        if (Setup is not null) await Setup(server);
        var response = await server.SendAsync(Method, Url, RawBody is null ? Body : null, token, request =>
        {
            if (RawBody is not null) request.Content = new StringContent(RawBody, Encoding.UTF8, ContentType);
        });

        Assert.True(response.Status == Status, $"{Name}: expected {Status}, got {response.Status}: {response.Text}");
        if (Status >= 400) AssertErrorShape(response);
        foreach (var (path, expected) in Values)
            AssertValue(response.Json, path, expected);
        foreach (var (path, code) in Errors)
        {
            var error = At(response.Json?["data"], path);
            Assert.True(error?["code"]?.GetValue<string>() == code, $"{Name}: expected {code} at data.{path}, got: {response.Text}");
            Assert.False(string.IsNullOrEmpty(error?["message"]?.GetValue<string>()), $"{Name}: data.{path} has no message");
        }
        var text = response.Json?.ToJsonString(Compact) ?? response.Text;
        foreach (var fragment in Contains) Assert.True(text.Contains(fragment, StringComparison.Ordinal), $"{Name}: missing {fragment} in {text}");
        foreach (var fragment in NotContains) Assert.False(text.Contains(fragment, StringComparison.Ordinal), $"{Name}: unexpected {fragment} in {text}");
        if (Verify is not null) await Verify(server, response);
    }

    /// <summary>The error shape of POCKETBASE_API.md 0.2: <c>{status, message, data}</c> with <c>data</c> always an object.</summary>
    public static void AssertErrorShape(ApiResponse response)
    {
        var json = response.Json as JsonObject;
        Assert.True(json is not null, $"error body is not a JSON object: {response.Text}");
        Assert.Equal(response.Status, json["status"]?.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(json["message"]?.GetValue<string>()));
        Assert.EndsWith(".", json["message"]!.GetValue<string>());
        Assert.IsType<JsonObject>(json["data"]);
        Assert.Equal(3, json.Count);
    }

    private void AssertValue(JsonNode? root, string path, object? expected)
    {
        if (path.EndsWith(".#") || path == "#")
        {
            var container = At(root, path.Length == 1 ? "" : path[..^2]);
            var count = container switch { JsonArray a => a.Count, JsonObject o => o.Count, _ => -1 };
            Assert.True(Equals(expected, count), $"{Name}: expected {expected} items at {path}, got {count}: {root?.ToJsonString(Compact)}");
            return;
        }
        var actual = At(root, path);
        var want = expected as JsonNode ?? JsonSerializer.SerializeToNode(expected);
        Assert.True(JsonNode.DeepEquals(want, actual),
            $"{Name}: expected {want?.ToJsonString(Compact) ?? "null"} at {path}, got {actual?.ToJsonString(Compact) ?? "null"}");
    }

    /// <summary>The node at a dot path: object keys, or array indexes.</summary>
    public static JsonNode? At(JsonNode? node, string path)
    {
        if (path.Length == 0) return node;
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }
}
