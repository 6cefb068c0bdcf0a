using System.Net;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files.Tus;

/// <summary>
/// The tus 1.0.0 protocol at <c>/api/tus</c>: discovery, creation (with and without a first chunk), HEAD and PATCH
/// with offsets, checksums, termination, expiry, ownership, and the offset surviving a restart and a broken connection.
/// </summary>
public sealed class TusApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Options_DescribesTheProtocol_WithoutNeedingTusResumable()
    {
        await using var server = await TestServer.StartAsync(o => o with { Tus = new() { MaxSize = 1_000_000 } });

        using var response = await server.TusAsync(HttpMethod.Options, TusKit.Endpoint, token: null, tus: false);

        Assert.Equal(204, (int)response.StatusCode);
        Assert.Equal("1.0.0", response.Header("Tus-Resumable"));
        Assert.Equal("1.0.0", response.Header("Tus-Version"));
        Assert.Equal("creation,creation-with-upload,termination,expiration,checksum", response.Header("Tus-Extension"));
        Assert.Equal("1000000", response.Header("Tus-Max-Size"));
        Assert.Equal("sha1", response.Header("Tus-Checksum-Algorithm"));
    }

    [Fact]
    public async Task ARequestWithoutTusResumable_Is412_NamingTheVersion()
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.TusAsync(HttpMethod.Post, TusKit.Endpoint, server.SuperuserToken, r => r.Headers.Add("Upload-Length", "10"), tus: false);

        Assert.Equal(412, (int)response.StatusCode);
        Assert.Equal("1.0.0", response.Header("Tus-Version"));
    }

    [Fact]
    public async Task Creation_NeedsASignedInIdentity()
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.CreateUploadAsync(token: null, 10);

        Assert.Equal(401, (int)response.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "tus")) && Directory.EnumerateFiles(Path.Combine(server.DataDir, "tus")).Any());
    }

    [Fact]
    public async Task Creation_GivesALocation_AndHeadReportsOffsetLengthAndMetadata()
    {
        await using var server = await TestServer.StartAsync();
        var metadata = TusKit.Metadata(("filename", "report.pdf"), ("filetype", "application/pdf"));

        using var created = await server.CreateUploadAsync(server.SuperuserToken, 1234, metadata);
        Assert.Equal(201, (int)created.StatusCode);
        var location = created.Headers.Location!.ToString();
        Assert.Matches("^/api/tus/[0-9a-f]{32}$", location);
        Assert.NotNull(created.Header("Upload-Expires"));

        using var head = await server.HeadAsync(server.SuperuserToken, location);
        Assert.Equal(200, (int)head.StatusCode);
        Assert.Equal(0, head.Offset());
        Assert.Equal("1234", head.Header("Upload-Length"));
        Assert.Equal(metadata, head.Header("Upload-Metadata"));
        Assert.Equal("no-store", head.Headers.CacheControl?.ToString());
        Assert.True(DateTimeOffset.Parse(head.Header("Upload-Expires")!) > DateTimeOffset.UtcNow.AddHours(23));
    }

    [Fact]
    public async Task Patch_AppendsChunksAtTheirOffsets()
    {
        await using var server = await TestServer.StartAsync();
        var bytes = TusKit.RandomBytes(300_000);
        var url = await server.NewUploadAsync(server.SuperuserToken, bytes.Length);

        foreach (var (offset, length) in new[] { (0, 100_000), (100_000, 150_000), (250_000, 50_000) })
        {
            using var patched = await server.PatchAsync(server.SuperuserToken, url, offset, bytes[offset..(offset + length)]);
            Assert.Equal(204, (int)patched.StatusCode);
            Assert.Equal(offset + length, patched.Offset());
        }

        using var head = await server.HeadAsync(server.SuperuserToken, url);
        Assert.Equal(bytes.Length, head.Offset());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "tus", url.Split('/').Last() + ".bin"), Ct));
    }

    [Fact]
    public async Task Patch_AtAnotherOffset_Is409_AndChangesNothing()
    {
        await using var server = await TestServer.StartAsync();
        var url = await server.NewUploadAsync(server.SuperuserToken, 100);
        (await server.PatchAsync(server.SuperuserToken, url, 0, new byte[40])).Dispose();

        using var behind = await server.PatchAsync(server.SuperuserToken, url, 0, new byte[10]);
        using var ahead = await server.PatchAsync(server.SuperuserToken, url, 60, new byte[10]);

        Assert.Equal(409, (int)behind.StatusCode);
        Assert.Equal(409, (int)ahead.StatusCode);
        using var head = await server.HeadAsync(server.SuperuserToken, url);
        Assert.Equal(40, head.Offset());
    }

    [Fact]
    public async Task Patch_RequiresTheChunkContentType_AndAnOffset()
    {
        await using var server = await TestServer.StartAsync();
        var url = await server.NewUploadAsync(server.SuperuserToken, 100);

        using var wrongType = await server.TusAsync(HttpMethod.Patch, url, server.SuperuserToken, r =>
        {
            r.Headers.Add("Upload-Offset", "0");
            r.Content = FileKit.Text("hello");
        });
        using var noOffset = await server.TusAsync(HttpMethod.Patch, url, server.SuperuserToken, r => r.Content = TusKit.Chunk(new byte[5]));
        using var badOffset = await server.TusAsync(HttpMethod.Patch, url, server.SuperuserToken, r =>
        {
            r.Headers.Add("Upload-Offset", "-1");
            r.Content = TusKit.Chunk(new byte[5]);
        });

        Assert.Equal(415, (int)wrongType.StatusCode);
        Assert.Equal(400, (int)noOffset.StatusCode);
        Assert.Equal(400, (int)badOffset.StatusCode);
    }

    [Fact]
    public async Task Patch_PastTheUploadsLength_Is413_AndTheOffsetStays()
    {
        await using var server = await TestServer.StartAsync();
        var url = await server.NewUploadAsync(server.SuperuserToken, 100);
        (await server.PatchAsync(server.SuperuserToken, url, 0, new byte[90])).Dispose();

        using var tooLong = await server.PatchAsync(server.SuperuserToken, url, 90, new byte[20]);

        Assert.Equal(413, (int)tooLong.StatusCode);
        using var head = await server.HeadAsync(server.SuperuserToken, url);
        Assert.Equal(90, head.Offset());
    }

    [Fact]
    public async Task Checksum_AMatchingChunkIsKept_AMismatchIs460AndDiscarded()
    {
        await using var server = await TestServer.StartAsync();
        var bytes = TusKit.RandomBytes(2000);
        var url = await server.NewUploadAsync(server.SuperuserToken, bytes.Length);

        using var good = await server.PatchAsync(server.SuperuserToken, url, 0, bytes[..1000], TusKit.Sha1(bytes[..1000]));
        using var bad = await server.PatchAsync(server.SuperuserToken, url, 1000, bytes[1000..], TusKit.Sha1(bytes[..1000]));
        using var unknown = await server.PatchAsync(server.SuperuserToken, url, 1000, bytes[1000..], "md5 " + Convert.ToBase64String(new byte[16]));
        using var garbled = await server.PatchAsync(server.SuperuserToken, url, 1000, bytes[1000..], "sha1 not-base64!");

        Assert.Equal(204, (int)good.StatusCode);
        Assert.Equal(460, (int)bad.StatusCode);
        Assert.Equal(400, (int)unknown.StatusCode);
        Assert.Equal(400, (int)garbled.StatusCode);
        using var head = await server.HeadAsync(server.SuperuserToken, url);
        Assert.Equal(1000, head.Offset());
        Assert.Equal(bytes[..1000], await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "tus", url.Split('/').Last() + ".bin"), Ct));
    }

    [Fact]
    public async Task CreationWithUpload_StoresTheFirstChunk()
    {
        await using var server = await TestServer.StartAsync();
        var bytes = TusKit.RandomBytes(5000);

        using var created = await server.CreateUploadAsync(server.SuperuserToken, 8000, firstChunk: bytes);

        Assert.Equal(201, (int)created.StatusCode);
        Assert.Equal(5000, created.Offset());
        using var head = await server.HeadAsync(server.SuperuserToken, created.Headers.Location!.ToString());
        Assert.Equal(5000, head.Offset());
    }

    [Fact]
    public async Task AnEmptyUpload_IsFinishedAtCreation()
    {
        await using var server = await TestServer.StartAsync();

        var url = await server.NewUploadAsync(server.SuperuserToken, 0);

        using var head = await server.HeadAsync(server.SuperuserToken, url);
        Assert.Equal(0, head.Offset());
        Assert.Equal("0", head.Header("Upload-Length"));
    }

    [Fact]
    public async Task Termination_DeletesTheUploadAndItsBytes()
    {
        await using var server = await TestServer.StartAsync();
        var url = await server.NewUploadAsync(server.SuperuserToken, 100);
        (await server.PatchAsync(server.SuperuserToken, url, 0, new byte[50])).Dispose();

        using var deleted = await server.TusAsync(HttpMethod.Delete, url, server.SuperuserToken);

        Assert.Equal(204, (int)deleted.StatusCode);
        using var head = await server.HeadAsync(server.SuperuserToken, url);
        Assert.Equal(404, (int)head.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.DataDir, "tus")));
    }

    [Fact]
    public async Task AnotherIdentitysUpload_LooksMissing()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (_, mallory) = await server.CreateUserAsync("mallory@example.com");
        var url = await server.NewUploadAsync(server.SuperuserToken, 100);

        using var head = await server.HeadAsync(mallory, url);
        using var patch = await server.PatchAsync(mallory, url, 0, new byte[10]);
        using var delete = await server.TusAsync(HttpMethod.Delete, url, mallory);
        using var guest = await server.HeadAsync(null, url);
        using var unknown = await server.HeadAsync(server.SuperuserToken, "/api/tus/" + new string('a', 32));
        using var traversal = await server.HeadAsync(server.SuperuserToken, "/api/tus/..%2F..%2Fdata.db");

        Assert.Equal(404, (int)head.StatusCode);
        Assert.Equal(404, (int)patch.StatusCode);
        Assert.Equal(404, (int)delete.StatusCode);
        Assert.Equal(401, (int)guest.StatusCode);
        Assert.Equal(404, (int)unknown.StatusCode);
        Assert.Equal(404, (int)traversal.StatusCode);
        using var mine = await server.HeadAsync(server.SuperuserToken, url);
        Assert.Equal(0, mine.Offset());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("-5", null)]
    [InlineData("ten", null)]
    [InlineData("10", "filename not base64!")]
    [InlineData("10", "filename YQ==,filename Yg==")]
    [InlineData("10", "file name")]
    public async Task MalformedCreation_Is400(string? length, string? metadata)
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.TusAsync(HttpMethod.Post, TusKit.Endpoint, server.SuperuserToken, r =>
        {
            if (length is not null) r.Headers.TryAddWithoutValidation("Upload-Length", length);
            if (metadata is not null) r.Headers.TryAddWithoutValidation("Upload-Metadata", metadata);
        });

        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task DeferredLength_IsNotOffered()
    {
        await using var server = await TestServer.StartAsync();

        using var response = await server.TusAsync(HttpMethod.Post, TusKit.Endpoint, server.SuperuserToken, r => r.Headers.Add("Upload-Defer-Length", "1"));

        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task AnUploadLargerThanTheMaximum_Is413_BeforeAByteIsSent()
    {
        await using var server = await FileKit.StartAsync(o => o with { Tus = new() { MaxSize = 10_000 } });

        using var tooLarge = await server.CreateUploadAsync(server.SuperuserToken, 10_001);
        // docs.cover allows 1 MiB; naming it in the metadata applies that limit at creation.
        using var tooLargeForField = await server.CreateUploadAsync(server.SuperuserToken, 5_000,
            TusKit.Metadata(("collection", "docs"), ("field", "cover")));

        Assert.Equal(413, (int)tooLarge.StatusCode);
        Assert.Equal(201, (int)tooLargeForField.StatusCode);
        await using var strict = await FileKit.StartAsync();
        using var overField = await strict.CreateUploadAsync(strict.SuperuserToken, 2_000_000, TusKit.Metadata(("collection", "docs"), ("field", "cover")));
        Assert.Equal(413, (int)overField.StatusCode);
        Assert.Contains("validation_file_size_limit", await overField.Content.ReadAsStringAsync(Ct));
        using var noSuchField = await strict.CreateUploadAsync(strict.SuperuserToken, 10, TusKit.Metadata(("collection", "docs"), ("field", "title")));
        Assert.Equal(400, (int)noSuchField.StatusCode);
    }

    [Fact]
    public async Task AnAbandonedUpload_ExpiresAndIsSweptAway()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o => o with { Tus = new() { Expiry = TimeSpan.FromHours(2) } },
            s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<TimeProvider>(s, clock));
        var stale = await server.NewUploadAsync(server.SuperuserToken, 100);
        clock.Advance(TimeSpan.FromHours(1));
        var fresh = await server.NewUploadAsync(server.SuperuserToken, 100);
        clock.Advance(TimeSpan.FromMinutes(61));

        using var staleHead = await server.HeadAsync(server.SuperuserToken, stale);
        using var freshHead = await server.HeadAsync(server.SuperuserToken, fresh);
        await server.Service<global::Cairn.Files.Tus.TusUploads>().SweepAsync(Ct);

        Assert.Equal(404, (int)staleHead.StatusCode);
        Assert.Equal(200, (int)freshHead.StatusCode);
        var left = Directory.EnumerateFiles(Path.Combine(server.DataDir, "tus")).Select(Path.GetFileNameWithoutExtension).Distinct().ToArray();
        Assert.Equal([fresh.Split('/').Last()], left);
    }

    [Fact]
    public async Task TheOffset_SurvivesARestart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cairn-tus-" + Guid.NewGuid().ToString("N"));
        var database = await TestDatabase.CreateAsync(); // the same superuser, who owns the upload, after the restart
        try
        {
            var bytes = TusKit.RandomBytes(200_000);
            string url;
            await using (var first = await TestServer.StartAsync(o => o with { DataDir = dataDir, Database = database }))
            {
                url = await first.NewUploadAsync(first.SuperuserToken, bytes.Length);
                (await first.PatchAsync(first.SuperuserToken, url, 0, bytes[..120_000])).Dispose();
            }
            await using var second = await TestServer.StartAsync(o => o with { DataDir = dataDir, Database = database });

            using var head = await second.HeadAsync(second.SuperuserToken, url);
            Assert.Equal(120_000, head.Offset());
            using var rest = await second.PatchAsync(second.SuperuserToken, url, 120_000, bytes[120_000..]);
            Assert.Equal(204, (int)rest.StatusCode);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(dataDir, "tus", url.Split('/').Last() + ".bin"), Ct));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
            await TestDatabase.DropAsync(database);
        }
    }

    [Fact]
    public async Task ABrokenConnection_KeepsWhatArrived_AndTheUploadResumesFromThere()
    {
        await using var server = await TestServer.StartAsync(o => o with { Tus = new() { CheckpointBytes = 64 * 1024 } });
        var bytes = TusKit.RandomBytes(1_000_000);
        var url = await server.NewUploadAsync(server.SuperuserToken, bytes.Length);

        // The client announces the whole 1 MB chunk, sends 400 kB of it, and its connection dies.
        await server.RawPatchAsync(url, server.SuperuserToken, 0, bytes, breakAfter: 400_000);

        using var head = await server.HeadAsync(server.SuperuserToken, url);
        var offset = head.Offset()!.Value;
        Assert.InRange(offset, 1, 400_000);
        using var rest = await server.PatchAsync(server.SuperuserToken, url, offset, bytes[(int)offset..]);
        Assert.Equal(204, (int)rest.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "tus", url.Split('/').Last() + ".bin"), Ct));
    }

    [Fact]
    public async Task ConcurrentPatches_AreSerialised_TheLaterOneSeesTheNewOffset()
    {
        await using var server = await TestServer.StartAsync();
        var first = TusKit.RandomBytes(1000);
        var url = await server.NewUploadAsync(server.SuperuserToken, first.Length);
        var release = new TaskCompletionSource();

        var slow = server.RawPatchAsync(url, server.SuperuserToken, 0, first, pauseHalfway: release.Task);
        await Task.Delay(300, Ct); // the slow PATCH holds the upload now
        var racing = server.PatchAsync(server.SuperuserToken, url, 0, new byte[1000]);
        await Task.Delay(300, Ct);
        Assert.False(racing.IsCompleted);
        release.SetResult();

        Assert.Equal(204, await slow);
        using var racingResponse = await racing;
        Assert.Equal(409, (int)racingResponse.StatusCode);
        Assert.Equal(first, await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "tus", url.Split('/').Last() + ".bin"), Ct));
    }

    [Fact]
    public async Task ARequestThatCannotGetTheUpload_Is423()
    {
        await using var server = await TestServer.StartAsync(o => o with { Tus = new() { LockWait = TimeSpan.FromMilliseconds(200) } });
        var url = await server.NewUploadAsync(server.SuperuserToken, 1000);
        var release = new TaskCompletionSource();
        var slow = server.RawPatchAsync(url, server.SuperuserToken, 0, new byte[1000], pauseHalfway: release.Task);
        await Task.Delay(300, Ct);

        using var head = await server.HeadAsync(server.SuperuserToken, url);
        release.SetResult();
        Assert.Equal(204, await slow);

        Assert.Equal(423, (int)head.StatusCode);
    }

    [Fact]
    public async Task MethodOverride_LetsAPostActAsPatch()
    {
        await using var server = await TestServer.StartAsync();
        var url = await server.NewUploadAsync(server.SuperuserToken, 10);

        using var response = await server.TusAsync(HttpMethod.Post, url, server.SuperuserToken, r =>
        {
            r.Headers.Add("X-HTTP-Method-Override", "PATCH");
            r.Headers.Add("Upload-Offset", "0");
            r.Content = TusKit.Chunk(new byte[10]);
        });

        Assert.Equal(204, (int)response.StatusCode);
        Assert.Equal(10, response.Offset());
    }
}
