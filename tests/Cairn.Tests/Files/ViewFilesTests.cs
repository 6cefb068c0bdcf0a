using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files;

/// <summary>Files of view collections (POCKETBASE_API.md 1.5): served through the record the view row reads them from.</summary>
public sealed class ViewFilesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(JsonNode Record, string Name)> DocWithFileAsync(TestServer server, string text)
    {
        var created = await server.SendFormAsync(HttpMethod.Post, "/api/collections/docs/records", f =>
        {
            f.Add(new StringContent("t-" + text), "title");
            f.Add(FileKit.Text(text), "attachments", text + ".txt");
        });
        Assert.True(created.Status == 200, created.Text);
        return (created.Json!, created.Json.Names("attachments").Single());
    }

    private static Task<JsonObject> ViewAsync(TestServer server, string name, string query) =>
        server.CreateCollectionAsync(new JsonObject { ["name"] = name, ["type"] = "view", ["listRule"] = "", ["viewRule"] = "", ["viewQuery"] = query });

    private static async Task<JsonNode> OnlyRowAsync(TestServer server, string view)
    {
        var list = await server.SendAsync(HttpMethod.Get, $"/api/collections/{view}/records");
        Assert.True(list.Status == 200, list.Text);
        return list.Json!["items"]!.AsArray().Single()!;
    }

    [Fact]
    public async Task AViewsFile_IsServedFromItsSourceRecord_EvenUnderAnotherIdAndName()
    {
        await using var server = await FileKit.StartAsync();
        var (_, name) = await DocWithFileAsync(server, "hello");
        await ViewAsync(server, "numbered", "SELECT (ROW_NUMBER() OVER()) AS id, d.title AS label, d.attachments AS files FROM docs d");
        var row = await OnlyRowAsync(server, "numbered");
        var viewed = await server.SendAsync(HttpMethod.Get, $"/api/collections/numbered/records/{row.Str("id")}");
        Assert.True(viewed.Status == 200, "view route: " + viewed.Text);

        using var file = await server.GetFileAsync($"/api/files/numbered/{row.Str("id")}/{row.Names("files").Single()}");

        Assert.Equal(name, row.Names("files").Single());
        Assert.Equal(200, (int)file.StatusCode);
        Assert.Equal("hello", await file.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task AViewOverAView_IsFollowedToTheCollectionThatHoldsTheFile()
    {
        await using var server = await FileKit.StartAsync();
        var (doc, name) = await DocWithFileAsync(server, "deep");
        await ViewAsync(server, "docs_inner", "SELECT id, attachments FROM docs");
        await ViewAsync(server, "docs_outer", "SELECT id, attachments AS papers FROM docs_inner");

        using var file = await server.GetFileAsync($"/api/files/docs_outer/{doc.Str("id")}/{name}");

        Assert.Equal(200, (int)file.StatusCode);
        Assert.Equal("deep", await file.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task ANameTheViewRowDoesNotHold_IsNotFound()
    {
        await using var server = await FileKit.StartAsync();
        var (doc, _) = await DocWithFileAsync(server, "mine");
        var (_, other) = await DocWithFileAsync(server, "other");
        await ViewAsync(server, "plain", "SELECT id, attachments FROM docs");

        using var foreign = await server.GetFileAsync($"/api/files/plain/{doc.Str("id")}/{other}");
        using var computed = await server.GetFileAsync($"/api/files/plain/{doc.Str("id")}/../../data.db");

        Assert.Equal(404, (int)foreign.StatusCode);
        Assert.Equal(404, (int)computed.StatusCode);
    }

    [Fact]
    public async Task AProtectedFileOfAView_NeedsAFileToken_AndTheViewsRule()
    {
        await using var server = await FileKit.StartAsync(coverOptions: ",\"protected\":true");
        var created = await server.SendFormAsync(HttpMethod.Post, "/api/collections/docs/records", f => f.Add(FileKit.File(FileKit.Png, "image/png"), "cover", "c.png"));
        var (id, cover) = (created.Json.Str("id"), created.Json.Names("cover").Single());
        await server.CreateCollectionAsync(new JsonObject
        {
            ["name"] = "covers", ["type"] = "view", ["listRule"] = "", ["viewRule"] = "@request.auth.id != ''", ["viewQuery"] = "SELECT id, cover FROM docs",
        });
        var token = (await server.AsSuperuser(HttpMethod.Post, "/api/files/token")).Json.Str("token");

        using var withoutToken = await server.GetFileAsync($"/api/files/covers/{id}/{cover}");
        using var withToken = await server.GetFileAsync($"/api/files/covers/{id}/{cover}?token={token}");

        Assert.Equal(404, (int)withoutToken.StatusCode);
        Assert.Equal(200, (int)withToken.StatusCode);
        Assert.Equal(FileKit.Png, await withToken.Content.ReadAsByteArrayAsync(Ct));
    }
}
