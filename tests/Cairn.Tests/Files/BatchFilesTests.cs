using System.Text.Json.Nodes;
using Cairn.Tests.Files.Tus;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files;

/// <summary>
/// Files in <c>POST /api/batch</c> (POCKETBASE_API.md 1.2): parts named <c>requests.N.field</c> or <c>requests[N].field</c>
/// next to the <c>@jsonPayload</c> the SDK sends last, and <c>tus:ID</c> references in an item's body. They are stored
/// with their records when the batch commits, and nothing is left when it rolls back.
/// </summary>
public sealed class BatchFilesTests
{
    private const string Docs = "/api/collections/docs/records";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<ApiResponse> BatchAsync(TestServer server, string requestsJson, Action<MultipartFormDataContent> files) =>
        server.SendFormAsync(HttpMethod.Post, "/api/batch", f =>
        {
            files(f);
            f.Add(new StringContent($$"""{"requests":{{requestsJson}}}"""), "@jsonPayload");
        });

    private static async Task<string> ReadAsync(TestServer server, string recordId, string name)
    {
        using var response = await server.GetFileAsync($"/api/files/docs/{recordId}/{name}");
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    [Fact]
    public async Task EachItem_GetsItsOwnFiles_InBothPartNameForms()
    {
        await using var server = await FileKit.StartAsync();

        var response = await BatchAsync(server, """
            [{"method":"POST","url":"/api/collections/docs/records","body":{"title":"first"}},
             {"method":"POST","url":"/api/collections/docs/records","body":{"title":"second"}}]
            """, f =>
        {
            f.Add(FileKit.Text("one"), "requests.0.attachments", "one.txt");
            f.Add(FileKit.Text("two"), "requests.0.attachments", "two.txt");
            f.Add(FileKit.File(FileKit.Png, "image/png"), "requests[1].cover", "cover.png");
        });

        Assert.True(response.Status == 200, response.Text);
        var first = response.Json![0]!["body"]!;
        var second = response.Json[1]!["body"]!;
        Assert.Equal(["one", "two"], await Task.WhenAll(first.Names("attachments").Select(n => ReadAsync(server, first.Str("id"), n))));
        Assert.Empty(first.Names("cover"));
        Assert.Matches("^cover_[a-z0-9]{10}\\.png$", second.Names("cover").Single());
        Assert.Empty(second.Names("attachments"));
    }

    [Fact]
    public async Task UpdateAndUpsert_TakeFiles_AndModifiersWork()
    {
        await using var server = await FileKit.StartAsync();
        var existing = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(FileKit.Text("old"), "attachments", "old.txt"));
        var (id, old) = (existing.Json.Str("id"), existing.Json.Names("attachments").Single());

        var response = await BatchAsync(server, $$$"""
            [{"method":"PATCH","url":"/api/collections/docs/records/{{{id}}}","body":{}},
             {"method":"PUT","url":"/api/collections/docs/records","body":{"id":"upserted123456a","title":"new"}}]
            """, f =>
        {
            f.Add(FileKit.Text("added"), "requests.0.attachments+", "added.txt");
            f.Add(FileKit.Text("upserted"), "requests.1.attachments", "u.txt");
        });

        Assert.True(response.Status == 200, response.Text);
        var updated = response.Json![0]!["body"]!.Names("attachments");
        Assert.Equal(2, updated.Length);
        Assert.Equal(old, updated[0]);
        Assert.Equal("added", await ReadAsync(server, id, updated[1]));
        Assert.Equal("upserted", await ReadAsync(server, "upserted123456a", response.Json[1]!["body"]!.Names("attachments").Single()));
    }

    [Fact]
    public async Task AFailedItem_RollsBackTheBatch_AndNoFileIsKept()
    {
        await using var server = await FileKit.StartAsync();

        // The second item's text file is refused by cover's image-only mimeTypes.
        var response = await BatchAsync(server, """
            [{"method":"POST","url":"/api/collections/docs/records","body":{}},
             {"method":"POST","url":"/api/collections/docs/records","body":{}}]
            """, f =>
        {
            f.Add(FileKit.Text("kept?"), "requests.0.attachments", "a.txt");
            f.Add(FileKit.Text("not an image"), "requests.1.cover", "fake.png");
        });

        response.AssertError(400, "Batch transaction failed.");
        Assert.Equal("validation_invalid_mime_type", response.Json!["data"]!["requests"]!["1"]!["response"]!["data"]!["cover"].Str("code"));
        server.AssertNothingStored();
        Assert.Equal(0, (await server.AsSuperuser(HttpMethod.Get, Docs)).Json!["totalItems"]!.GetValue<int>());
    }

    [Fact]
    public async Task AFieldsMaxSize_AppliesInABatch()
    {
        await using var server = await FileKit.StartAsync();

        var response = await BatchAsync(server, """[{"method":"POST","url":"/api/collections/docs/records","body":{}}]""",
            f => f.Add(FileKit.File([.. FileKit.Png, .. new byte[1_100_000]], "image/png"), "requests.0.cover", "big.png"));

        response.AssertError(400, "Batch transaction failed.");
        Assert.Equal("validation_file_size_limit", response.Json!["data"]!["requests"]!["0"]!["response"]!["data"]!["cover"].Str("code"));
        server.AssertNothingStored();
    }

    [Fact]
    public async Task PartsForUnknownItemsOrFields_AreIgnored()
    {
        await using var server = await FileKit.StartAsync();

        var response = await BatchAsync(server, """[{"method":"POST","url":"/api/collections/docs/records","body":{"title":"kept"}}]""", f =>
        {
            f.Add(FileKit.Text("nowhere"), "requests.5.attachments", "x.txt");
            f.Add(FileKit.Text("not a file field"), "requests.0.title", "y.txt");
        });

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal("kept", response.Json![0]!["body"].Str("title"));
        Assert.Empty(response.Json[0]!["body"]!.Names("attachments"));
    }

    [Fact]
    public async Task ATusUpload_CanBeAttachedInABatch()
    {
        await using var server = await FileKit.StartAsync();
        var upload = await server.UploadAsync(server.SuperuserToken, "resumable"u8.ToArray(), "r.txt");

        var response = await server.AsSuperuser(HttpMethod.Post, "/api/batch", new JsonObject
        {
            ["requests"] = new JsonArray(new JsonObject { ["method"] = "POST", ["url"] = Docs, ["body"] = new JsonObject { ["attachments"] = $"tus:{upload}" } }),
        });

        Assert.True(response.Status == 200, response.Text);
        var record = response.Json![0]!["body"]!;
        Assert.Equal("resumable", await ReadAsync(server, record.Str("id"), record.Names("attachments").Single()));
    }
}
