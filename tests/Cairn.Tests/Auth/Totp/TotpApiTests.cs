using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using OtpNet;

namespace Cairn.Tests.Auth.Totp;

/// <summary>
/// Authenticator apps (beyond PocketBase): enrol, confirm with a first code, recovery codes, disable, and TOTP as the
/// second factor of MFA (<c>auth-with-totp</c>). Codes are made here with Otp.NET from the secret the server returns,
/// at the server's hand-moved clock.
/// </summary>
public sealed class TotpApiTests
{
    private const string Totp = "/api/collections/users/totp";

    private sealed record Enrolled(string Token, string Secret, List<string> RecoveryCodes);

    private static string CodeAt(string secret, DateTimeOffset at) => new OtpNet.Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(at.UtcDateTime);

    private static async Task<string> TokenAsync(SignInKit kit)
    {
        var response = await kit.PasswordAsync();
        Assert.True(response.Status == 200, response.Text);
        return response.Json.Str("token");
    }

    /// <summary>Enrols and confirms an app for me@example.com, then moves the clock to the next time step (the confirming code is used up).</summary>
    private static async Task<Enrolled> EnrolAsync(SignInKit kit)
    {
        var token = await TokenAsync(kit);
        var begin = await kit.PostAsync(Totp, "{}", token);
        Assert.True(begin.Status == 200, begin.Text);
        var secret = begin.Json.Str("secret");
        var confirm = await kit.PostAsync(Totp + "/confirm", $$"""{"code":"{{CodeAt(secret, kit.Clock.Now)}}"}""", token);
        Assert.True(confirm.Status == 200, confirm.Text);
        kit.Clock.Advance(TimeSpan.FromSeconds(30));
        return new Enrolled(token, secret, confirm.Json!["recoveryCodes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList());
    }

    private static Task<ApiResponse> AuthWithTotpAsync(SignInKit kit, string mfaId, string code) =>
        kit.PostAsync("/api/collections/users/auth-with-totp", $$"""{"mfaId":"{{mfaId}}","code":"{{code}}"}""");

    [Fact]
    public async Task Begin_ReturnsSecretOtpauthUriAndPngQrCode_NotCached()
    {
        await using var kit = await SignInKit.StartAsync();
        var response = await kit.PostAsync(Totp, "{}", await TokenAsync(kit));

        Assert.Equal(200, response.Status);
        var secret = response.Json.Str("secret");
        Assert.Matches("^[A-Z2-7]{32}$", secret); // 160 bits in base32
        Assert.Equal($"otpauth://totp/Cairn:me%40example.com?secret={secret}&issuer=Cairn&algorithm=SHA1&digits=6&period=30", response.Json.Str("uri"));
        var qr = response.Json.Str("qrCode");
        Assert.StartsWith("data:image/png;base64,", qr);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], Convert.FromBase64String(qr["data:image/png;base64,".Length..])[..4]);
        Assert.Equal("no-store", response.Header("Cache-Control"));
    }

    [Fact]
    public async Task EnrolmentRoutes_NeedARecordOfThisCollection()
    {
        await using var kit = await SignInKit.StartAsync();
        (await kit.PostAsync(Totp, "{}")).AssertError(401);
        (await kit.PostAsync(Totp, "{}", kit.Server.SuperuserToken)).AssertError(403);
        (await kit.Server.SendAsync(HttpMethod.Get, Totp)).AssertError(401);
        (await kit.PostAsync(Totp + "/confirm", """{"code":"123456"}""")).AssertError(401);
        (await kit.PostAsync(Totp + "/disable", """{"password":"password123"}""")).AssertError(401);
    }

