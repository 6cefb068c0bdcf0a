using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;

namespace Cairn.Auth.Mfa;

/// <summary>An auth collection's <c>mfa</c> options (POCKETBASE_API.md 1.3 "MFA"): on or off, how long a session lives, and which sign-ins need it.</summary>
internal sealed record MfaSettings(bool Enabled, TimeSpan Duration, string Rule)
{
    public static MfaSettings Of(Collection collection)
    {
        var mfa = collection.AuthOptions["mfa"] as JsonObject;
        return new MfaSettings(
            mfa?["enabled"] is JsonValue e && e.TryGetValue<bool>(out var enabled) && enabled,
            TimeSpan.FromSeconds(CairnJson.TryGetNumber(mfa?["duration"], out var d) && d > 0 ? d : 600),
            mfa?["rule"] is JsonValue r && r.TryGetValue<string>(out var rule) ? rule : "");
    }
}
