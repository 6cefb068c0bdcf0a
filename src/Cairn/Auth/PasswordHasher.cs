using System.Collections.Concurrent;
using Cairn.Collections;

namespace Cairn.Auth;

/// <summary>bcrypt (BCrypt.Net-Next): slow on purpose and salted per hash, so a leaked table resists guessing.</summary>
public static class PasswordHasher
{
    public const int DefaultCost = 10;

    // Valid hashes of a random password, one per cost: checking one costs the same as a real check at that
    // cost, so an unknown account takes as long to reject as a wrong password (no account enumeration by timing).
    private static readonly ConcurrentDictionary<int, Lazy<string>> DummyHashes = new();

    public static string Hash(string password, int cost = DefaultCost) =>
        BCrypt.Net.BCrypt.HashPassword(password, cost is >= 4 and <= 31 ? cost : DefaultCost);

    public static bool Verify(string password, string hash)
    {
        if (string.IsNullOrEmpty(hash) || !hash.StartsWith("$2", StringComparison.Ordinal)) return false;
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    /// <summary>Spends one bcrypt check's time at <paramref name="cost"/> and always fails.</summary>
    public static bool VerifyDummy(string password, int cost = DefaultCost)
    {
        cost = cost is >= 4 and <= 31 ? cost : DefaultCost;
        var hash = DummyHashes.GetOrAdd(cost, c => new Lazy<string>(() => BCrypt.Net.BCrypt.HashPassword(Guid.NewGuid().ToString(), c))).Value;
        BCrypt.Net.BCrypt.Verify(password, hash);
        return false;
    }

    /// <summary>The cost a password field hashes at (its <c>cost</c> option; 0 means <see cref="DefaultCost"/>).</summary>
    public static int ConfiguredCost(Field? field) => field?.Int("cost") is > 0 and var cost ? cost : DefaultCost;

    /// <summary>The cost a bcrypt hash was made with (<c>$2a$10$…</c> → 10), or null when it is no bcrypt hash.</summary>
    public static int? CostOf(string hash) =>
        hash.Length >= 7 && hash.StartsWith("$2", StringComparison.Ordinal) && hash[3] == '$' && hash[6] == '$'
        && int.TryParse(hash.AsSpan(4, 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var cost)
            ? cost : null;
}
