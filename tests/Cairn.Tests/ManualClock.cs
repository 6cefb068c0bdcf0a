namespace Cairn.Tests;

/// <summary>A clock the test moves by hand, so expiry, windows and TOTP time steps are tested without waiting (timers still run in real time).</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Now += by;
}
