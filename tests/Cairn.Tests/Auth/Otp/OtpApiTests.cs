using System.Text.Json.Nodes;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Storage;
using Cairn.Tests.Records;

namespace Cairn.Tests.Auth.Otp;

/// <summary><c>request-otp</c> and <c>auth-with-otp</c> (POCKETBASE_API.md 1.3): codes by mail, hashed, single use, 5 tries, expiry.</summary>
public sealed class OtpApiTests
{
    private const string AuthWithOtp = "/api/collections/users/auth-with-otp";

    private static async Task<List<Cairn.Records.Record>> OtpRowsAsync(TestServer server)
    {
        var otps = server.Service<CollectionRegistry>().Find(SystemCollections.OtpsName)!;
        return await server.Service<IDatabase>().ReadAsync(c =>
        {
            using var command = c.CreateCommand($"SELECT {server.Service<Cairn.Records.RecordStore>().SelectColumns(otps)} FROM {server.Service<IDatabase>().Dialect.Quote(otps.Name)}");
            return server.Service<Cairn.Records.RecordStore>().Query(command, otps);
        });
    }

    [Fact]
    public async Task RequestOtp_KnownEmail_MailsAnEightDigitCodeStoredOnlyAsABcryptHash()
    {
        await using var kit = await SignInKit.StartAsync();
        var (otpId, code) = await kit.OtpAsync();

        Assert.Equal(15, otpId.Length);
        Assert.Matches("^[0-9]{8}$", code);
        var row = Assert.Single(await OtpRowsAsync(kit.Server));
        Assert.Equal(otpId, row.Id);
        Assert.Equal(SignInKit.Email, row.GetString("sentTo"));
        var hash = row.GetString("password");
        Assert.StartsWith("$2", hash);
        Assert.Contains("$08$", hash); // the cost of _otps.password
        Assert.DoesNotContain(code, hash);
        Assert.True(PasswordHasher.Verify(code, hash));
    }

    [Fact]
    public async Task RequestOtp_UnknownEmail_Answers200WithARandomIdOfTheSameShapeAndSendsNoMail()
    {
        await using var kit = await SignInKit.StartAsync();
        var unknown = await kit.RequestOtpAsync("nobody@example.com");
        var known = await kit.RequestOtpAsync();

        Assert.Equal(200, unknown.Status);
        Assert.Equal(["otpId"], unknown.Json!.AsObject().Select(p => p.Key));
        Assert.Equal(["otpId"], known.Json!.AsObject().Select(p => p.Key));
        Assert.Matches("^[a-z0-9]{15}$", unknown.Json.Str("otpId"));
        Assert.Equal(SignInKit.Email, (await kit.Mail.NextAsync()).To);
        Assert.Equal(1, kit.Mail.Sent);
        Assert.Single(await OtpRowsAsync(kit.Server));
        (await kit.AuthWithOtpAsync(unknown.Json.Str("otpId"), "12345678")).AssertError(400, "Invalid or expired OTP.");
    }

    [Fact]
    public async Task RequestOtp_MailFollowsTheCollectionTemplate_WithEncodedValues()
    {
        await using var kit = await SignInKit.StartAsync(otp: """{"enabled":true,"length":6,"emailTemplate":{"subject":"Code for {APP_NAME} {OTP}","body":"<p>{APP_NAME} code: <b>{OTP}</b></p>"}}""");
        await kit.RequestOtpAsync();
        var mail = await kit.Mail.NextAsync();
        Assert.Equal("Code for Cairn {OTP}", mail.Subject); // the code never goes into a subject, which mail logs keep
        Assert.Matches("^<p>Cairn code: <b>[0-9]{6}</b></p>$", mail.Html);
    }

    [Fact]
    public async Task RequestOtp_EleventhOpenCode_ReturnsTheNewestIdAgainAndSendsNoMail()
    {
        await using var kit = await SignInKit.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < OneTimeCodesLimit; i++)
        {
            ids.Add((await kit.OtpAsync()).OtpId);
            kit.Clock.Advance(TimeSpan.FromSeconds(1)); // "newest" is by creation time
        }

        var eleventh = await kit.RequestOtpAsync();

        Assert.Equal(200, eleventh.Status);
        Assert.Equal(ids[^1], eleventh.Json.Str("otpId"));
        Assert.Equal(OneTimeCodesLimit, kit.Mail.Sent);
        Assert.Equal(OneTimeCodesLimit, (await OtpRowsAsync(kit.Server)).Count);

