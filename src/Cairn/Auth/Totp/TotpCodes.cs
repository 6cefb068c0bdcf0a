using OtpNet;
using QRCoder;

namespace Cairn.Auth.Totp;

/// <summary>
/// Authenticator-app codes as RFC 6238 defines them and every common app reads them: HMAC-SHA1, 6 digits, a
/// 30-second step, a 160-bit secret in base32. Time always comes from the caller (the injected clock).
/// </summary>
internal static class TotpCodes
{
    public const int Digits = 6, StepSeconds = 30;

    /// <summary>A fresh random secret (RFC 4226 recommends 160 bits), base32 without padding.</summary>
    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20)).TrimEnd('=');

    /// <summary>
    /// The time step a code is valid for at <paramref name="now"/>, one step of clock drift either way allowed
    /// (RFC 6238 section 5.2), or null when it matches none. Otp.NET compares in constant time.
    /// </summary>
    public static long? MatchStep(string secret, string code, DateTimeOffset now)
    {
        if (code.Length != Digits || !code.All(char.IsAsciiDigit) || secret.Length == 0) return null;
        byte[] key;
        try
        {
            key = Base32Encoding.ToBytes(secret);
        }
        catch (ArgumentException)
        {
            return null; // a secret overwritten by hand is no secret: nothing matches it
        }
        var totp = new OtpNet.Totp(key, StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, new VerificationWindow(previous: 1, future: 1)) ? step : null;
    }

    /// <summary>The current code of a secret; for tests and for nothing else, as the server never needs to show one.</summary>
    public static string Compute(string secret, DateTimeOffset at) =>
        new OtpNet.Totp(Base32Encoding.ToBytes(secret), StepSeconds, OtpHashMode.Sha1, Digits).ComputeTotp(at.UtcDateTime);

    /// <summary>The Key Uri Format authenticator apps scan: <c>otpauth://totp/{issuer}:{account}?secret=…&amp;issuer=…</c>.</summary>
    public static string Uri(string issuer, string account, string secret)
    {
        var label = System.Uri.EscapeDataString(issuer) + ":" + System.Uri.EscapeDataString(account);
        return $"otpauth://totp/{label}?secret={secret}&issuer={System.Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";
    }

    /// <summary>The URI as a QR code, a PNG in a data URL, ready for an <c>&lt;img src&gt;</c>.</summary>
    public static string QrCodeDataUrl(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(pixelsPerModule: 6);
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }
}
