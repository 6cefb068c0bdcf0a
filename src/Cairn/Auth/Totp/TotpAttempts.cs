using Cairn.Api;
using Cairn.Records;

namespace Cairn.Auth.Totp;

/// <summary>
/// At most 5 TOTP or recovery codes per record within 5 minutes, counted before the code is checked: a 6-digit
/// code has a million values, so without a limit a stolen password plus guessing would do.
/// </summary>
internal sealed class TotpAttempts(AttemptCounter counter)
{
    public const int MaxTries = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public void Count(Record owner)
    {
        if (counter.Increment(Key(owner), Window) > MaxTries)
            throw new ApiException(429, "Too many attempts, please try again later.");
    }

    /// <summary>A right code ends the count, so a user who mistyped a few times is not locked out afterwards.</summary>
    public void Reset(Record owner) => counter.Reset(Key(owner));

    private static string Key(Record owner) => $"totp:{owner.Collection.Id}:{owner.Id}";
}
