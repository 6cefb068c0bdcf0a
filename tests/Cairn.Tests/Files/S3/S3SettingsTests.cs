using System.Text.Json.Nodes;
using Cairn.Files.S3;
using Cairn.Tests.Records;
using Cairn.Tests.Settings;

namespace Cairn.Tests.Files.S3;

/// <summary><c>settings.s3</c> at run time: new files follow it without a restart, and <c>POST /api/settings/test/s3</c> tries the bucket for real.</summary>
public sealed class S3SettingsTests(S3rver s3rver) : IClassFixture<S3rver>
{
    private const string Docs = "/api/collections/docs/records";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string S3Patch(S3Options bucket, bool enabled = true) => new JsonObject
    {
        ["s3"] = new JsonObject
        {
            ["enabled"] = enabled, ["bucket"] = bucket.Bucket, ["endpoint"] = bucket.Endpoint, ["region"] = "us-east-1",
            ["accessKey"] = bucket.AccessKey, ["secret"] = bucket.SecretKey, ["forcePathStyle"] = true,
        },
    }.ToJsonString();

    private static async Task<(string Id, string Name)> UploadAsync(TestServer server, string text)
    {
        var created = await server.SendFormAsync(HttpMethod.Post, Docs, f => f.Add(FileKit.Text(text), "attachments", "note.txt"));
        Assert.True(created.Status == 200, created.Text);
        return (created.Json.Str("id"), created.Json.Names("attachments").Single());
    }

    private static async Task<string?> ReadAsync(TestServer server, string id, string name)
    {
        using var response = await server.GetFileAsync($"/api/files/docs/{id}/{name}");
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(Ct) : null;
    }

    [Fact]
    public async Task New_files_follow_the_s3_setting_without_a_restart()
    {
        var bucket = await s3rver.NewBucketAsync();
        await using var server = await FileKit.StartAsync();
        using var s3 = s3rver.Client();
        var local = await UploadAsync(server, "kept locally");

        await server.PatchSettingsAsync(S3Patch(bucket));
        var remote = await UploadAsync(server, "kept in the bucket");

        var objects = (await s3.ListObjectsV2Async(new() { BucketName = bucket.Bucket }, Ct)).S3Objects ?? [];
        Assert.Contains(objects, o => o.Key.EndsWith($"/{remote.Id}/{remote.Name}", StringComparison.Ordinal));
        Assert.Equal("kept in the bucket", await ReadAsync(server, remote.Id, remote.Name));
        Assert.Null(await ReadAsync(server, local.Id, local.Name)); // files are not moved between stores

        await server.PatchSettingsAsync("""{"s3":{"enabled":false}}""");
        Assert.Equal("kept locally", await ReadAsync(server, local.Id, local.Name));
    }

    [Fact]
    public async Task The_s3_test_writes_reads_and_deletes_a_probe_object_in_the_configured_bucket()
    {
        var bucket = await s3rver.NewBucketAsync();
        await using var server = await FileKit.StartAsync();
        using var s3 = s3rver.Client();
        var test = () => server.AsSuperuser(HttpMethod.Post, "/api/settings/test/s3", JsonNode.Parse("""{"filesystem":"storage"}"""));

        (await test()).AssertError(400, "S3 storage filesystem is not enabled.");
        (await server.AsSuperuser(HttpMethod.Post, "/api/settings/test/s3", JsonNode.Parse("""{"filesystem":"backups"}""")))
            .AssertFieldError("An error occurred while validating the submitted data.", "filesystem", "validation_in_invalid");

        await server.PatchSettingsAsync(S3Patch(bucket));
        Assert.Equal(204, (await test()).Status);
        Assert.Empty((await s3.ListObjectsV2Async(new() { BucketName = bucket.Bucket }, Ct)).S3Objects ?? []);

        await server.PatchSettingsAsync(S3Patch(bucket with { Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] }));
        var failed = await test();
        failed.AssertError(400);
        Assert.StartsWith("Failed to initialize the S3 storage", failed.Json!["message"]!.GetValue<string>());
        Assert.DoesNotContain(bucket.SecretKey, failed.Text);

        Assert.Equal(401, (await server.SendAsync(HttpMethod.Post, "/api/settings/test/s3", JsonNode.Parse("""{"filesystem":"storage"}"""))).Status); // superusers only
    }
}
