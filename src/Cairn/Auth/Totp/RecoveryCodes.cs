using System.Security.Cryptography;
using System.Text.Json;

namespace Cairn.Auth.Totp;

/// <summary>
/// Single-use codes that stand in for the authenticator app when it is lost. They are shown once, at enrolment,
/// and stored only as bcrypt hashes, so a leaked table does not give them away; checking one is a bcrypt
/// verify, which compares in constant time.
/// </summary>
internal static class RecoveryCodes
{
    public const int Count = 10;

    // Cost 8, as PocketBase uses for one-time codes: the codes are long random strings, not human passwords.
    private const int Cost = 8;

    // No 0/o, 1/l/i: the codes are read off paper.
    private const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    /// <summary>Fresh codes in the form <c>xxxxx-xxxxx</c> (about 49 bits each).</summary>
    public static List<string> Generate() =>
        Enumerable.Range(0, Count).Select(_ => RandomNumberGenerator.GetString(Alphabet, 5) + "-" + RandomNumberGenerator.GetString(Alphabet, 5)).ToList();

    /// <summary>The stored form: a JSON list of bcrypt hashes of the normalized codes.</summary>
    public static string Hash(IEnumerable<string> codes) =>
        JsonSerializer.Serialize(codes.Select(c => PasswordHasher.Hash(Normalize(c), Cost)).ToList());

    public static List<string> Parse(string stored)
    {
        if (stored.Length == 0) return [];
        try
        {
            return JsonSerializer.Deserialize<List<string>>(stored) ?? [];
        }
        catch (JsonException)
        {
            return []; // overwritten by hand (a superuser's records API update hashes it): no codes left
        }
    }

    /// <summary>The stored hash <paramref name="code"/> matches, or null. Every hash is checked, so the time does not tell which one matched.</summary>
    public static string? Match(string code, string stored)
    {
        var normalized = Normalize(code);
        string? match = null;
        foreach (var hash in Parse(stored))
            if (PasswordHasher.Verify(normalized, hash) && match is null) match = hash;
        return match;
    }

    public static string Serialize(IEnumerable<string> hashes) => JsonSerializer.Serialize(hashes);

    // Spaces, dashes and case are how people copy codes, not part of them.
    private static string Normalize(string code) =>
        new(code.Where(c => c != '-' && !char.IsWhiteSpace(c)).Select(char.ToLowerInvariant).ToArray());
}
