using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Collections;

/// <summary>
/// Reads a JSON number whatever backs the node. Options parsed from a request are backed by a
/// <see cref="JsonElement"/>, but defaults built in code hold an <c>int</c>, and
/// <c>JsonValue.TryGetValue&lt;double&gt;</c> does not convert those: a default such as the
/// superusers' token duration read as 0, so every token was born expired.
/// </summary>
internal static class JsonNumbers
{
    public static bool TryGet(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
