using System.Text.Json.Nodes;
using Cairn.Mail;
using Cairn.Storage;
using Cairn.Tests.Mail;
using Cairn.Tests.Records;

namespace Cairn.Tests.Settings;

/// <summary><c>/api/settings</c> (POCKETBASE_API.md 1.7): the document's shape, partial updates and their validation, who may call, secrets, persistence.</summary>
public sealed class SettingsApiTests
{
    private const string Invalid = "An error occurred while validating the submitted data.";

    private static Task<TestServer> StartWithSmtpFlagAsync() => TestServer.StartAsync(o => o with
    {
        Smtp = SmtpOptions.TryParse("smtp://mailer:flag-secret-123@127.0.0.1:2525", "none", out _)! with { FromAddress = "flags@example.com" },
    });

    /// <summary>The stored row, read straight from the data database (null before the first save).</summary>
    private static Task<string?> StoredAsync(TestServer server) =>
        server.Service<IDatabase>().ReadAsync(c => c.Scalar("""SELECT "value" FROM "_params" WHERE "id" = 'settings'""") as string);

    [Fact]
    public async Task Get_IsTheWholeDocument_WithoutSecrets()
    {
        await using var server = await StartWithSmtpFlagAsync();

        var response = await server.AsSuperuser(HttpMethod.Get, "/api/settings");

        Assert.Equal(200, response.Status);
        var settings = response.Json!;
        foreach (var section in new[] { "meta", "smtp", "s3", "batch", "rateLimits", "trustedProxy", "logs", "superuserIPs" })
            Assert.NotNull(settings[section]);
        Assert.Equal("Cairn", settings["meta"].Str("appName"));
        Assert.StartsWith("http://127.0.0.1:", settings["meta"].Str("appURL"));
        Assert.Equal("flags@example.com", settings["meta"].Str("senderAddress"));
        Assert.True(settings["smtp"]!["enabled"]!.GetValue<bool>());
        Assert.Equal("mailer", settings["smtp"].Str("username"));
        Assert.Equal("none", settings["smtp"].Str("security"));
        Assert.Equal(4, settings["rateLimits"]!["rules"]!.AsArray().Count); // PocketBase's default rules
        Assert.Equal(["X-Forwarded-For", "X-Real-IP"], settings["trustedProxy"]!["headers"]!.AsArray().Select(h => h!.GetValue<string>()));
        Assert.Equal(3, settings["batch"]!["timeout"]!.GetValue<double>());
        Assert.False(settings["smtp"]!.AsObject().ContainsKey("password"));
        Assert.False(settings["s3"]!.AsObject().ContainsKey("secret"));
        Assert.DoesNotContain("flag-secret-123", response.Text);
        Assert.Null(await StoredAsync(server)); // nothing is stored until a superuser saves
    }

    [Fact]
    public async Task Patch_MergesIntoTheDocument_AndAnswersWithTheWholeOfIt()
    {
        await using var server = await TestServer.StartAsync();
        var before = (await server.AsSuperuser(HttpMethod.Get, "/api/settings")).Json!;

        var after = await server.PatchSettingsAsync("""{"meta":{"appName":"Acme"},"logs":{"minLevel":4},"unknown":{"x":1},"batch":{"nope":true}}""");

        Assert.Equal("Acme", after["meta"].Str("appName"));
        Assert.Equal(before["meta"].Str("appURL"), after["meta"].Str("appURL"));
        Assert.Equal(4, after["logs"]!["minLevel"]!.GetValue<int>());
        Assert.Equal(before["logs"]!["maxDays"]!.GetValue<int>(), after["logs"]!["maxDays"]!.GetValue<int>());
        Assert.Equal(before["batch"]!.ToJsonString(), after["batch"]!.ToJsonString());
        Assert.False(after.ContainsKey("unknown"));
        Assert.Equal(after.ToJsonString(), (await server.AsSuperuser(HttpMethod.Get, "/api/settings")).Json!.ToJsonString());
    }

