using Cairn.Auth.Totp;

namespace Cairn.Tests.Auth.Totp;

/// <summary>The RFC 6238 arithmetic behind <see cref="TotpCodes"/>, checked against the RFC's own test vectors.</summary>
public sealed class TotpCodesTests
{
    // RFC 6238 appendix B: the SHA1 key is the ASCII "12345678901234567890"; the 8-digit codes' last 6 digits are the 6-digit codes.
    private static readonly string RfcSecret = OtpNet.Base32Encoding.ToString("12345678901234567890"u8.ToArray());

    [Theory]
    [InlineData(59L, "287082")]
    [InlineData(1111111109L, "081804")]
    [InlineData(1234567890L, "005924")]
    [InlineData(2000000000L, "279037")]
    public void MatchStep_RfcTestVector_MatchesItsStep(long unixSeconds, string code)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
        Assert.Equal(unixSeconds / 30, TotpCodes.MatchStep(RfcSecret, code, at));
        Assert.Equal(code, TotpCodes.Compute(RfcSecret, at));
    }

    [Fact]
    public void MatchStep_OneStepEitherSide_IsAccepted_TwoIsNot()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1111111109); // step 37037036
        Assert.Equal(37037035, TotpCodes.MatchStep(RfcSecret, TotpCodes.Compute(RfcSecret, now.AddSeconds(-30)), now));
        Assert.Equal(37037037, TotpCodes.MatchStep(RfcSecret, TotpCodes.Compute(RfcSecret, now.AddSeconds(30)), now));
        Assert.Null(TotpCodes.MatchStep(RfcSecret, TotpCodes.Compute(RfcSecret, now.AddSeconds(-60)), now));
        Assert.Null(TotpCodes.MatchStep(RfcSecret, TotpCodes.Compute(RfcSecret, now.AddSeconds(60)), now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    [InlineData("１２３４５６")] // full-width digits are not ASCII digits
    public void MatchStep_NotSixAsciiDigits_MatchesNothing(string code) =>
        Assert.Null(TotpCodes.MatchStep(RfcSecret, code, DateTimeOffset.FromUnixTimeSeconds(59)));

    [Fact]
    public void MatchStep_CorruptSecret_MatchesNothing() =>
        Assert.Null(TotpCodes.MatchStep("not base32!", "287082", DateTimeOffset.FromUnixTimeSeconds(59)));

    [Fact]
    public void Uri_EscapesIssuerAndAccount() =>
        Assert.Equal("otpauth://totp/My%20App:a%2Bb%40example.com?secret=ABC&issuer=My%20App&algorithm=SHA1&digits=6&period=30",
            TotpCodes.Uri("My App", "a+b@example.com", "ABC"));

    [Fact]
    public void NewSecret_Is160RandomBits()
    {
        var a = TotpCodes.NewSecret();
        Assert.Equal(20, OtpNet.Base32Encoding.ToBytes(a).Length);
        Assert.NotEqual(a, TotpCodes.NewSecret());
    }

    [Fact]
    public void RecoveryCodes_MatchOnlyTheirOwnHash_Normalized()
    {
        var codes = RecoveryCodes.Generate();
        var stored = RecoveryCodes.Hash(codes);
        Assert.DoesNotContain(codes[0], stored);
        var hash = RecoveryCodes.Match(codes[2].ToUpperInvariant().Replace("-", " "), stored);
        Assert.Equal(RecoveryCodes.Parse(stored)[2], hash);
        Assert.Null(RecoveryCodes.Match("aaaaa-aaaaa", stored));
        Assert.Null(RecoveryCodes.Match(codes[0], "not json"));
    }
}
