using System.Text.Json.Serialization;

namespace Cairn.RateLimiting;

/// <summary>Which algorithm a rule counts with; each is shown side by side in docs/concepts.md.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RateLimitAlgorithm>))]
public enum RateLimitAlgorithm
{
    /// <summary>At most N requests per window aligned to the client's first request: cheap, but up to 2N can pass around a window edge (PocketBase's only algorithm).</summary>
    [JsonStringEnumMemberName("fixedWindow")] FixedWindow,

    /// <summary>A bucket of N tokens refilled evenly over the duration: bursts up to N, then a steady rate.</summary>
    [JsonStringEnumMemberName("tokenBucket")] TokenBucket,

    /// <summary>An exact log of the last N request times: never more than N in any window of the duration, at the cost of N timestamps per client.</summary>
    [JsonStringEnumMemberName("slidingLog")] SlidingLog,
}

/// <summary>
/// One rate-limit rule in PocketBase's format (POCKETBASE_API.md 0.4) plus Cairn's <see cref="Algorithm"/> and
/// <see cref="By"/>. The label says which requests it counts: <c>posts:create</c>, <c>*:auth</c>,
/// <c>POST /api/batch</c> or a path prefix such as <c>/api/</c>.
/// </summary>
public sealed record RateLimitRule
{
    public string Label { get; init; } = "";

    /// <summary><c>""</c> for everyone, <c>@guest</c> or <c>@auth</c>.</summary>
    public string Audience { get; init; } = "";

    /// <summary>The window, in seconds.</summary>
    public int Duration { get; init; }

    public int MaxRequests { get; init; }

    public RateLimitAlgorithm Algorithm { get; init; } = RateLimitAlgorithm.FixedWindow;

    /// <summary><c>ip</c> (default) counts per client IP; <c>auth</c> per signed-in record (guests still per IP).</summary>
    public string By { get; init; } = "ip";

    [JsonIgnore] public TimeSpan Window => TimeSpan.FromSeconds(Duration);

    public static readonly string[] Actions =
    [
        "list", "view", "create", "update", "delete", "file", "listAuthMethods", "authRefresh", "authWithPassword", "authWithOAuth2",
        "authWithOTP", "auth", "requestOTP", "requestPasswordReset", "confirmPasswordReset", "requestVerification", "confirmVerification",
        "requestEmailChange", "confirmEmailChange",
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    /// <summary>A field name and message for the first problem, or null.</summary>
    public (string Field, string Message)? Problem()
    {
        if (!IsValidLabel(Label)) return ("label", "Must be collection:action, *:action, \"METHOD /path\" or a path prefix starting with /.");
        if (Audience is not ("" or "@guest" or "@auth")) return ("audience", "Must be \"\", \"@guest\" or \"@auth\".");
        if (Duration is < 1 or > 86_400) return ("duration", "Must be between 1 and 86400 seconds.");
        if (MaxRequests is < 1 or > 1_000_000) return ("maxRequests", "Must be between 1 and 1000000.");
        if (Algorithm == RateLimitAlgorithm.SlidingLog && MaxRequests > 10_000) return ("maxRequests", "A sliding log keeps one timestamp per request: at most 10000.");
        if (By is not ("ip" or "auth")) return ("by", "Must be \"ip\" or \"auth\".");
        return null;
    }

    private static bool IsValidLabel(string label)
    {
        if (label.StartsWith('/')) return label.Length <= 1000 && !label.Any(char.IsWhiteSpace);
        var space = label.IndexOf(' ');
        if (space > 0) return Methods.Contains(label[..space]) && label[(space + 1)..].StartsWith('/');
        var colon = label.IndexOf(':');
        return colon > 0 && Actions.Contains(label[(colon + 1)..]) && !label[..colon].Any(char.IsWhiteSpace);
    }
}

/// <summary><c>settings.rateLimits</c>: off by default, with PocketBase's default rules ready to switch on.</summary>
public sealed record RateLimitSettings
{
    public bool Enabled { get; init; }

    /// <summary>Client IPs that are never limited.</summary>
    public IReadOnlyList<string> ExcludedIPs { get; init; } = [];

    public IReadOnlyList<RateLimitRule> Rules { get; init; } =
    [
        new() { Label = "*:auth", Duration = 3, MaxRequests = 2 },
        new() { Label = "*:create", Duration = 5, MaxRequests = 20 },
        new() { Label = "/api/batch", Duration = 1, MaxRequests = 3 },
        new() { Label = "/api/", Duration = 10, MaxRequests = 300 },
    ];
}