    [Fact]
    public async Task Confirm_WithTheCurrentCode_ActivatesAndReturnsTenSingleUseRecoveryCodes()
    {
        await using var kit = await SignInKit.StartAsync();
        var token = await TokenAsync(kit);
        Assert.Equal("""{"enabled":false,"pending":false,"recoveryCodesLeft":0}""", (await kit.Server.SendAsync(HttpMethod.Get, Totp, token: token)).Json!.ToJsonString());
        var secret = (await kit.PostAsync(Totp, "{}", token)).Json.Str("secret");
        Assert.Equal("""{"enabled":false,"pending":true,"recoveryCodesLeft":0}""", (await kit.Server.SendAsync(HttpMethod.Get, Totp, token: token)).Json!.ToJsonString());

        var confirm = await kit.PostAsync(Totp + "/confirm", $$"""{"code":"{{CodeAt(secret, kit.Clock.Now)}}"}""", token);

        Assert.Equal(200, confirm.Status);
        var codes = confirm.Json!["recoveryCodes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[a-z2-9]{5}-[a-z2-9]{5}$", c));
        Assert.Equal("""{"enabled":true,"pending":false,"recoveryCodesLeft":10}""", (await kit.Server.SendAsync(HttpMethod.Get, Totp, token: token)).Json!.ToJsonString());
    }

    [Fact]
    public async Task Confirm_WrongCode_Is400AndStaysPending()
    {
        await using var kit = await SignInKit.StartAsync();
        var token = await TokenAsync(kit);
        var secret = (await kit.PostAsync(Totp, "{}", token)).Json.Str("secret");
        var stale = CodeAt(secret, kit.Clock.Now.AddMinutes(-5));

        (await kit.PostAsync(Totp + "/confirm", $$"""{"code":"{{stale}}"}""", token)).AssertError(400, "Invalid or already used TOTP code.");
        (await kit.PostAsync(Totp + "/confirm", """{"code":""}""", token)).AssertFieldError("An error occurred while validating the submitted data.", "code", "validation_required");
        Assert.True((await kit.Server.SendAsync(HttpMethod.Get, Totp, token: token)).Json!["pending"]!.GetValue<bool>());
        Assert.Equal(200, (await kit.PasswordAsync()).Status); // a pending enrolment asks nothing at sign-in
    }

    [Fact]
    public async Task Begin_WhileActive_Is400()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        (await kit.PostAsync(Totp, "{}", enrolled.Token)).AssertError(400, "An authenticator app is already enabled; disable it first.");
    }

    [Fact]
    public async Task Password_WithActiveTotpAndMfaOff_NeedsATotpCode()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);

        var mfaId = await kit.MfaIdAsync();
        var response = await AuthWithTotpAsync(kit, mfaId, CodeAt(enrolled.Secret, kit.Clock.Now));

        Assert.Equal(200, response.Status);
        Assert.Equal(SignInKit.Email, response.Json!["record"].Str("email"));
        Assert.Equal(200, (await kit.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: response.Json.Str("token"))).Status);
    }

    [Fact]
    public async Task AuthWithTotp_ReplayedCode_IsRefused()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        var code = CodeAt(enrolled.Secret, kit.Clock.Now);
        Assert.Equal(200, (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), code)).Status);

        // Same code, same 30-second window, fresh MFA session: refused.
        kit.Clock.Advance(TimeSpan.FromSeconds(5));
        (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), code)).AssertError(400, "Invalid or already used TOTP code.");
        // The code of the previous step is within the drift window but older than the one used: refused too.
        (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), CodeAt(enrolled.Secret, kit.Clock.Now.AddSeconds(-30)))).AssertError(400);
        // The next step's code works.
        kit.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(200, (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), CodeAt(enrolled.Secret, kit.Clock.Now))).Status);
    }

    [Fact]
    public async Task AuthWithTotp_SameCodeRacingInTwoSessions_WinsOnce()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        var code = CodeAt(enrolled.Secret, kit.Clock.Now);
        var sessions = new[] { await kit.MfaIdAsync(), await kit.MfaIdAsync(), await kit.MfaIdAsync() };

        var results = await Task.WhenAll(sessions.Select(id => AuthWithTotpAsync(kit, id, code)));

        Assert.Equal(1, results.Count(r => r.Status == 200));
        Assert.All(results.Where(r => r.Status != 200), r => r.AssertError(400, "Invalid or already used TOTP code."));
    }

    [Fact]
    public async Task AuthWithTotp_ClockDriftOfOneStep_IsAllowed_TwoStepsIsNot()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        kit.Clock.Advance(TimeSpan.FromMinutes(2));
        (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), CodeAt(enrolled.Secret, kit.Clock.Now.AddSeconds(-60)))).AssertError(400);
        Assert.Equal(200, (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), CodeAt(enrolled.Secret, kit.Clock.Now.AddSeconds(30)))).Status);
    }

    [Fact]
    public async Task AuthWithTotp_RecoveryCode_WorksOnceInAnyCaseOrDashing()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        var recovery = enrolled.RecoveryCodes[3];

        Assert.Equal(200, (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), recovery.Replace("-", "").ToUpperInvariant())).Status);
        (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), recovery)).AssertError(400, "Invalid or already used TOTP code.");
        Assert.Equal(9, (await kit.Server.SendAsync(HttpMethod.Get, Totp, token: enrolled.Token)).Json!["recoveryCodesLeft"]!.GetValue<int>());
        Assert.Equal(200, (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), enrolled.RecoveryCodes[4])).Status);
    }

    [Fact]
    public async Task AuthWithTotp_SixthTry_Is429EvenWithTheRightCode()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        var mfaId = await kit.MfaIdAsync();
        var right = CodeAt(enrolled.Secret, kit.Clock.Now);
        var wrong = right == "000000" ? "111111" : "000000";
        for (var i = 0; i < 5; i++) (await AuthWithTotpAsync(kit, mfaId, wrong)).AssertError(400, "Invalid or already used TOTP code.");

        (await AuthWithTotpAsync(kit, mfaId, right)).AssertError(429, "Too many attempts, please try again later.");
        // Per record, not per session: a new mfaId does not start over.
        (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), right)).AssertError(429);
    }

    [Fact]
    public async Task AuthWithTotp_BadSessions_Are400()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        var code = CodeAt(enrolled.Secret, kit.Clock.Now);

        var missing = await kit.PostAsync("/api/collections/users/auth-with-totp", "{}");
        missing.AssertFieldError("Failed to authenticate.", "mfaId", "validation_required");
        (await AuthWithTotpAsync(kit, "abcdefghijklmno", code)).AssertError(400, "Invalid or expired MFA session.");

        var mfaId = await kit.MfaIdAsync();
        kit.Clock.Advance(TimeSpan.FromSeconds(600)); // mfa.duration defaults to 600 s
        (await AuthWithTotpAsync(kit, mfaId, CodeAt(enrolled.Secret, kit.Clock.Now))).AssertError(400, "Invalid or expired MFA session.");
    }

    [Fact]
    public async Task AuthWithTotp_SessionOfAnotherCollection_Is400()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        await kit.Server.CreateCollectionAsync(TestCollections.Json("""{"name":"members","type":"auth","mfa":{"enabled":true}}"""));
        await kit.Server.CreateRecordAsync("members", """{"email":"member@example.com","password":"password123","passwordConfirm":"password123"}""");
        var membersMfaId = (await kit.PostAsync("/api/collections/members/auth-with-password", """{"identity":"member@example.com","password":"password123"}""")).Json.Str("mfaId");

        (await AuthWithTotpAsync(kit, membersMfaId, CodeAt(enrolled.Secret, kit.Clock.Now))).AssertError(400, "Invalid MFA session.");
    }

    [Fact]
    public async Task AuthWithTotp_RecordWithoutTotp_Is400()
    {
        await using var kit = await SignInKit.StartAsync(mfa: """{"enabled":true}""");
        (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), "123456")).AssertError(400, "Invalid or already used TOTP code.");
    }

    [Fact]
    public async Task Otp_AsSecondFactor_IsNotEnoughWhenTotpIsActive()
    {
        await using var kit = await SignInKit.StartAsync(mfa: """{"enabled":true}""");
        var token = await OtpThenPasswordTokenAsync(kit);
        var begin = await kit.PostAsync(Totp, "{}", token);
        await kit.PostAsync(Totp + "/confirm", $$"""{"code":"{{CodeAt(begin.Json.Str("secret"), kit.Clock.Now)}}"}""", token);

        var mfaId = await kit.MfaIdAsync();
        var (otpId, code) = await kit.OtpAsync();
        (await kit.AuthWithOtpAsync(otpId, code, $"?mfaId={mfaId}")).AssertError(400, "A code from the authenticator app (TOTP) is required.");
    }

    private static async Task<string> OtpThenPasswordTokenAsync(SignInKit kit)
    {
        var (otpId, code) = await kit.OtpAsync();
        var mfaId = (await kit.AuthWithOtpAsync(otpId, code)).Json.Str("mfaId");
        return (await kit.PasswordAsync($"?mfaId={mfaId}")).Json.Str("token");
    }

    [Fact]
    public async Task RecoveryCodes_Renewed_ReplaceTheOldSet_AndNeedAnAppCode()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        const string path = Totp + "/recovery-codes";
        (await kit.PostAsync(path, $$"""{"code":"{{enrolled.RecoveryCodes[0]}}"}""", enrolled.Token)).AssertError(400, "Invalid or already used TOTP code.");

        var renewed = await kit.PostAsync(path, $$"""{"code":"{{CodeAt(enrolled.Secret, kit.Clock.Now)}}"}""", enrolled.Token);

        Assert.Equal(200, renewed.Status);
        var fresh = renewed.Json!["recoveryCodes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(10, fresh.Count);
        Assert.Empty(fresh.Intersect(enrolled.RecoveryCodes));
        (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), enrolled.RecoveryCodes[1])).AssertError(400);
        Assert.Equal(200, (await AuthWithTotpAsync(kit, await kit.MfaIdAsync(), fresh[1])).Status);
        (await kit.PostAsync(path, """{"code":"123456"}""")).AssertError(401);
    }

    [Fact]
    public async Task Disable_WithCurrentCode_RemovesTheEnrolment()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);

        var response = await kit.PostAsync(Totp + "/disable", $$"""{"code":"{{CodeAt(enrolled.Secret, kit.Clock.Now)}}"}""", enrolled.Token);

        Assert.Equal(204, response.Status);
        Assert.Equal(200, (await kit.PasswordAsync()).Status);
        Assert.False((await kit.Server.SendAsync(HttpMethod.Get, Totp, token: enrolled.Token)).Json!["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Disable_WithPasswordOrRecoveryCode_Works_WrongProofIs400()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);
        (await kit.PostAsync(Totp + "/disable", """{"password":"wrong-password"}""", enrolled.Token)).AssertError(400, "Invalid TOTP code or password.");
        (await kit.PostAsync(Totp + "/disable", "{}", enrolled.Token)).AssertFieldError("A current TOTP code, a recovery code or the account password is required.", "code", "validation_required");
        Assert.Equal(204, (await kit.PostAsync(Totp + "/disable", $$"""{"password":"{{SignInKit.Password}}"}""", enrolled.Token)).Status);

        var again = await EnrolAsync(kit);
        Assert.Equal(204, (await kit.PostAsync(Totp + "/disable", $$"""{"code":"{{again.RecoveryCodes[0]}}"}""", again.Token)).Status);
        (await kit.PostAsync(Totp + "/disable", $$"""{"password":"{{SignInKit.Password}}"}""", again.Token)).AssertError(400, "No authenticator app is enabled.");
    }

    [Fact]
    public async Task SecretAndRecoveryCodes_AreNeverOutput_ByTheRecordsOrCollectionsApi()
    {
        await using var kit = await SignInKit.StartAsync();
        var enrolled = await EnrolAsync(kit);

        var asSuperuser = await kit.Server.AsSuperuser(HttpMethod.Get, "/api/collections/_totps/records");
        var asOwner = await kit.Server.SendAsync(HttpMethod.Get, "/api/collections/_totps/records", token: enrolled.Token);
        var collection = await kit.Server.AsSuperuser(HttpMethod.Get, "/api/collections/_totps");
        var export = await kit.Server.AsSuperuser(HttpMethod.Get, "/api/collections?perPage=100");

        Assert.Equal(1, asSuperuser.Json!["totalItems"]!.GetValue<int>());
        Assert.Equal(1, asOwner.Json!["totalItems"]!.GetValue<int>()); // the owner may see that an app is enrolled...
        foreach (var response in new[] { asSuperuser, asOwner })
        {
            var item = response.Json!["items"]![0]!.AsObject();
            Assert.False(item.ContainsKey("sharedKey"));       // ...but never the secret,
            Assert.False(item.ContainsKey("recoveryCodes"));   // nor the recovery-code hashes
            Assert.DoesNotContain(enrolled.Secret, response.Text);
            Assert.DoesNotContain("$2", response.Text);
        }
        Assert.Equal(200, collection.Status);
        Assert.DoesNotContain(enrolled.Secret, collection.Text + export.Text);
        Assert.Empty((await kit.Server.SendAsync(HttpMethod.Get, "/api/collections/_totps/records")).Json!["items"]!.AsArray()); // guests see nothing
        (await kit.PostAsync("/api/collections/_totps/records", """{"collectionRef":"x","recordRef":"y"}""", enrolled.Token)).AssertError(403);
    }
}
