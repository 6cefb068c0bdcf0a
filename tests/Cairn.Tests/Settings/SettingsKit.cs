using System.Text.Json.Nodes;

namespace Cairn.Tests.Settings;

/// <summary>What the settings scenarios share: PATCH as superuser, and reading one request's stored log entry.</summary>
internal static class SettingsKit
{
    public static async Task<JsonObject> PatchSettingsAsync(this TestServer server, string json)
    {
        var response = await server.AsSuperuser(HttpMethod.Patch, "/api/settings", JsonNode.Parse(json));
        Assert.True(response.Status == 200, response.Text);
        return response.Json!.AsObject();
    }

    /// <summary>Sends a guest <c>GET /api/health</c> tagged with <paramref name="requestId"/>.</summary>
    public static Task<ApiResponse> TaggedHealthAsync(this TestServer server, string requestId, Action<HttpRequestMessage>? configure = null) =>
        server.SendAsync(HttpMethod.Get, "/api/health", configure: r =>
        {
            r.Headers.Add("X-Request-Id", requestId);
            configure?.Invoke(r);
        });

    /// <summary>
    /// The <c>data</c> of the stored log entry of request <paramref name="requestId"/>, waiting up to 10 s for the background
    /// writer (<paramref name="wait"/> false: looks once, for an entry that a later, already found one would have followed); null if none.
    /// </summary>
    public static async Task<JsonObject?> LoggedAsync(this TestServer server, string requestId, bool wait = true)
    {
        var url = "/api/logs?filter=" + Uri.EscapeDataString($"data.requestId = '{requestId}'");
        var deadline = wait ? DateTime.UtcNow.AddSeconds(10) : DateTime.UtcNow;
        do
        {
            var found = await server.AsSuperuser(HttpMethod.Get, url);
            if (found.Json?["items"]?.AsArray() is [{ } entry, ..]) return entry["data"]!.AsObject();
            await Task.Delay(50, TestContext.Current.CancellationToken);
        } while (DateTime.UtcNow < deadline);
        return null;
    }
}
