using System.Diagnostics;
using Cairn.Auth;

namespace Cairn.Tests.Auth;

/// <summary>bcrypt hashing and the dummy check that makes an unknown account cost as much as a wrong password.</summary>
public sealed class PasswordHasherTests
{
    private static long Time(Action action)
    {
        action(); // the first call of a cost makes its dummy hash
        var watch = Stopwatch.StartNew();
        action();
        return watch.ElapsedTicks;
    }

    [Fact]
    public void DummyCheck_RunsAtTheRequestedCost()
    {
        // Cost 11 is 128 times the work of cost 4; even on a busy machine it is far more than 8 times the time.
        var cheap = Time(() => PasswordHasher.VerifyDummy("password123", 4));
        var dear = Time(() => PasswordHasher.VerifyDummy("password123", 11));
        Assert.True(dear > cheap * 8, $"cost 11: {dear} ticks, cost 4: {cheap} ticks");
    }

    [Fact]
    public void DummyCheck_AlwaysFails() => Assert.False(PasswordHasher.VerifyDummy("anything", 4));

    [Theory]
    [InlineData(4)]
    [InlineData(10)]
    public void Hash_UsesTheCost_AndVerifies(int cost)
    {
        var hash = PasswordHasher.Hash("password123", cost);
        Assert.Equal(cost, PasswordHasher.CostOf(hash));
        Assert.True(PasswordHasher.Verify("password123", hash));
        Assert.False(PasswordHasher.Verify("password124", hash));
    }
}
