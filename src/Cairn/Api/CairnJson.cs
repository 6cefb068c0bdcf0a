using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Api;

/// <summary>JSON settings and date formats shared by every endpoint.</summary>
public static class CairnJson
{
    /// <summary>PocketBase's date layout: UTC, millisecond precision, a space instead of <c>T</c>.</summary>
    public const string DateFormat = "yyyy-MM-dd HH:mm:ss.fff'Z'";

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string FormatDate(DateTimeOffset value) => value.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses the date layouts clients send (PocketBase layout, RFC 3339, plain dates); null when not a date.</summary>
    public static DateTimeOffset? ParseDate(string value)
    {
        value = value.Trim();
        if (value.Length == 0) return null;
        string[] layouts =
        [
            "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss",
            "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss",
            "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd",
        ];
        return DateTimeOffset.TryParseExact(value, layouts, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) ? parsed : null;
    }

    /// <summary>
    /// Reads a JSON number whatever backs it. A value built in code (<c>JsonValue.Create(15)</c>, as in
    /// scaffolds and defaults) refuses <c>TryGetValue&lt;double&gt;</c> unless it was created from a double,
    /// unlike a parsed one, so a plain TryGetValue would read such options as missing.
    /// </summary>
    public static bool TryGetNumber(JsonNode? node, out double value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue(out value)) return true;
        return v.GetValueKind() == JsonValueKind.Number
               && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static string ToJsonString(JsonNode? node) => node?.ToJsonString(Options) ?? "null";
}
