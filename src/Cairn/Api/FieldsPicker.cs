using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cairn.Api;

/// <summary>
/// The <c>?fields=</c> picker (POCKETBASE_API.md 0.3): a comma list of dot paths with <c>*</c> for
/// "every key at this level" and an <c>:excerpt(max, ellipsis?)</c> modifier. It applies to every
/// 2xx JSON response; for list envelopes it applies to each item and keeps the envelope keys.
/// </summary>
public static partial class FieldsPicker
{
    private static readonly HashSet<string> EnvelopeKeys = ["page", "perPage", "totalItems", "totalPages", "items"];

    public static JsonNode? Apply(JsonNode? node, string? fields)
    {
        if (string.IsNullOrWhiteSpace(fields) || node is null) return node;
        var tree = Parse(fields);
        if (node is JsonObject envelope && envelope.Count == 5 && envelope.All(p => EnvelopeKeys.Contains(p.Key)) && envelope["items"] is JsonArray items)
        {
            PickEach(items, tree);
            return envelope;
        }
        return Pick(node, tree);
    }

    private sealed class PickNode
    {
        public Dictionary<string, PickNode> Children { get; } = new();
        public (int Max, bool Ellipsis)? Excerpt { get; set; }
    }

    [GeneratedRegex(@"^(?<name>[^:]+)(?::excerpt\(\s*(?<max>\d+)\s*(?:,\s*(?<ellipsis>\w+)\s*)?\))?$")]
    private static partial Regex Part();

    private static PickNode Parse(string fields)
    {
        var root = new PickNode();
        foreach (var raw in SplitTopLevel(fields))
        {
            var match = Part().Match(raw.Trim());
            if (!match.Success) continue;
            var node = root;
            foreach (var segment in match.Groups["name"].Value.Split('.'))
            {
                if (!node.Children.TryGetValue(segment, out var child)) node.Children[segment] = child = new PickNode();
                node = child;
            }
            // A max too large for an int can only mean "no limit".
            if (match.Groups["max"].Success)
                node.Excerpt = (int.TryParse(match.Groups["max"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : int.MaxValue,
                    match.Groups["ellipsis"].Success && bool.TryParse(match.Groups["ellipsis"].Value, out var e) && e);
        }
        return root;
    }

    // Commas inside excerpt(...) do not separate fields.
    private static IEnumerable<string> SplitTopLevel(string fields)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < fields.Length; i++)
        {
            if (fields[i] == '(') depth++;
            else if (fields[i] == ')') depth = Math.Max(0, depth - 1);
            else if (fields[i] == ',' && depth == 0) { yield return fields[start..i]; start = i + 1; }
        }
        yield return fields[start..];
    }

    private static JsonNode? Pick(JsonNode? node, PickNode tree)
    {
        if (tree.Children.Count == 0) return node;
        switch (node)
        {
            case JsonArray array:
                PickEach(array, tree);
                return array;
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj.ToList())
                {
                    var pick = tree.Children.GetValueOrDefault(key) ?? tree.Children.GetValueOrDefault("*");
                    if (pick is null) continue;
                    obj.Remove(key);
                    result[key] = pick.Excerpt is { } excerpt ? Excerpt(value, excerpt.Max, excerpt.Ellipsis) : Pick(value, pick);
                }
                return result;
            default:
                return node;
        }
    }

    // Arrays are picked in place; an item that comes back unchanged is the same node, still parented
    // here, and must not be assigned again (JsonNode allows one parent).
    private static void PickEach(JsonArray array, PickNode tree)
    {
        for (var i = 0; i < array.Count; i++)
        {
            var picked = Pick(array[i], tree);
            if (!ReferenceEquals(picked, array[i])) array[i] = picked;
        }
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    private static JsonNode? Excerpt(JsonNode? value, int max, bool ellipsis)
    {
        if (value is not JsonValue v || !v.TryGetValue<string>(out var html)) return value;
        var text = Spaces().Replace(WebUtility.HtmlDecode(Tags().Replace(html, " ")), " ").Trim();
        // Counted in characters (runes) as PocketBase does, so a cut never splits a surrogate pair.
        var runes = text.EnumerateRunes().ToList();
        if (runes.Count <= max) return text;
        var cut = new StringBuilder(string.Concat(runes.Take(max)).TrimEnd());
        if (ellipsis) cut.Append("...");
        return cut.ToString();
    }
}
