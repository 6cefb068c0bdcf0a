using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;

namespace Cairn.Auth.Otp;

/// <summary>An auth collection's <c>otp</c> options (POCKETBASE_API.md 3.1), read once per request.</summary>
internal sealed record OtpSettings(bool Enabled, TimeSpan Duration, int Length, string Subject, string Body)
{
    public static OtpSettings Of(Collection collection)
    {
        var otp = collection.AuthOptions["otp"] as JsonObject;
        var template = otp?["emailTemplate"] as JsonObject;
        return new OtpSettings(
            otp?["enabled"] is JsonValue e && e.TryGetValue<bool>(out var enabled) && enabled,
            TimeSpan.FromSeconds(CairnJson.TryGetNumber(otp?["duration"], out var d) && d > 0 ? d : 180),
            // PocketBase allows lengths from 4 up; anything odd falls back to its default of 8.
            CairnJson.TryGetNumber(otp?["length"], out var l) && l is >= 4 and <= 64 ? (int)l : 8,
            template?["subject"]?.GetValue<string>() ?? "OTP for {APP_NAME}",
            template?["body"]?.GetValue<string>() ?? "<p>Your one-time password is: <strong>{OTP}</strong></p>");
    }
}
