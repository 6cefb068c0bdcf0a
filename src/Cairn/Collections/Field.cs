using System.Text.Json.Nodes;

namespace Cairn.Collections;

/// <summary>
/// One field of a collection. Type-specific options are kept as the JSON the API speaks
/// (see <see cref="FieldTypes"/>), with typed accessors for the ones the server acts on.
/// </summary>
public sealed class Field
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = FieldTypes.Text;
    public bool System { get; set; }
    public bool Hidden { get; set; }
    public bool Presentable { get; set; }
    public bool Required { get; set; }
    public string Help { get; set; } = "";
    public JsonObject Options { get; set; } = new();

    public bool IsMultiple => FieldTypes.CanBeMultiple(Type) && MaxSelect > 1;
    public int MaxSelect => Int("maxSelect", 1);
    public int MinSelect => Int("minSelect", 0);
    public bool PrimaryKey => Bool("primaryKey");
    public string Pattern => Str("pattern");
    public string AutogeneratePattern => Str("autogeneratePattern");
    public bool OnCreate => Bool("onCreate");
    public bool OnUpdate => Bool("onUpdate");
    public bool OnlyInt => Bool("onlyInt");
    public string RelationCollectionId => Str("collectionId");
    public bool CascadeDelete => Bool("cascadeDelete");
    public IReadOnlyList<string> Values => List("values");
    public IReadOnlyList<string> OnlyDomains => List("onlyDomains");
    public IReadOnlyList<string> ExceptDomains => List("exceptDomains");

    public int Int(string key, int fallback = 0) =>
        JsonNumbers.TryGet(Options[key], out var d) ? (int)d : fallback;

    public double? Number(string key) =>
        JsonNumbers.TryGet(Options[key], out var d) ? d : null;

    public bool Bool(string key) => Options[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public string Str(string key) => Options[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public IReadOnlyList<string> List(string key) =>
        Options[key] is JsonArray a ? a.Select(n => n?.ToString() ?? "").ToList() : [];

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["id"] = Id,
            ["name"] = Name,
            ["type"] = Type,
            ["system"] = System,
            ["hidden"] = Hidden,
            ["presentable"] = Presentable,
        };
        if (FieldTypes.HasRequired(Type)) json["required"] = Required;
        foreach (var (key, value) in Options) json[key] = value?.DeepClone();
        json["help"] = Help;
        return json;
    }

    public Field Clone() => new()
    {
        Id = Id, Name = Name, Type = Type, System = System, Hidden = Hidden, Presentable = Presentable,
        Required = Required, Help = Help, Options = (JsonObject)Options.DeepClone(),
    };
}
