namespace Cairn.Auth.BruteForce;

/// <summary>
/// Limits on credential guessing (password, one-time code and other sign-ins). Failures are counted per
/// account (collection + identity as typed, whether or not it exists) and per client IP, each in a fixed
/// window; past the limit every attempt is refused with 429 until the window ends. Before that, repeated
/// failures on one account slow each further attempt down.
/// </summary>
public sealed record BruteForceOptions
{
    /// <summary>Failures per account in one window before it is locked; 0 turns the account lockout off.</summary>
    public int AccountMaxFailures { get; init; } = 10;

    /// <summary>Failures per client IP in one window before it is locked (password spraying); 0 turns it off.</summary>
    public int IpMaxFailures { get; init; } = 50;

    /// <summary>How long a window lasts, from its first failure; a lockout ends with its window.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Failures on an account before attempts are delayed; the delay then doubles with every failure.</summary>
    public int DelayAfter { get; init; } = 3;

    /// <summary>The first delay (zero turns delays off).</summary>
    public TimeSpan DelayBase { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay.</summary>
    public TimeSpan DelayMax { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Requests per client IP and minute to all credential endpoints together; 0 turns the limit off.</summary>
    public int CredentialRequestsPerMinute { get; init; } = 60;

    public string? Validate()
    {
        if (CredentialRequestsPerMinute < 0) return "--credential-rate-limit must be 0 (off) or more.";
        if (AccountMaxFailures < 0) return "--lockout-failures must be 0 (off) or more.";
        if (IpMaxFailures < 0) return "--lockout-ip-failures must be 0 (off) or more.";
        if (Window <= TimeSpan.Zero) return "--lockout-minutes must be at least 1.";
        if (DelayAfter < 0 || DelayBase < TimeSpan.Zero || DelayMax < DelayBase) return "The sign-in delay settings are invalid.";
        return null;
    }
}
