using System.Text.Json.Nodes;

namespace Cairn.Tests.Records;

/// <summary>Collections and records the API scenarios are built on, plus the assertions they share.</summary>
internal static class TestCollections
{
    /// <summary>Parses a JSON object literal written in a test.</summary>
    public static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>Creates a collection whose five rules are all <c>""</c> (everyone may do everything).</summary>
    public static Task<JsonObject> CreatePublicAsync(this TestServer server, string name, string fieldsJson = "[]", string type = "base", string indexesJson = "[]")
    {
        var body = Json($$"""{"name":"{{name}}","type":"{{type}}","listRule":"","viewRule":"","createRule":"","updateRule":"","deleteRule":""}""");
        body["fields"] = JsonNode.Parse(fieldsJson);
        body["indexes"] = JsonNode.Parse(indexesJson);
        return server.CreateCollectionAsync(body);
    }

    /// <summary>An auth collection <c>users</c> anyone may sign up to, list, view and update (records of a user only through its token in practice).</summary>
    public static Task<JsonObject> CreateUsersAsync(this TestServer server, string? updateRule = "") =>
        server.CreateCollectionAsync(new JsonObject
        {
            ["name"] = "users", ["type"] = "auth",
            ["listRule"] = "", ["viewRule"] = "", ["createRule"] = "", ["updateRule"] = updateRule, ["deleteRule"] = null,
        });

    /// <summary>Creates a record as superuser and fails the test unless that gives 200.</summary>
    public static async Task<JsonObject> CreateRecordAsync(this TestServer server, string collection, string bodyJson)
    {
        var response = await server.AsSuperuser(HttpMethod.Post, $"/api/collections/{collection}/records", Json(bodyJson));
        Assert.True(response.Status == 200, response.Text);
        return response.Json!.AsObject();
    }

    /// <summary>Creates a user (password <c>password123</c>) and signs it in; returns its record and token.</summary>
    public static async Task<(JsonObject Record, string Token)> CreateUserAsync(this TestServer server, string email, string password = "password123", bool emailVisibility = false)
    {
        var record = await server.CreateRecordAsync("users",
            $$"""{"email":"{{email}}","password":"{{password}}","passwordConfirm":"{{password}}","emailVisibility":{{(emailVisibility ? "true" : "false")}}}""");
        var auth = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", Json($$"""{"identity":"{{email}}","password":"{{password}}"}"""));
        Assert.True(auth.Status == 200, auth.Text);
        return (record, auth.Json!["token"]!.GetValue<string>());
    }

    /// <summary>Asserts the <c>{status, message, data}</c> error shape of POCKETBASE_API.md 0.2, with <c>data</c> always an object.</summary>
    public static void AssertError(this ApiResponse response, int status, string? message = null)
    {
        Assert.True(response.Status == status, $"expected {status}, got {response.Status}: {response.Text}");
        Assert.NotNull(response.Json);
        Assert.Equal(status, response.Json!["status"]!.GetValue<int>());
        Assert.IsType<JsonObject>(response.Json["data"]);
        Assert.False(string.IsNullOrEmpty(response.Json["message"]?.GetValue<string>()));
        if (message is not null) Assert.Equal(message, response.Json["message"]!.GetValue<string>());
    }

    /// <summary>Asserts a 400 whose <c>data.{field}.code</c> is <paramref name="code"/>.</summary>
    public static void AssertFieldError(this ApiResponse response, string message, string field, string code)
    {
        response.AssertError(400, message);
        Assert.True(response.Json!["data"]![field]?["code"]?.GetValue<string>() == code, $"expected data.{field}.code {code}: {response.Text}");
    }

    public static string Str(this JsonNode? node, string key) => node![key]!.GetValue<string>();

    public static IEnumerable<string> Titles(this ApiResponse list, string key = "title") =>
        list.Json!["items"]!.AsArray().Select(i => i![key]!.GetValue<string>());
}
