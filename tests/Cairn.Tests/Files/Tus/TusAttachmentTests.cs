using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Files.Tus;

/// <summary>
/// A finished tus upload becomes a record's file when a create or update names it as <c>tus:ID</c>: the field's
/// limits and sniffed types apply as to a multipart file, the upload is used up once the record is saved, and a
/// refused write leaves it in place to try again.
/// </summary>
public sealed class TusAttachmentTests
{
    private const string Docs = "/api/collections/docs/records";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Id(string url) => url.Split('/').Last();

    [Fact]
    public async Task AFinishedUpload_BecomesTheRecordsFile_AndIsUsedUp()
    {
        await using var server = await FileKit.StartAsync();
        var bytes = TusKit.RandomBytes(300_000);
        var id = await server.UploadAsync(server.SuperuserToken, bytes, "Quarterly Report.pdf");

        var created = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["title"] = "q3", ["attachments"] = new JsonArray($"tus:{id}") });

        Assert.True(created.Status == 200, created.Text);
        var name = created.Json.Names("attachments").Single();
        Assert.Matches("^quarterly_report_[a-z0-9]{10}\\.pdf$", name);
        using var file = await server.GetFileAsync($"/api/files/docs/{created.Json.Str("id")}/{name}");
        Assert.Equal(bytes, await file.Content.ReadAsByteArrayAsync(Ct));
        using var head = await server.HeadAsync(server.SuperuserToken, $"/api/tus/{id}");
        Assert.Equal(404, (int)head.StatusCode);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.DataDir, "tus")));
    }

    [Fact]
    public async Task PlusAppends_AnUploadToAnExistingRecord()
    {
        await using var server = await FileKit.StartAsync();
        var created = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["attachments"] = new JsonArray($"tus:{await server.UploadAsync(server.SuperuserToken, "first"u8.ToArray(), "a.txt")}") });
        var second = await server.UploadAsync(server.SuperuserToken, "second"u8.ToArray(), "b.txt");

        var updated = await server.AsSuperuser(HttpMethod.Patch, $"{Docs}/{created.Json.Str("id")}", new JsonObject { ["attachments+"] = $"tus:{second}" });

        Assert.True(updated.Status == 200, updated.Text);
        var names = updated.Json.Names("attachments");
        Assert.Equal(2, names.Length);
        Assert.Equal(created.Json.Names("attachments")[0], names[0]);
        using var file = await server.GetFileAsync($"/api/files/docs/{created.Json.Str("id")}/{names[1]}");
        Assert.Equal("second", await file.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task AnUnfinishedForeignOrUnknownUpload_FailsValidation_AndIsLeftAlone()
    {
        await using var server = await FileKit.StartAsync();
        await server.CreateUsersAsync();
        var (_, alice) = await server.CreateUserAsync("alice@example.com");
        var unfinished = await server.NewUploadAsync(server.SuperuserToken, 100);
        var alices = await server.UploadAsync(alice, "alice's"u8.ToArray());

        foreach (var reference in new[] { $"tus:{Id(unfinished)}", $"tus:{alices}", $"tus:{new string('0', 32)}", "tus:../../data.db" })
        {
            var response = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["attachments"] = reference });
            response.AssertFieldError("Failed to create record.", "attachments", "validation_invalid_file");
        }

        using var stillThere = await server.HeadAsync(alice, $"/api/tus/{alices}");
        Assert.Equal(200, (int)stillThere.StatusCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(server.DataDir, "storage")));
    }

    [Fact]
    public async Task TheFieldsLimits_Apply_AndARefusedWriteKeepsTheUpload()
    {
        await using var server = await FileKit.StartAsync();
        // docs.cover takes images of at most 1 MiB.
        var text = await server.UploadAsync(server.SuperuserToken, "<html><script>alert(1)</script></html>"u8.ToArray(), "cover.png");
        var big = await server.UploadAsync(server.SuperuserToken, [.. FileKit.Png, .. new byte[1_100_000]], "big.png");

        var wrongType = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["cover"] = $"tus:{text}" });
        var tooBig = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["cover"] = $"tus:{big}" });

        wrongType.AssertFieldError("Failed to create record.", "cover", "validation_invalid_mime_type");
        tooBig.AssertFieldError("Failed to create record.", "cover", "validation_file_size_limit");
        using var textHead = await server.HeadAsync(server.SuperuserToken, $"/api/tus/{text}");
        using var bigHead = await server.HeadAsync(server.SuperuserToken, $"/api/tus/{big}");
        Assert.Equal(200, (int)textHead.StatusCode);
        Assert.Equal(200, (int)bigHead.StatusCode);
        var fine = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["attachments"] = $"tus:{text}" });
        Assert.True(fine.Status == 200, fine.Text);
    }

    [Fact]
    public async Task AnUploadCanBeAttachedOnce()
    {
        await using var server = await FileKit.StartAsync();
        var id = await server.UploadAsync(server.SuperuserToken, "once"u8.ToArray());

        var first = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["attachments"] = $"tus:{id}" });
        var second = await server.AsSuperuser(HttpMethod.Post, Docs, new JsonObject { ["attachments"] = $"tus:{id}" });

        Assert.Equal(200, first.Status);
        second.AssertFieldError("Failed to create record.", "attachments", "validation_invalid_file");
    }
}
