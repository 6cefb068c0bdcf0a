using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files;

/// <summary>
/// Files through record create and update (POCKETBASE_API.md 1.5, 3.2): multipart parts named after the field,
/// <c>+</c>/<c>-</c> modifiers, server-generated names, limits and sniffed types, and storage kept consistent with
/// the database: stored before the record names them, removed only after the write that drops them commits.
/// </summary>
public sealed class RecordFilesApiTests
{
    private const string Docs = "/api/collections/docs/records";

    private static async Task<(JsonNode Record, string CollectionId)> CreateAsync(TestServer server, Action<MultipartFormDataContent> build)
    {
        var response = await server.SendFormAsync(HttpMethod.Post, Docs, build);
        Assert.True(response.Status == 200, response.Text);
        return (response.Json!, response.Json.Str("collectionId"));
    }

    [Fact]
    public async Task Create_StoresEachFile_UnderAGeneratedName()
    {
        await using var server = await FileKit.StartAsync();

        var (record, collectionId) = await CreateAsync(server, f =>
        {
            f.Add(new StringContent("hello"), "title");
            f.Add(FileKit.File(FileKit.Png, "image/png"), "cover", "My Cover.png");
            f.Add(FileKit.Text("one"), "attachments", "a.txt");
            f.Add(FileKit.Text("two"), "attachments", "b.txt");
        });

        var cover = record.Names("cover").Single();
        Assert.Matches("^my_cover_[a-z0-9]{10}\\.png$", cover);
        var attachments = record.Names("attachments");
        Assert.Equal(2, attachments.Length);
        Assert.Equal(FileKit.Png, await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "storage", collectionId, record.Str("id"), cover), TestContext.Current.CancellationToken));
        Assert.Equal(new[] { cover }.Concat(attachments).Order(), server.StoredFiles(collectionId, record.Str("id")));
    }

    [Fact]
    public async Task Update_PlusAppends_MinusRemoves_AndReplacedFilesGoAfterTheCommit()
    {
        await using var server = await FileKit.StartAsync();
        var (record, collectionId) = await CreateAsync(server, f =>
        {
            f.Add(FileKit.File(FileKit.Png, "image/png"), "cover", "first.png");
            f.Add(FileKit.Text("one"), "attachments", "one.txt");
        });
        var id = record.Str("id");
        var first = record.Names("cover").Single();
        var one = record.Names("attachments").Single();

        var appended = await server.SendFormAsync(HttpMethod.Patch, $"{Docs}/{id}", f => f.Add(FileKit.Text("two"), "attachments+", "two.txt"));
        Assert.Equal(200, appended.Status);
        var two = appended.Json.Names("attachments").Single(n => n != one);
        Assert.Equal(new[] { one, two }, appended.Json.Names("attachments"));

        var replaced = await server.SendFormAsync(HttpMethod.Patch, $"{Docs}/{id}", f => f.Add(FileKit.File(FileKit.Png, "image/png"), "cover", "second.png"));
        var second = replaced.Json.Names("cover").Single();
        Assert.StartsWith("second_", second);

        var removed = await server.SendAsync(HttpMethod.Patch, $"{Docs}/{id}", new JsonObject { ["attachments-"] = new JsonArray(one) });
        Assert.Equal(new[] { two }, removed.Json.Names("attachments"));

        await server.AssertStoredEventuallyAsync(collectionId, id, second, two);
        Assert.DoesNotContain(first, server.StoredFiles(collectionId, id));
    }

    [Fact]
    public async Task AFailedUpdate_KeepsTheOldFiles_AndStoresNoneOfTheNewOnes()
    {
        await using var server = await FileKit.StartAsync();
        var (record, collectionId) = await CreateAsync(server, f => f.Add(FileKit.File(FileKit.Png, "image/png"), "cover", "keep.png"));
        var id = record.Str("id");
        var kept = record.Names("cover").Single();

        // A fourth attachment breaks maxSelect: the whole update fails, the new cover included.
        var failed = await server.SendFormAsync(HttpMethod.Patch, $"{Docs}/{id}", f =>
        {
            f.Add(FileKit.File(FileKit.Png, "image/png"), "cover", "new.png");
            for (var i = 0; i < 4; i++) f.Add(FileKit.Text($"{i}"), "attachments", $"{i}.txt");
        });

        failed.AssertFieldError("Failed to update record.", "attachments", "validation_too_many_files");
        await server.AssertStoredEventuallyAsync(collectionId, id, kept);
        Assert.Equal(new[] { kept }, (await server.SendAsync(HttpMethod.Get, $"{Docs}/{id}")).Json.Names("cover"));
    }

    [Fact]
    public async Task Delete_RemovesTheRecordsFiles()
    {
        await using var server = await FileKit.StartAsync();
        var (record, collectionId) = await CreateAsync(server, f => f.Add(FileKit.Text("bye"), "attachments", "bye.txt"));

        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"{Docs}/{record.Str("id")}")).Status);

        await server.AssertStoredEventuallyAsync(collectionId, record.Str("id"));
    }

    [Fact]
    public async Task TheTypeIsSniffed_NotTakenFromTheClient_HtmlDisguisedAsPngIsRefused()
    {
        await using var server = await FileKit.StartAsync();

        var response = await server.SendFormAsync(HttpMethod.Post, Docs,
            f => f.Add(FileKit.File(Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>"), "image/png"), "cover", "photo.png"));

        response.AssertFieldError("Failed to create record.", "cover", "validation_invalid_mime_type");
        server.AssertNothingStored();
    }

    [Fact]
    public async Task AFileOverMaxSize_Is413_BeforeTheBodyIsReadInFull()
    {
        await using var server = await FileKit.StartAsync();
        var big = new byte[2 * 1024 * 1024];
        FileKit.Png.CopyTo(big, 0);

        var response = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(FileKit.File(big, "image/png"), "cover", "big.png"));

        response.AssertError(413);
        Assert.Equal("validation_file_size_limit", response.Json!["data"]!["cover"]!["code"]!.GetValue<string>());
        Assert.Empty(Directory.Exists(Path.Combine(server.DataDir, "temp")) ? Directory.EnumerateFiles(Path.Combine(server.DataDir, "temp")) : []);
    }

    [Fact]
    public async Task NamingAFileTheRecordDoesNotHold_IsRefused()
    {
        await using var server = await FileKit.StartAsync();

        var response = await server.SendAsync(HttpMethod.Post, Docs, new JsonObject { ["attachments"] = new JsonArray("../../data.db") });

        response.AssertFieldError("Failed to create record.", "attachments", "validation_invalid_file");
    }

    [Theory]
    [InlineData("../../../escape.txt")]
    [InlineData("..\\..\\escape.txt")]
    [InlineData("%2e%2e%2f%2e%2e%2fescape.txt")]
    [InlineData("%252e%252e%252fescape.txt")]
    [InlineData("\u202Etxt.exe")]
    public async Task HostileFileNames_AreStoredInsideTheRecordsFolder(string name)
    {
        await using var server = await FileKit.StartAsync();

        // The header is written by hand: HttpClient would refuse some of these names, a hostile client does not.
        var part = FileKit.Text("x");
        part.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"attachments\"; filename=\"{name.Replace("\\", "\\\\")}\"");
        var (record, collectionId) = await CreateAsync(server, f => f.Add(part));

        var stored = record.Names("attachments").Single();
        Assert.Matches("^[a-z0-9_]+_[a-z0-9]{10}(\\.[a-z0-9]+)?$", stored);
        Assert.Equal([stored], server.StoredFiles(collectionId, record.Str("id")));
        var all = Directory.EnumerateFiles(server.DataDir, "*", SearchOption.AllDirectories).Where(p => !p.EndsWith(".db") && !p.Contains(".db-")).ToList();
        Assert.All(all, p => Assert.StartsWith(Path.Combine(server.DataDir, "storage"), p));
    }

    [Fact]
    public async Task AFileNameWithNul_IsAMalformedBody()
    {
        await using var server = await FileKit.StartAsync();
        var part = FileKit.Text("x");
        part.Headers.TryAddWithoutValidation("Content-Disposition", "form-data; name=\"attachments\"; filename=\"evil\u0000.txt\"");

        var response = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(part));

        response.AssertError(400);
        server.AssertNothingStored();
    }

    [Fact]
    public async Task AVeryLongFileName_IsCut()
    {
        await using var server = await FileKit.StartAsync();

        var (record, _) = await CreateAsync(server, f => f.Add(FileKit.Text("x"), "attachments", new string('n', 10_000) + ".txt"));

        Assert.Equal(100 + 1 + 10 + 4, record.Names("attachments").Single().Length);
    }
}
