using Cairn.Tests.Records;

namespace Cairn.Tests.Auth.Mfa;

/// <summary>
/// MFA as PocketBase does it (POCKETBASE_API.md 1.3 "MFA"): a first factor answers 401 <c>{"mfaId"}</c>, a second,
/// different method with that <c>mfaId</c> (query or body) gets the token; the session is single use and expires.
/// </summary>
public sealed class MfaSignInTests
{
    private const string Mfa = """{"enabled":true}""";

    private static async Task<int> MfaRowsAsync(TestServer server) =>
        (await server.AsSuperuser(HttpMethod.Get, "/api/collections/_mfas/records")).Json!["totalItems"]!.GetValue<int>();

    [Fact]
    public async Task Password_MfaEnabled_Answers401WithOnlyTheMfaId()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        var response = await kit.PasswordAsync();

        Assert.Equal(401, response.Status);
        Assert.Equal(["mfaId"], response.Json!.AsObject().Select(p => p.Key));
        var session = (await kit.Server.AsSuperuser(HttpMethod.Get, $"/api/collections/_mfas/records/{response.Json.Str("mfaId")}")).Json!;
        Assert.Equal("password", session.Str("method"));
        Assert.Equal(session.Str("recordRef"), (await kit.Server.AsSuperuser(HttpMethod.Get, "/api/collections/users/records")).Json!["items"]![0].Str("id"));
    }

    [Fact]
    public async Task PasswordThenOtp_MfaIdInBody_SignsInAndClosesTheSession()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        var mfaId = await kit.MfaIdAsync();
        var (otpId, code) = await kit.OtpAsync();

        var response = await kit.AuthWithOtpAsync(otpId, code, extra: $"\"mfaId\":\"{mfaId}\"");

        Assert.Equal(200, response.Status);
        Assert.Equal(SignInKit.Email, response.Json!["record"].Str("email"));
        Assert.Equal(0, await MfaRowsAsync(kit.Server));
    }

    [Fact]
    public async Task OtpThenPassword_MfaIdInQuery_SignsIn()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        var (otpId, code) = await kit.OtpAsync();
        var first = await kit.AuthWithOtpAsync(otpId, code);
        Assert.Equal(401, first.Status);

        var response = await kit.PasswordAsync($"?mfaId={first.Json.Str("mfaId")}");

        Assert.Equal(200, response.Status);
        Assert.Equal(200, (await kit.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: response.Json.Str("token"))).Status);
    }

    [Fact]
    public async Task SameMethodTwice_Is400AndKeepsTheSession()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        var mfaId = await kit.MfaIdAsync();

        (await kit.PasswordAsync($"?mfaId={mfaId}")).AssertError(400, "A different authentication method is required.");
        Assert.Equal(1, await MfaRowsAsync(kit.Server));
    }

    [Fact]
    public async Task SecondFactor_AfterMfaDuration_Is400()
    {
        await using var kit = await SignInKit.StartAsync(mfa: """{"enabled":true,"duration":300}""");
        var mfaId = await kit.MfaIdAsync();
        kit.Clock.Advance(TimeSpan.FromSeconds(300));
        var (otpId, code) = await kit.OtpAsync();

        (await kit.AuthWithOtpAsync(otpId, code, $"?mfaId={mfaId}")).AssertError(400, "Invalid or expired MFA session.");
        Assert.Equal(0, await MfaRowsAsync(kit.Server)); // the expired session is cleared
    }

    [Fact]
    public async Task SecondFactor_UnknownMfaId_Is400()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        var (otpId, code) = await kit.OtpAsync();
        (await kit.AuthWithOtpAsync(otpId, code, "?mfaId=abcdefghijklmno")).AssertError(400, "Invalid or expired MFA session.");
    }

    [Fact]
    public async Task SecondFactor_MfaIdOfAnotherRecord_Is400()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        await kit.Server.CreateRecordAsync("users", """{"email":"other@example.com","password":"password123","passwordConfirm":"password123","verified":true}""");
        var othersMfaId = (await kit.PostAsync("/api/collections/users/auth-with-password", """{"identity":"other@example.com","password":"password123"}""")).Json.Str("mfaId");
        var (otpId, code) = await kit.OtpAsync();

        (await kit.AuthWithOtpAsync(otpId, code, $"?mfaId={othersMfaId}")).AssertError(400, "Invalid MFA session.");
    }

    [Fact]
    public async Task MfaSession_IsSingleUse()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        var mfaId = await kit.MfaIdAsync();
        var (otpId, code) = await kit.OtpAsync();
        Assert.Equal(200, (await kit.AuthWithOtpAsync(otpId, code, $"?mfaId={mfaId}")).Status);

        var (againId, againCode) = await kit.OtpAsync();
        (await kit.AuthWithOtpAsync(againId, againCode, $"?mfaId={mfaId}")).AssertError(400, "Invalid or expired MFA session.");
    }

    [Fact]
    public async Task MfaRule_SeesTheMethodAsRequestContext()
    {
        await using var kit = await SignInKit.StartAsync(mfa: """{"enabled":true,"rule":"@request.context = 'otp'"}""");
        Assert.Equal(200, (await kit.PasswordAsync()).Status);
        var (otpId, code) = await kit.OtpAsync();
        Assert.Equal(401, (await kit.AuthWithOtpAsync(otpId, code)).Status);
    }

    [Fact]
    public async Task MfaRule_OnRecordFields_AppliesPerRecord()
    {
        await using var kit = await SignInKit.StartAsync(mfa: """{"enabled":true,"rule":"email ~ 'admin'"}""");
        await kit.Server.CreateRecordAsync("users", """{"email":"admin@example.com","password":"password123","passwordConfirm":"password123"}""");
        Assert.Equal(200, (await kit.PasswordAsync()).Status);
        Assert.Equal(401, (await kit.PostAsync("/api/collections/users/auth-with-password", """{"identity":"admin@example.com","password":"password123"}""")).Status);
    }

    [Fact]
    public async Task MfaDisabled_PasswordSignsInAtOnce_AndAnMfaIdIsIgnored()
    {
        await using var kit = await SignInKit.StartAsync();
        Assert.Equal(200, (await kit.PasswordAsync("?mfaId=whatever")).Status);
    }

    [Fact]
    public async Task AuthRefresh_SkipsMfa()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        var mfaId = await kit.MfaIdAsync();
        var (otpId, code) = await kit.OtpAsync();
        var token = (await kit.AuthWithOtpAsync(otpId, code, $"?mfaId={mfaId}")).Json.Str("token");

        var refreshed = await kit.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token);

        Assert.Equal(200, refreshed.Status);
        Assert.Equal(0, await MfaRowsAsync(kit.Server));
    }

    [Fact]
    public async Task AuthRule_IsCheckedBeforeMfa_SoNoSessionIsOpened()
    {
        await using var kit = await SignInKit.StartAsync(mfa: Mfa);
        await kit.Server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", TestCollections.Json("""{"authRule":"verified = false"}"""));

        (await kit.PasswordAsync()).AssertError(403, "The request doesn't satisfy the collection requirements to authenticate.");
        Assert.Equal(0, await MfaRowsAsync(kit.Server));
    }
}