    [Fact]
    public async Task Patch_InvalidValues_Are400_WithNestedFieldErrors_AndChangeNothing()
    {
        await using var server = await TestServer.StartAsync();
        var before = (await server.AsSuperuser(HttpMethod.Get, "/api/settings")).Text;

        var response = await server.AsSuperuser(HttpMethod.Patch, "/api/settings", JsonNode.Parse("""
            {"meta":{"appName":"Changed","appURL":"not a url","senderAddress":"nobody"},
             "rateLimits":{"rules":[{"label":"/api/","duration":60,"maxRequests":10},{"label":"*:list","duration":0,"maxRequests":1}]},
             "trustedProxy":{"proxies":["10.0.0.1/8"]},"superuserIPs":["203.0.113.1","nope"],"smtp":{"enabled":true,"host":""},
             "batch":{"maxRequests":-1,"timeout":100000},"logs":{"maxDays":100000}}
            """));

        response.AssertError(400, Invalid);
        var data = response.Json!["data"]!;
        Assert.Equal("validation_is_url", data["meta"]!["appURL"].Str("code"));
        Assert.Equal("Must be a valid URL.", data["meta"]!["appURL"].Str("message"));
        Assert.Equal("validation_is_email", data["meta"]!["senderAddress"].Str("code"));
        Assert.Equal("validation_invalid_value", data["rateLimits"]!["rules"]!["1"]!["duration"].Str("code"));
        Assert.Null(data["rateLimits"]!["rules"]!["0"]);
        Assert.NotNull(data["trustedProxy"]!["proxies"]!["0"]);
        Assert.NotNull(data["superuserIPs"]!["1"]);
        Assert.Equal("validation_required", data["smtp"]!["host"].Str("code"));
        Assert.Equal("validation_min_greater_equal_than_required", data["batch"]!["maxRequests"].Str("code"));
        Assert.Equal("validation_max_less_equal_than_required", data["batch"]!["timeout"].Str("code"));
        Assert.Equal("validation_max_less_equal_than_required", data["logs"]!["maxDays"].Str("code"));
        Assert.Equal(before, (await server.AsSuperuser(HttpMethod.Get, "/api/settings")).Text);
    }

    [Fact]
    public async Task Patch_ValuesOfTheWrongType_AreFieldErrors()
    {
        await using var server = await TestServer.StartAsync();

        var response = await server.AsSuperuser(HttpMethod.Patch, "/api/settings",
            JsonNode.Parse("""{"batch":{"enabled":"yes","maxRequests":1.5,"timeout":1e300},"smtp":{"port":1e12},"logs":"off","superuserIPs":"127.0.0.1"}"""));

        response.AssertError(400, Invalid);
        var data = response.Json!["data"]!;
        Assert.NotNull(data["batch"]!["enabled"]!["code"]);
        Assert.NotNull(data["batch"]!["maxRequests"]!["code"]);
        Assert.NotNull(data["batch"]!["timeout"]!["code"]);
        Assert.NotNull(data["smtp"]!["port"]!["code"]);
        Assert.NotNull(data["logs"]!["code"]);
        Assert.NotNull(data["superuserIPs"]!["code"]);
    }

    [Fact]
    public async Task GuestsAre401_AndOtherAuthIs403()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (_, user) = await server.CreateUserAsync("u@example.com");
        var body = JsonNode.Parse("""{"meta":{"appName":"Hijacked"}}""");

