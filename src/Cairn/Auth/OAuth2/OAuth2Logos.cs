namespace Cairn.Auth.OAuth2;

/// <summary>
/// The inline SVG logos <c>auth-methods</c> returns (PocketBase 0.37+). Kept deliberately plain: a brand-coloured
/// badge with the provider's initial, so no third-party artwork ships with the server.
/// </summary>
public static class OAuth2Logos
{
    private static readonly Dictionary<string, (string Color, string Letter)> Badges = new(StringComparer.Ordinal)
    {
        ["google"] = ("#4285F4", "G"),
        ["github"] = ("#24292F", "G"),
        ["microsoft"] = ("#00A4EF", "M"),
        ["gitlab"] = ("#FC6D26", "G"),
        ["discord"] = ("#5865F2", "D"),
        ["apple"] = ("#000000", "A"),
    };

    public static string For(string provider)
    {
        var (color, letter) = Badges.GetValueOrDefault(provider, ("#6B7280", "O"));
        return $"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="16" fill="{color}"/><text x="16" y="21.5" font-family="sans-serif" font-size="16" font-weight="700" text-anchor="middle" fill="#fff">{letter}</text></svg>""";
    }
}
