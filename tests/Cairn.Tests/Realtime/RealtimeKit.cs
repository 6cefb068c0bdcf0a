using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Realtime;

/// <summary>
/// The collections the realtime scenarios share: <c>users</c> (auth, everyone may list), <c>posts</c> (public, with
/// <c>title</c> and an <c>author</c> relation to users) and <c>notes</c> (owner-only: list and view rule
/// <c>owner = @request.auth.id</c>, with a <c>shared</c> flag some scenarios open the rule with).
/// </summary>
internal static class RealtimeKit
{
    public const string OwnerRule = "owner = @request.auth.id";

    public static async Task<TestServer> StartAsync(Func<CairnOptions, CairnOptions>? configure = null, string notesRule = OwnerRule)
    {
        var server = await TestServer.StartAsync(configure);
        var users = await server.CreateUsersAsync();
        await server.CreatePublicAsync("posts", $$"""[{"name":"title","type":"text"},{"name":"author","type":"relation","collectionId":"{{users.Str("id")}}"}]""");
        await server.CreateCollectionAsync(new JsonObject
        {
            ["name"] = "notes", ["type"] = "base",
            ["listRule"] = notesRule, ["viewRule"] = notesRule, ["createRule"] = "", ["updateRule"] = OwnerRule, ["deleteRule"] = OwnerRule,
            ["fields"] = JsonNode.Parse($$"""[{"name":"title","type":"text"},{"name":"shared","type":"bool"},{"name":"owner","type":"relation","collectionId":"{{users.Str("id")}}"}]"""),
        });
        return server;
    }

    public static async Task<string> CreatePostAsync(this TestServer server, string title, string? token = null)
    {
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", new JsonObject { ["title"] = title }, token);
        Assert.True(response.Status == 200, response.Text);
        return response.Json.Str("id");
    }

    public static async Task<string> CreateNoteAsync(this TestServer server, string ownerId, string token, string title, bool shared = false)
    {
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/notes/records",
            new JsonObject { ["title"] = title, ["owner"] = ownerId, ["shared"] = shared }, token);
        Assert.True(response.Status == 200, response.Text);
        return response.Json.Str("id");
    }

    /// <summary>A topic with options, encoded as the SDK encodes it.</summary>
    public static string WithOptions(string target, JsonObject query, JsonObject? headers = null) =>
        target + "?options=" + Uri.EscapeDataString(new JsonObject { ["query"] = query, ["headers"] = headers ?? new JsonObject() }.ToJsonString());

    public static string Title(this SseEvent e) => e.Data!["record"]!["title"]!.GetValue<string>();
    public static string Action(this SseEvent e) => e.Data!["action"]!.GetValue<string>();
}
