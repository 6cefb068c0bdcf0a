using System.Text.Json.Nodes;
using Cairn.Storage;

namespace Cairn.Collections;

/// <summary>The field types of POCKETBASE_API.md 3.2, with each type's option keys and defaults.</summary>
public static class FieldTypes
{
    public const string Text = "text", Editor = "editor", Number = "number", Bool = "bool", Email = "email", Url = "url",
        Date = "date", Autodate = "autodate", Select = "select", File = "file", Relation = "relation", Json = "json",
        GeoPoint = "geoPoint", Password = "password";

    private static readonly Dictionary<string, Func<JsonObject>> Defaults = new()
    {
        [Text] = () => new() { ["min"] = 0, ["max"] = 0, ["pattern"] = "", ["autogeneratePattern"] = "", ["primaryKey"] = false },
        [Editor] = () => new() { ["maxSize"] = 0, ["convertURLs"] = false },
        [Number] = () => new() { ["min"] = null, ["max"] = null, ["onlyInt"] = false },
        [Bool] = () => new(),
        [Email] = () => new() { ["exceptDomains"] = null, ["onlyDomains"] = null },
        [Url] = () => new() { ["exceptDomains"] = null, ["onlyDomains"] = null },
        [Date] = () => new() { ["min"] = "", ["max"] = "" },
        [Autodate] = () => new() { ["onCreate"] = true, ["onUpdate"] = false },
        [Select] = () => new() { ["maxSelect"] = 1, ["values"] = new JsonArray() },
        [File] = () => new() { ["maxSelect"] = 1, ["maxSize"] = 0, ["mimeTypes"] = new JsonArray(), ["thumbs"] = new JsonArray(), ["protected"] = false },
        [Relation] = () => new() { ["collectionId"] = "", ["cascadeDelete"] = false, ["minSelect"] = 0, ["maxSelect"] = 1 },
        [Json] = () => new() { ["maxSize"] = 0 },
        [GeoPoint] = () => new(),
        [Password] = () => new() { ["min"] = 0, ["max"] = 0, ["pattern"] = "", ["cost"] = 0 },
    };

    public static IEnumerable<string> All => Defaults.Keys;

    public static bool IsKnown(string type) => Defaults.ContainsKey(type);

    /// <summary>A fresh object with the type's option keys at their defaults.</summary>
    public static JsonObject DefaultOptions(string type) => Defaults[type]();

    /// <summary>Whether the type has a <c>required</c> option (autodate is set by the server only).</summary>
    public static bool HasRequired(string type) => type != Autodate;

    public static bool CanBeMultiple(string type) => type is Select or File or Relation;

    public static ColumnKind ColumnKind(Field field) => field.Type switch
    {
        Number => Storage.ColumnKind.Number,
        Bool => Storage.ColumnKind.Bool,
        Json => Storage.ColumnKind.Json,
        GeoPoint => Storage.ColumnKind.GeoPoint,
        _ when field.IsMultiple => Storage.ColumnKind.JsonArray,
        _ => Storage.ColumnKind.Text,
    };
}
