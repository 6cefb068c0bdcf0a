using System.Security.Cryptography;
using System.Text;

namespace Cairn.Collections;

/// <summary>
/// Generates a random string matching an <c>autogeneratePattern</c>. Only the regex subset such
/// patterns use is supported (literals, escapes, <c>[classes]</c>, <c>\d</c>, <c>\w</c> and
/// <c>{n}</c>/<c>{n,m}</c> counts); <see cref="CanGenerate"/> tells whether a pattern fits it.
/// </summary>
public static class PatternGenerator
{
    public static bool CanGenerate(string pattern) => TryGenerate(pattern, out _);

    public static string Generate(string pattern) =>
        TryGenerate(pattern, out var value) ? value : throw new ArgumentException($"Unsupported autogenerate pattern \"{pattern}\".");

    private static bool TryGenerate(string pattern, out string value)
    {
        var output = new StringBuilder();
        value = "";
        var p = pattern.TrimStart('^');
        if (p.EndsWith('$') && !p.EndsWith("\\$")) p = p[..^1];
        var i = 0;
        while (i < p.Length)
        {
            string alphabet;
            if (p[i] == '[')
            {
                var end = p.IndexOf(']', i + 1);
                if (end < 0 || !TryClass(p[(i + 1)..end], out alphabet)) return false;
                i = end + 1;
            }
            else if (p[i] == '\\' && i + 1 < p.Length)
            {
                alphabet = p[i + 1] switch
                {
                    'd' => "0123456789",
                    'w' => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
                    var c when !char.IsLetterOrDigit(c) => c.ToString(),
                    _ => "",
                };
                if (alphabet.Length == 0) return false;
                i += 2;
            }
            else if ("()|*+?.{}".Contains(p[i])) return false;
            else alphabet = p[i++].ToString();

            var (min, max) = (1, 1);
            if (i < p.Length && p[i] == '{')
            {
                var end = p.IndexOf('}', i);
                if (end < 0) return false;
                var parts = p[(i + 1)..end].Split(',');
                if (!int.TryParse(parts[0], out min)) return false;
                max = parts.Length > 1 ? (int.TryParse(parts[1], out var m) ? m : -1) : min;
                if (max < min || max > 10000) return false;
                i = end + 1;
            }
            var count = min == max ? min : RandomNumberGenerator.GetInt32(min, max + 1);
            output.Append(RandomNumberGenerator.GetString(alphabet, count));
        }
        value = output.ToString();
        return true;
    }

    private static bool TryClass(string body, out string alphabet)
    {
        var chars = new StringBuilder();
        alphabet = "";
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '^' && i == 0) return false;
            if (c == '\\' && i + 1 < body.Length) { c = body[++i]; if (c == 'd') { chars.Append("0123456789"); continue; } }
            if (i + 2 < body.Length && body[i + 1] == '-')
            {
                var to = body[i + 2];
                if (to < c) return false;
                for (var x = c; x <= to; x++) chars.Append(x);
                i += 2;
            }
            else chars.Append(c);
        }
        alphabet = new string(chars.ToString().Distinct().ToArray());
        return alphabet.Length > 0;
    }
}
