using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files;

/// <summary>
/// A server with <c>docs</c>: a single file field <c>cover</c> (images only, 1 MiB) and a multiple field
/// <c>attachments</c> (up to 3 files), every rule public; and the multipart requests the scenarios send.
/// </summary>
internal static class FileKit
{
    public static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89];

    /// <summary>A real, decodable PNG of the given size.</summary>
    public static byte[] Image(int width, int height)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height);
        bitmap.Erase(SkiaSharp.SKColors.Green);
        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        return image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray();
    }

    /// <summary>A decompression bomb's header: a valid PNG signature signature and IHDR claiming 50,000 × 50,000 pixels, and nothing else: 33 bytes.</summary>
    public static byte[] BombHeader()
    {
        var ihdr = new byte[17];
        Encoding.ASCII.GetBytes("IHDR").CopyTo(ihdr, 0);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 50_000);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), 50_000);
        ihdr[12] = 8; ihdr[13] = 6; // 8-bit RGBA
        var file = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 };
        file.AddRange(ihdr);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(ihdr));
        file.AddRange(crc);
        return [.. file];
    }

    public static async Task<TestServer> StartAsync(Func<CairnOptions, CairnOptions>? configure = null, string coverOptions = "")
    {
        var server = await TestServer.StartAsync(configure);
        await server.CreatePublicAsync("docs", $$"""
            [{"name":"title","type":"text"},
             {"name":"cover","type":"file","maxSelect":1,"maxSize":1048576,"mimeTypes":["image/png","image/jpeg"]{{coverOptions}}},
             {"name":"attachments","type":"file","maxSelect":3}]
            """);
        return server;
    }

    public static ByteArrayContent File(byte[] bytes, string type = "application/octet-stream")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    public static ByteArrayContent Text(string text) => File(Encoding.UTF8.GetBytes(text), "text/plain");

    /// <summary>Sends a multipart body built by <paramref name="build"/>.</summary>
    public static async Task<ApiResponse> SendFormAsync(this TestServer server, HttpMethod method, string url, Action<MultipartFormDataContent> build, string? token = null)
    {
        using var form = new MultipartFormDataContent();
        build(form);
        using var request = new HttpRequestMessage(method, url) { Content = form };
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonNode.Parse(text) : null;
        return new ApiResponse((int)response.StatusCode, json, text, response.Headers, response.Content.Headers);
    }

    public static async Task<HttpResponseMessage> GetFileAsync(this TestServer server, string url, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        configure?.Invoke(request);
        return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static string[] Names(this JsonNode? record, string field) => record![field] switch
    {
        JsonArray a => a.Select(n => n!.GetValue<string>()).ToArray(),
        JsonValue v when v.GetValue<string>() is { Length: > 0 } s => [s],
        _ => [],
    };

    /// <summary>The stored files of a record, as the local store holds them.</summary>
    public static string[] StoredFiles(this TestServer server, string collectionId, string recordId)
    {
        var folder = Path.Combine(server.DataDir, "storage", collectionId, recordId);
        return Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Select(p => Path.GetFileName(p)).Order().ToArray() : [];
    }

    public static void AssertNothingStored(this TestServer server)
    {
        var storage = Path.Combine(server.DataDir, "storage");
        Assert.Empty(Directory.Exists(storage) ? Directory.EnumerateFiles(storage, "*", SearchOption.AllDirectories) : []);
    }

    /// <summary>Waits for the after-commit cleanup to leave exactly <paramref name="expected"/> in the record's folder.</summary>
    public static async Task AssertStoredEventuallyAsync(this TestServer server, string collectionId, string recordId, params string[] expected)
    {
        for (var i = 0; i < 100 && !server.StoredFiles(collectionId, recordId).SequenceEqual(expected.Order()); i++)
            await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(expected.Order(), server.StoredFiles(collectionId, recordId));
    }
}
