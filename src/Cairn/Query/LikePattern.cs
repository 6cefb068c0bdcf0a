using System.Globalization;

namespace Cairn.Query;

/// <summary>
/// The <c>~</c> operand of POCKETBASE_API.md 2.3: text is wrapped as <c>%text%</c> with <c>%</c>, <c>_</c>
/// and <c>\</c> escaped (a character a backslash already escapes is left alone), unless it holds an
/// unescaped <c>%</c>, in which case it is a pattern the user wrote (<c>"abc%"</c> is a prefix match).
/// The escape character is <c>\</c>. Shared by the SQL compiler and the reference evaluator.
/// </summary>
public static class LikePattern
{
    public static string Wrap(string value)
    {
        if (ContainsUnescaped(value, '%')) return value;
        return "%" + EscapeUnescaped(value) + "%";
    }

    /// <summary>The text a constant compares as in a <c>~</c>: numbers invariant, booleans 1/0, null empty.</summary>
    public static string ToText(object? value) => value switch
    {
        null => "",
        string s => s,
        double d => d.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "1" : "0",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static bool ContainsUnescaped(string value, char c)
    {
        var previous = '\0';
        foreach (var ch in value)
        {
            if (ch == c && previous != '\\') return true;
            // "\\" is an escaped backslash, so it does not escape the character after it.
            previous = ch == '\\' && previous == '\\' ? '\0' : ch;
        }
        return false;
    }

    // Walks from the end, as PocketBase does, so a backslash that escapes a special character is kept as the escape.
    private static string EscapeUnescaped(string value)
    {
        var result = new List<char>(value.Length + 4);
        var match = false;
        for (var i = value.Length - 1; i >= 0; i--)
        {
            var c = value[i];
            if (match)
            {
                if (c != '\\') result.Add('\\');
                match = false;
            }
            else if (c is '%' or '_' or '\\') match = true;
            result.Add(c);
            if (i == 0 && match) result.Add('\\');
        }
        result.Reverse();
        return new string(result.ToArray());
    }
}
