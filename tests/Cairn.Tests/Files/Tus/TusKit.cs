using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Cairn.Tests.Files.Tus;

/// <summary>The requests of a tus 1.0.0 client, sent with <c>Tus-Resumable</c> and the caller's token.</summary>
internal static class TusKit
{
    public const string Endpoint = "/api/tus";

    public static string Metadata(params (string Key, string Value)[] pairs) =>
        string.Join(",", pairs.Select(p => $"{p.Key} {Convert.ToBase64String(Encoding.UTF8.GetBytes(p.Value))}"));

    public static Task<HttpResponseMessage> TusAsync(this TestServer server, HttpMethod method, string url, string? token,
        Action<HttpRequestMessage>? configure = null, bool tus = true)
    {
        var request = new HttpRequestMessage(method, url);
        if (tus) request.Headers.Add("Tus-Resumable", "1.0.0");
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
        configure?.Invoke(request);
        return server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static Task<HttpResponseMessage> CreateUploadAsync(this TestServer server, string? token, long length, string? metadata = null, byte[]? firstChunk = null) =>
        server.TusAsync(HttpMethod.Post, Endpoint, token, r =>
        {
            r.Headers.Add("Upload-Length", length.ToString());
            if (metadata is not null) r.Headers.Add("Upload-Metadata", metadata);
            if (firstChunk is not null) r.Content = Chunk(firstChunk);
        });

    /// <summary>Creates an upload and returns its URL (the <c>Location</c>), failing the test otherwise.</summary>
    public static async Task<string> NewUploadAsync(this TestServer server, string token, long length, string? metadata = null)
    {
        using var created = await server.CreateUploadAsync(token, length, metadata);
        Assert.Equal(201, (int)created.StatusCode);
        return created.Headers.Location!.ToString();
    }

    public static Task<HttpResponseMessage> PatchAsync(this TestServer server, string? token, string url, long offset, byte[] bytes, string? checksum = null) =>
        server.TusAsync(HttpMethod.Patch, url, token, r =>
        {
            r.Headers.Add("Upload-Offset", offset.ToString());
            if (checksum is not null) r.Headers.Add("Upload-Checksum", checksum);
            r.Content = Chunk(bytes);
        });

    public static Task<HttpResponseMessage> HeadAsync(this TestServer server, string? token, string url) => server.TusAsync(HttpMethod.Head, url, token);

    /// <summary>Uploads <paramref name="bytes"/> in one PATCH and returns the upload id.</summary>
    public static async Task<string> UploadAsync(this TestServer server, string token, byte[] bytes, string name = "file.bin")
    {
        var url = await server.NewUploadAsync(token, bytes.Length, Metadata(("filename", name)));
        using var patched = await server.PatchAsync(token, url, 0, bytes);
        Assert.Equal(204, (int)patched.StatusCode);
        return url.Split('/').Last();
    }

    /// <summary>
    /// A PATCH written on a raw socket, for what HttpClient will not do: pause halfway through the body until
    /// <paramref name="pauseHalfway"/> completes, or close the connection after <paramref name="breakAfter"/> bytes
    /// (then the status is 0). Returns the response's status code.
    /// </summary>
    public static async Task<int> RawPatchAsync(this TestServer server, string url, string token, long offset, byte[] bytes,
        Task? pauseHalfway = null, int? breakAfter = null)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Client.BaseAddress!.Host, server.Client.BaseAddress.Port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        var head = $"PATCH {url} HTTP/1.1\r\nHost: localhost\r\nTus-Resumable: 1.0.0\r\nAuthorization: {token}\r\nUpload-Offset: {offset}\r\n" +
                   $"Content-Type: application/offset+octet-stream\r\nContent-Length: {bytes.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        if (breakAfter is { } cut)
        {
            await stream.WriteAsync(bytes.AsMemory(0, cut));
            await stream.FlushAsync();
            await Task.Delay(100);
            tcp.Client.Close();
            return 0;
        }
        var half = bytes.Length / 2;
        await stream.WriteAsync(bytes.AsMemory(0, half));
        await stream.FlushAsync();
        if (pauseHalfway is not null) await pauseHalfway;
        await stream.WriteAsync(bytes.AsMemory(half));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var status = await reader.ReadLineAsync(TestContext.Current.CancellationToken) ?? "";
        return int.Parse(status.Split(' ')[1]);
    }

    public static string Sha1(byte[] bytes) => "sha1 " + Convert.ToBase64String(SHA1.HashData(bytes));

    public static ByteArrayContent Chunk(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        return content;
    }

    public static long? Offset(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("Upload-Offset", out var values) ? long.Parse(values.Single()) : null;

    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content) : null;

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);
}
