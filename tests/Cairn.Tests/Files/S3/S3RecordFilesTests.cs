using System.Text.Json.Nodes;
using Cairn.Tests.Files.Tus;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files.S3;

/// <summary>A server whose files live in S3 (s3rver): uploads, serving with ranges and thumbnails, tus attachments and deletes all go to the bucket.</summary>
public sealed class S3RecordFilesTests(S3rver s3rver) : IClassFixture<S3rver>
{
    private const string Docs = "/api/collections/docs/records";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RecordFiles_AreStoredServedAndDeleted_InTheBucket()
    {
        var options = await s3rver.NewBucketAsync();
        await using var server = await FileKit.StartAsync(o => o with { S3 = options });
        using var s3 = s3rver.Client();
        var image = FileKit.Image(300, 200);

        var created = await server.SendFormAsync(HttpMethod.Post, Docs, f =>
        {
            f.Add(FileKit.File(image, "image/png"), "cover", "photo.png");
            f.Add(FileKit.Text("0123456789"), "attachments", "digits.txt");
        });
        Assert.True(created.Status == 200, created.Text);
        var (id, collectionId) = (created.Json.Str("id"), created.Json.Str("collectionId"));
        var cover = created.Json.Names("cover").Single();
        var digits = created.Json.Names("attachments").Single();

        var listed = await s3.ListObjectsV2Async(new() { BucketName = options.Bucket, Prefix = $"{collectionId}/{id}/" }, Ct);
        Assert.Equal(new[] { cover, digits }.Order(), listed.S3Objects!.Select(o => o.Key.Split('/').Last()).Order());
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "storage")) && Directory.EnumerateFiles(Path.Combine(server.DataDir, "storage"), "*", SearchOption.AllDirectories).Any());

        using var range = await server.GetFileAsync($"/api/files/docs/{id}/{digits}", r => r.Headers.Range = new(3, 5));
        Assert.Equal(206, (int)range.StatusCode);
        Assert.Equal("345", await range.Content.ReadAsStringAsync(Ct));
        using var thumb = await server.GetFileAsync($"/api/files/docs/{id}/{cover}?thumb=100x100");
        using (var decoded = SkiaSharp.SKBitmap.Decode(await thumb.Content.ReadAsByteArrayAsync(Ct)))
            Assert.Equal((100, 100), (decoded.Width, decoded.Height));

        var upload = await server.UploadAsync(server.SuperuserToken, "by tus"u8.ToArray(), "tus.txt");
        var appended = await server.AsSuperuser(HttpMethod.Patch, $"{Docs}/{id}", new JsonObject { ["attachments+"] = $"tus:{upload}" });
        Assert.True(appended.Status == 200, appended.Text);
        using (var tusFile = await server.GetFileAsync($"/api/files/docs/{id}/{appended.Json.Names("attachments")[1]}"))
            Assert.Equal("by tus", await tusFile.Content.ReadAsStringAsync(Ct));

        Assert.Equal(204, (await server.AsSuperuser(HttpMethod.Delete, $"{Docs}/{id}")).Status);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await s3.ListObjectsV2Async(new() { BucketName = options.Bucket, Prefix = $"{collectionId}/{id}/" }, Ct)).S3Objects is { Count: > 0 })
        {
            Assert.True(DateTime.UtcNow < deadline, "the deleted record's objects (thumbnails included) are still in the bucket");
            await Task.Delay(100, Ct);
        }
    }
}
