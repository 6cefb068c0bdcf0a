using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files;

/// <summary>
/// <c>GET /api/files/{collection}/{record}/{filename}</c> and <c>POST /api/files/token</c> (POCKETBASE_API.md 1.5):
/// files reached only through a record that names them, served with ranges, ETags and headers that keep a browser
/// from running them; protected files need a file token and the view rule.
/// </summary>
public sealed class FilesApiTests
{
    private static readonly byte[] Text = Encoding.UTF8.GetBytes("0123456789abcdefghij");

    private static async Task<(string Url, string CollectionId, string RecordId, string Name)> UploadAsync(TestServer server, string field, byte[] bytes, string name, string? token = null)
    {
        var response = await server.SendFormAsync(HttpMethod.Post, "/api/collections/docs/records", f => f.Add(FileKit.File(bytes), field, name), token);
        Assert.True(response.Status == 200, response.Text);
        var stored = response.Json.Names(field).Single();
        return ($"/api/files/{response.Json.Str("collectionId")}/{response.Json.Str("id")}/{stored}", response.Json.Str("collectionId"), response.Json.Str("id"), stored);
    }

    [Fact]
    public async Task Get_ServesTheBytes_WithTypeFromTheContent_AndSandboxingHeaders()
    {
        await using var server = await FileKit.StartAsync();
        var (url, _, _, name) = await UploadAsync(server, "cover", FileKit.Png, "pic.png");

        using var response = await server.GetFileAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FileKit.Png, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("inline", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(name, response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("max-age=2592000", response.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task MarkupAndDownloads_AreAttachments()
    {
        await using var server = await FileKit.StartAsync();
        var (svg, _, _, _) = await UploadAsync(server, "attachments", Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"), "x.svg");
        var (png, _, _, _) = await UploadAsync(server, "cover", FileKit.Png, "pic.png");

        using var asSvg = await server.GetFileAsync(svg);
        using var forced = await server.GetFileAsync(png + "?download=1");

        Assert.Equal(("image/svg+xml", "attachment"), (asSvg.Content.Headers.ContentType?.MediaType, asSvg.Content.Headers.ContentDisposition?.DispositionType));
        Assert.Equal("attachment", forced.Content.Headers.ContentDisposition?.DispositionType);
    }

    [Fact]
    public async Task Range_ReturnsThePart_AndAnUnsatisfiableOneIs416()
    {
        await using var server = await FileKit.StartAsync();
        var (url, _, _, _) = await UploadAsync(server, "attachments", Text, "t.txt");

        using var part = await server.GetFileAsync(url, r => r.Headers.Range = new RangeHeaderValue(5, 9));
        using var tail = await server.GetFileAsync(url, r => r.Headers.Range = new RangeHeaderValue(null, 3));
        using var beyond = await server.GetFileAsync(url, r => r.Headers.Range = new RangeHeaderValue(100, 200));

        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal("56789", await part.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("bytes 5-9/20", part.Content.Headers.ContentRange?.ToString());
        Assert.Equal("hij", await tail.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
    }

    [Fact]
    public async Task ETag_MakesARepeatedGet304()
    {
        await using var server = await FileKit.StartAsync();
        var (url, _, _, _) = await UploadAsync(server, "attachments", Text, "t.txt");
        using var first = await server.GetFileAsync(url);

        using var again = await server.GetFileAsync(url, r => r.Headers.IfNoneMatch.Add(first.Headers.ETag!));

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task MissingRecordFileOrCollection_Is404_AndNoPathLeavesTheRecord()
    {
        await using var server = await FileKit.StartAsync();
        var (url, collectionId, recordId, name) = await UploadAsync(server, "attachments", Text, "t.txt");

        foreach (var missing in new[]
        {
            $"/api/files/{collectionId}/{recordId}/other_file.txt",
            $"/api/files/{collectionId}/nosuchrecord123/{name}",
            $"/api/files/nosuchcollection/{recordId}/{name}",
            $"/api/files/{collectionId}/{recordId}/..%2F..%2Fdata.db",
            $"/api/files/{collectionId}/{recordId}/%2e%2e",
        })
        {
            using var response = await server.GetFileAsync(missing);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{missing}: {response.StatusCode}");
        }
        using var ok = await server.GetFileAsync(url);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task ProtectedFiles_NeedAFileToken_AndTheViewRule()
    {
        await using var server = await FileKit.StartAsync(coverOptions: ""","protected":true""");
        await server.CreateUsersAsync();
        var (_, token) = await server.CreateUserAsync("a@example.com");
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/docs", new JsonObject { ["viewRule"] = "@request.auth.id != ''" })).Status);
        var (url, _, _, _) = await UploadAsync(server, "cover", FileKit.Png, "secret.png");

        using var anonymous = await server.GetFileAsync(url);
        using var withHeaderOnly = await server.GetFileAsync(url, r => r.Headers.TryAddWithoutValidation("Authorization", token));
        var fileToken = (await server.SendAsync(HttpMethod.Post, "/api/files/token", token: token)).Json.Str("token");
        using var withFileToken = await server.GetFileAsync(url + "?token=" + fileToken);
        using var withAuthToken = await server.GetFileAsync(url + "?token=" + token);

        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withHeaderOnly.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withFileToken.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withAuthToken.StatusCode);
    }

    [Fact]
    public async Task Thumb_TheDefaultOrAListedSize_IsMadeOnce_OtherSizesGetTheOriginal()
    {
        await using var server = await FileKit.StartAsync(coverOptions: ""","thumbs":["40x20f"]""");
        var (url, collectionId, recordId, name) = await UploadAsync(server, "cover", FileKit.Image(200, 100), "pic.png");

        async Task<(int Width, int Height)> SizeOfAsync(string query)
        {
            using var response = await server.GetFileAsync(url + query);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var bitmap = SkiaSharp.SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
            return (bitmap.Width, bitmap.Height);
        }

        Assert.Equal((100, 100), await SizeOfAsync("?thumb=100x100"));
        Assert.Equal((40, 20), await SizeOfAsync("?thumb=40x20f"));
        Assert.Equal((200, 100), await SizeOfAsync("?thumb=50x50"));
        Assert.Equal((200, 100), await SizeOfAsync("?thumb=bogus"));
        Assert.True(File.Exists(Path.Combine(server.DataDir, "storage", collectionId, recordId, $"thumbs_{name}", $"100x100_{name}")));
    }

    [Fact]
    public async Task FileToken_NeedsASignedInRecord()
    {
        await using var server = await FileKit.StartAsync();

        (await server.SendAsync(HttpMethod.Post, "/api/files/token")).AssertError(401);
        Assert.False(string.IsNullOrEmpty((await server.AsSuperuser(HttpMethod.Post, "/api/files/token")).Json.Str("token")));
    }
}
