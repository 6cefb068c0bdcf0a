namespace Cairn.Bench;

/// <summary>
/// The rows the benchmark stores, derived from the row index so that Cairn (seeded through its API)
/// and the floor (seeded directly) hold identical data under identical ids.
/// </summary>
public static class SeedData
{
    public const string Body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.";

    /// <summary>
    /// Every user's password. The 1,000 authors in <c>users</c> are hashed at bcrypt cost 4 so that seeding stays
    /// fast; the <see cref="SignInUsers"/> users of <c>signin_users</c>, who sign in under load, at the default cost 10.
    /// </summary>
    public const string Password = "bench-user-password";

    public const int SignInUsers = 64;

    public static string Title(int index) => $"Post number {index}";

    public static double Likes(int index) => index % 1000;

    public static string Email(int user) => $"user{user}@bench.example";

    public static string Name(int user) => $"User {user}";

    /// <summary>
    /// The author (an index into the users) of post or note <paramref name="index"/>: round-robin, so each
    /// user's posts are spread through the table as if written over time, not stored side by side.
    /// </summary>
    public static int Author(int index, int users) => index % users;

    /// <summary>Distinct 15-character [a-z0-9] ids (Cairn's id format), the same for the same seed.</summary>
    public static string[] Ids(int count, int seed)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        var random = new Random(seed);
        var ids = new HashSet<string>(count);
        Span<char> id = stackalloc char[15];
        while (ids.Count < count)
        {
            for (var i = 0; i < id.Length; i++) id[i] = alphabet[random.Next(alphabet.Length)];
            ids.Add(new string(id));
        }
        return [.. ids];
    }
}
