using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;

namespace Cairn.Records;

/// <summary>
/// Turns submitted JSON values into a field's normalized value, with PocketBase's lenient casts
/// (a number sent to a text field becomes its text, "1" sent to a number field becomes 1, …).
/// Values that cannot be cast become the zero value, and validation then reports what is missing.
/// </summary>
internal static class FieldValues
{
    public static object? Zero(Field field) => FieldTypes.ColumnKind(field) switch
    {
        Storage.ColumnKind.Number => 0d,
        Storage.ColumnKind.Bool => false,
        Storage.ColumnKind.JsonArray => new List<string>(),
        Storage.ColumnKind.Json => null,
        Storage.ColumnKind.GeoPoint => new JsonObject { ["lon"] = 0, ["lat"] = 0 },
        _ => "",
    };

    public static object? Normalize(Field field, JsonNode? value) => field.Type switch
    {
        FieldTypes.Number => ToNumber(value),
        FieldTypes.Bool => ToBool(value),
        FieldTypes.Json => ToJson(value),
        FieldTypes.GeoPoint => value is JsonObject o
            ? new JsonObject { ["lon"] = ToNumber(o["lon"]), ["lat"] = ToNumber(o["lat"]) }
            : Zero(field),
        FieldTypes.Date => ToDate(value),
        FieldTypes.Select or FieldTypes.Relation or FieldTypes.File => field.IsMultiple ? ToList(value) : ToSingle(value),
        _ => ToText(value),
    };

    public static string ToText(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.Number => v.ToJsonString(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True ? "true" : "false",
        _ => value.ToJsonString(),
    };

    public static double ToNumber(JsonNode? value)
    {
        if (value is JsonValue v)
        {
            if (CairnJson.TryGetNumber(v, out var d)) return double.IsFinite(d) ? d : 0;
            if (v.TryGetValue<bool>(out var b)) return b ? 1 : 0;
            if (v.TryGetValue<string>(out var s) && double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed))
                return parsed;
        }
        return 0;
    }

    public static bool ToBool(JsonNode? value)
    {
        if (value is not JsonValue v) return false;
        if (v.TryGetValue<bool>(out var b)) return b;
        if (CairnJson.TryGetNumber(v, out var d)) return d != 0;
        return v.TryGetValue<string>(out var s) && s.Trim().ToLowerInvariant() is "true" or "1" or "t" or "yes" or "on";
    }

    private static string ToDate(JsonNode? value)
    {
        var text = ToText(value);
        if (text.Length == 0) return "";
        return CairnJson.ParseDate(text) is { } date ? CairnJson.FormatDate(date) : text; // invalid dates are reported by validation
    }

    private static string ToSingle(JsonNode? value) => value is JsonArray a
        ? a.Count == 0 ? "" : ToText(a[^1])
        : ToText(value);

    public static List<string> ToList(JsonNode? value)
    {
        IEnumerable<string> items = value switch
        {
            null => [],
            JsonArray a => a.Select(ToText),
            _ => [ToText(value)],
        };
        var list = new List<string>();
        foreach (var item in items)
            if (item.Length > 0 && !list.Contains(item)) list.Add(item);
        return list;
    }

    /// <summary>
    /// JSON fields normalize strings: "true", "false", "null" and strings that look like JSON numbers,
    /// strings, arrays or objects are parsed; anything else is stored as a JSON string (POCKETBASE_API.md 3.2).
    /// </summary>
    private static JsonNode? ToJson(JsonNode? value)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            var trimmed = s.Trim();
            if (trimmed is "true" or "false" or "null" || (trimmed.Length > 0 && (char.IsAsciiDigit(trimmed[0]) || trimmed[0] is '-' or '"' or '[' or '{')))
            {
                try { return JsonNode.Parse(trimmed); }
                catch (JsonException) { }
            }
            return JsonValue.Create(s);
        }
        return value?.DeepClone();
    }

    /// <summary>The JSON output of a normalized value.</summary>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        double d => d == Math.Floor(d) && Math.Abs(d) < 9007199254740992 ? JsonValue.Create((long)d) : JsonValue.Create(d),
        long l => JsonValue.Create(l),
        bool b => JsonValue.Create(b),
        List<string> list => new JsonArray(list.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
        JsonNode node => node.DeepClone(),
        _ => JsonValue.Create(value.ToString()),
    };
}
