using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Records.Expand;

namespace Cairn.Records;

/// <summary>
/// A row of a collection. Values are kept normalized by field type: text-like fields as
/// <see cref="string"/>, numbers as <see cref="double"/>, bools as <see cref="bool"/>, multiple
/// select/relation/file fields as <see cref="List{T}"/> of string, json and geoPoint as <see cref="JsonNode"/>.
/// </summary>
public sealed class Record(Collection collection)
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.OrdinalIgnoreCase);

    public Collection Collection { get; } = collection;

    public string Id
    {
        get => GetString("id");
        set => _values["id"] = value;
    }

    /// <summary>The optimistic-concurrency version; 0 for a record not yet stored.</summary>
    public long Version { get; set; }

    public string ETag => $"\"{Id}-{Version}\"";

    /// <summary>
    /// Set for one response when the caller satisfies the collection's manage rule for this auth record,
    /// which lets it see the record's email (POCKETBASE_API.md 0.3). Never stored.
    /// </summary>
    public bool CallerManages { get; set; }

    /// <summary>
    /// Related records loaded by <c>?expand=</c>, by relation name; null when no expansion ran for this
    /// record (the output then has no <c>expand</c> key), empty when one ran and found nothing.
    /// </summary>
    public Dictionary<string, ExpandedRelation>? Expand { get; set; }

    public object? this[string field]
    {
        get => _values.GetValueOrDefault(field);
        set => _values[field] = value;
    }

    public string GetString(string field) => _values.GetValueOrDefault(field) as string ?? "";

    public bool GetBool(string field) => _values.GetValueOrDefault(field) is true;

    public IReadOnlyList<string> GetList(string field) => _values.GetValueOrDefault(field) switch
    {
        List<string> list => list,
        string { Length: > 0 } s => [s],
        _ => [],
    };

    public Record Clone()
    {
        var copy = new Record(Collection) { Version = Version };
        foreach (var (key, value) in _values)
            copy._values[key] = value switch
            {
                List<string> list => new List<string>(list),
                JsonNode node => node.DeepClone(),
                _ => value,
            };
        return copy;
    }
}