        // Once they expire, a request makes a new code again (and clears the expired ones).
        kit.Clock.Advance(TimeSpan.FromSeconds(180));
        var (fresh, _) = await kit.OtpAsync();
        Assert.DoesNotContain(fresh, ids);
        Assert.Single(await OtpRowsAsync(kit.Server));
    }

    private const int OneTimeCodesLimit = 10;

    [Theory]
    [InlineData("""{}""", "validation_required")]
    [InlineData("""{"email":"not-an-email"}""", "validation_is_email")]
    public async Task RequestOtp_BadEmail_Is400WithTheFieldError(string body, string code)
    {
        await using var kit = await SignInKit.StartAsync();
        var response = await kit.PostAsync("/api/collections/users/request-otp", body);
        response.AssertFieldError("An error occurred while validating the submitted data.", "email", code);
    }

    [Fact]
    public async Task OtpRoutes_OtpDisabled_Are403()
    {
        await using var kit = await SignInKit.StartAsync(otp: """{"enabled":false}""");
        (await kit.RequestOtpAsync()).AssertError(403, "The collection is not configured to allow OTP authentication.");
        (await kit.AuthWithOtpAsync("abcdefghijklmno", "12345678")).AssertError(403);
        Assert.Equal(0, kit.Mail.Sent);
    }

    [Fact]
    public async Task OtpRoutes_BaseCollection_Are404()
    {
        await using var kit = await SignInKit.StartAsync();
        await kit.Server.CreatePublicAsync("posts");
        (await kit.RequestOtpAsync(collection: "posts")).AssertError(404, "Missing or invalid auth collection context.");
        (await kit.AuthWithOtpAsync("abcdefghijklmno", "1", collection: "posts")).AssertError(404);
    }

    [Fact]
    public async Task AuthWithOtp_RightCode_SignsInOnce()
    {
        await using var kit = await SignInKit.StartAsync();
        var (otpId, code) = await kit.OtpAsync();

        var response = await kit.AuthWithOtpAsync(otpId, code);

        Assert.Equal(200, response.Status);
        Assert.Equal(SignInKit.Email, response.Json!["record"].Str("email"));
        var refresh = await kit.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: response.Json.Str("token"));
        Assert.Equal(200, refresh.Status);
        Assert.Empty(await OtpRowsAsync(kit.Server));
        (await kit.AuthWithOtpAsync(otpId, code)).AssertError(400, "Invalid or expired OTP.");
    }

    [Fact]
    public async Task AuthWithOtp_SameCodeRacing_SignsInOnce()
    {
        await using var kit = await SignInKit.StartAsync();
        var (otpId, code) = await kit.OtpAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => kit.AuthWithOtpAsync(otpId, code)));

        Assert.Equal(1, results.Count(r => r.Status == 200));
        Assert.All(results.Where(r => r.Status != 200), r => r.AssertError(400, "Invalid or expired OTP."));
    }

    [Fact]
    public async Task AuthWithOtp_MissingFields_Is400NamingThem()
    {
        await using var kit = await SignInKit.StartAsync();
        var response = await kit.PostAsync(AuthWithOtp, "{}");
        response.AssertFieldError("Failed to authenticate.", "otpId", "validation_required");
        Assert.Equal("validation_required", response.Json!["data"]!["password"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task AuthWithOtp_WrongCode_Is400()
    {
        await using var kit = await SignInKit.StartAsync();
        var (otpId, code) = await kit.OtpAsync();
        var wrong = code == "00000000" ? "11111111" : "00000000";
        (await kit.AuthWithOtpAsync(otpId, wrong)).AssertError(400, "Invalid or expired OTP.");
        Assert.Equal(200, (await kit.AuthWithOtpAsync(otpId, code)).Status); // a wrong try does not burn the code
    }

    [Fact]
    public async Task AuthWithOtp_SixthTryWithin180Seconds_Is429EvenWithTheRightCode()
    {
        await using var kit = await SignInKit.StartAsync();
        var (otpId, code) = await kit.OtpAsync();
        var wrong = code == "00000000" ? "11111111" : "00000000";
        for (var i = 0; i < 5; i++) (await kit.AuthWithOtpAsync(otpId, wrong)).AssertError(400, "Invalid or expired OTP.");

        (await kit.AuthWithOtpAsync(otpId, code)).AssertError(429, "Too many attempts, please try again later with a new OTP.");

        // The count is per record, so another code does not start over within the window...
        var (second, secondCode) = await kit.OtpAsync();
        (await kit.AuthWithOtpAsync(second, secondCode)).AssertError(429);
        // ...and after the window a new code works.
        kit.Clock.Advance(TimeSpan.FromSeconds(181));
        var (third, thirdCode) = await kit.OtpAsync();
        Assert.Equal(200, (await kit.AuthWithOtpAsync(third, thirdCode)).Status);
    }

    [Fact]
    public async Task AuthWithOtp_AfterOtpDuration_Is400AndTheCodeIsGone()
    {
        await using var kit = await SignInKit.StartAsync(otp: """{"enabled":true,"duration":60}""");
        var (otpId, code) = await kit.OtpAsync();
        kit.Clock.Advance(TimeSpan.FromSeconds(60));

        (await kit.AuthWithOtpAsync(otpId, code)).AssertError(400, "Invalid or expired OTP.");
        Assert.Empty(await OtpRowsAsync(kit.Server));
    }

    [Fact]
    public async Task AuthWithOtp_JustBeforeExpiry_SignsIn()
    {
        await using var kit = await SignInKit.StartAsync(otp: """{"enabled":true,"duration":60}""");
        var (otpId, code) = await kit.OtpAsync();
        kit.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(200, (await kit.AuthWithOtpAsync(otpId, code)).Status);
    }

    [Fact]
    public async Task AuthWithOtp_CodeOfAnotherCollection_Is400()
    {
        await using var kit = await SignInKit.StartAsync();
        await kit.Server.CreateCollectionAsync(TestCollections.Json("""{"name":"members","type":"auth","otp":{"enabled":true}}"""));
        await kit.Server.CreateRecordAsync("members", """{"email":"member@example.com","password":"password123","passwordConfirm":"password123"}""");
        var (otpId, code) = await kit.OtpAsync("member@example.com", "members");

        (await kit.AuthWithOtpAsync(otpId, code)).AssertError(400, "Invalid or expired OTP.");
        Assert.Equal(200, (await kit.AuthWithOtpAsync(otpId, code, collection: "members")).Status);
    }

    [Fact]
    public async Task AuthWithOtp_UnverifiedRecord_BecomesVerifiedAndItsOldPasswordAndTokensDie()
    {
        await using var kit = await SignInKit.StartAsync(verified: false);
        var oldToken = (await kit.PasswordAsync()).Json.Str("token");
        var (otpId, code) = await kit.OtpAsync();

        var response = await kit.AuthWithOtpAsync(otpId, code);

        Assert.Equal(200, response.Status);
        Assert.True(response.Json!["record"]!["verified"]!.GetValue<bool>());
        // A password set before the mailbox was proven may be an attacker's: it is replaced, and the tokenKey with it.
        (await kit.PasswordAsync()).AssertError(400, "Failed to authenticate.");
        (await kit.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: oldToken)).AssertError(401);
        Assert.Equal(200, (await kit.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: response.Json.Str("token"))).Status);
    }

    [Fact]
    public async Task AuthWithOtp_UnverifiedRecordWithMfaOn_IsVerifiedButKeepsItsPassword()
    {
        await using var kit = await SignInKit.StartAsync(mfa: """{"enabled":true}""", verified: false);
        var (otpId, code) = await kit.OtpAsync();

        var challenge = await kit.AuthWithOtpAsync(otpId, code);
        Assert.Equal(401, challenge.Status);

        var second = await kit.PasswordAsync($"?mfaId={challenge.Json.Str("mfaId")}");
        Assert.Equal(200, second.Status);
        Assert.True(second.Json!["record"]!["verified"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AuthMethods_ReportOtpAndMfaDurationsOnlyWhenEnabled()
    {
        await using var kit = await SignInKit.StartAsync(otp: """{"enabled":true,"duration":300}""", mfa: """{"enabled":false,"duration":900}""");
        var methods = await kit.Server.SendAsync(HttpMethod.Get, "/api/collections/users/auth-methods");
        Assert.Equal("""{"enabled":true,"duration":300}""", methods.Json!["otp"]!.ToJsonString());
        Assert.Equal("""{"enabled":false,"duration":0}""", methods.Json["mfa"]!.ToJsonString());

        await kit.Server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", TestCollections.Json("""{"otp":{"enabled":false},"mfa":{"enabled":true}}"""));
        methods = await kit.Server.SendAsync(HttpMethod.Get, "/api/collections/users/auth-methods");
        Assert.Equal("""{"enabled":false,"duration":0}""", methods.Json!["otp"]!.ToJsonString());
        Assert.Equal("""{"enabled":true,"duration":900}""", methods.Json["mfa"]!.ToJsonString());
    }
}
