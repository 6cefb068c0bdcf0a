namespace Cairn.Tests.Auth;

/// <summary>A clock a test sets by hand, so windows and expiries pass without waiting (timers still run in real time).</summary>
internal sealed class SettableClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
