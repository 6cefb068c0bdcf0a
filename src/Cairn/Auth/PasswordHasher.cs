namespace Cairn.Auth;

/// <summary>bcrypt (BCrypt.Net-Next): slow on purpose and salted per hash, so a leaked table resists guessing.</summary>
public static class PasswordHasher
{
    public const int DefaultCost = 10;

    // A valid hash of a random password: checking it costs the same as a real check, so an
    // unknown account takes as long to reject as a wrong password (no account enumeration by timing).
    private static readonly Lazy<string> DummyHash = new(() => BCrypt.Net.BCrypt.HashPassword(Guid.NewGuid().ToString(), DefaultCost));

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

    /// <summary>Spends one bcrypt check's time and always fails.</summary>
    public static bool VerifyDummy(string password)
    {
        BCrypt.Net.BCrypt.Verify(password, DummyHash.Value);
        return false;
    }
}