        (await server.SendAsync(HttpMethod.Get, "/api/settings")).AssertError(401);
        (await server.SendAsync(HttpMethod.Patch, "/api/settings", body)).AssertError(401);
        (await server.SendAsync(HttpMethod.Post, "/api/settings/test/email", JsonNode.Parse("""{"email":"a@example.com","template":"verification"}"""))).AssertError(401);
        (await server.SendAsync(HttpMethod.Get, "/api/settings", token: user)).AssertError(403);
        (await server.SendAsync(HttpMethod.Patch, "/api/settings", body, token: user)).AssertError(403);
        Assert.Equal("Cairn", (await server.AsSuperuser(HttpMethod.Get, "/api/settings")).Json!["meta"].Str("appName"));
    }

    [Fact]
    public async Task Secrets_FromFlagsStayOutOfTheDatabase_APatchedOneIsStored_AndAnEmptyOneKeepsIt()
    {
        await using var server = await StartWithSmtpFlagAsync();

        await server.PatchSettingsAsync("""{"meta":{"appName":"Acme"}}""");
        var first = await StoredAsync(server);
        var patched = await server.PatchSettingsAsync("""{"smtp":{"password":"patched-secret-456"},"s3":{"secret":"s3-secret-789"}}""");
        var second = await StoredAsync(server);
        var kept = await server.PatchSettingsAsync("""{"smtp":{"password":""},"s3":{"secret":null}}""");
        var third = await StoredAsync(server);

        Assert.Contains("Acme", first);
        Assert.DoesNotContain("flag-secret-123", first);
        Assert.Contains("patched-secret-456", second);
        Assert.Contains("s3-secret-789", second);
        Assert.Contains("patched-secret-456", third);
        Assert.Contains("s3-secret-789", third);
        Assert.DoesNotContain("secret-", patched.ToJsonString() + kept.ToJsonString());
    }

    /// <summary>Runs <paramref name="scenario"/> on a data folder and database of its own, which servers may be started on one after another.</summary>
    private static async Task OnOwnDataAsync(Func<string, string?, Task> scenario)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cairn-test-" + Guid.NewGuid().ToString("N"));
        var database = await TestDatabase.CreateAsync();
        try
        {
            await scenario(dir, database);
        }
        finally
        {
            await TestDatabase.DropAsync(database);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("""{"batch":{"maxRequests":"many"}}""", "maxRequests")] // a wrong type
    [InlineData("""{"meta":{"appURL":"not a url"}}""", "appURL")]     // a valid type, an invalid value
    public async Task A_stored_document_edited_into_an_invalid_one_stops_the_start_with_one_clear_line(string stored, string field)
    {
        await OnOwnDataAsync(async (dir, database) =>
        {
            await using (var first = await TestServer.StartAsync(o => o with { DataDir = dir, Database = database }))
            {
                await first.PatchSettingsAsync("""{"meta":{"appName":"Stored"}}""");
                await first.Service<IDatabase>().WriteAsync(c => c.Command("""UPDATE "_params" SET "value" = @p0 WHERE "id" = 'settings'""",
                    stored).ExecuteNonQuery(), TestContext.Current.CancellationToken);
            }

            var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(o => o with { DataDir = dir, Database = database }));
            Assert.IsType<Cairn.Cli.CliException>(refused);
            Assert.Contains(field, refused.Message);
        });
    }

    [Fact]
    public async Task StoredSettings_SurviveARestart_AndWinOverTheFlags()
    {
        await OnOwnDataAsync(async (dir, database) =>
        {
            await using (var first = await TestServer.StartAsync(o => o with { DataDir = dir, Database = database }))
                await first.PatchSettingsAsync("""{"meta":{"appName":"Stored","appURL":"https://stored.example.com"},"batch":{"maxRequests":7},"superuserIPs":["127.0.0.1"]}""");

            await using var second = await TestServer.StartAsync(o => o with { DataDir = dir, Database = database, AppName = "FromFlags", AppUrl = "https://flags.example.com" });
            var settings = (await second.AsSuperuser(HttpMethod.Get, "/api/settings")).Json!;

            Assert.Equal("Stored", settings["meta"].Str("appName"));
            Assert.Equal("https://stored.example.com", settings["meta"].Str("appURL"));
            Assert.Equal(7, settings["batch"]!["maxRequests"]!.GetValue<int>());
            Assert.Equal("127.0.0.1", settings["superuserIPs"]![0]!.GetValue<string>());
        });
    }

    [Fact]
    public async Task TestEmail_SendsTheNamedTemplate_ThroughTheCurrentMailer()
    {
        await using var server = await TestServer.StartAsync();
        await server.PatchSettingsAsync("""{"meta":{"appName":"Acme","appURL":"https://acme.example.com"}}""");

        var response = await server.AsSuperuser(HttpMethod.Post, "/api/settings/test/email",
            JsonNode.Parse("""{"email":"someone@example.com","template":"password-reset","collection":"_superusers"}"""));

        Assert.Equal(204, response.Status);
        var mail = Assert.Single(await server.MailsAsync());
        Assert.Equal("someone@example.com", mail.To);
        Assert.Contains("Acme", mail.Subject);
        Assert.StartsWith("https://acme.example.com/_/#/auth/confirm-password-reset/", mail.Link);
    }

    [Theory]
    [InlineData("""{"template":"verification"}""", "email", "validation_required")]
    [InlineData("""{"email":"not-an-email","template":"verification"}""", "email", "validation_is_email")]
    [InlineData("""{"email":"a@example.com","template":"newsletter"}""", "template", "validation_in_invalid")]
    [InlineData("""{"email":"a@example.com","template":"otp","collection":"missing"}""", "collection", "validation_invalid_value")]
    public async Task TestEmail_InvalidBody_Is400WithTheField(string body, string field, string code)
    {
        await using var server = await TestServer.StartAsync();

        var response = await server.AsSuperuser(HttpMethod.Post, "/api/settings/test/email", JsonNode.Parse(body));

        response.AssertFieldError(Invalid, field, code);
        Assert.Empty(await server.MailsAsync());
    }
}
