using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;

namespace Cairn.Collections;

/// <summary>Reads collection JSON (stored or sent by a client) and merges request bodies over scaffolds or stored models.</summary>
public static class CollectionJson
{
    private static readonly HashSet<string> CommonKeys =
        ["id", "name", "type", "system", "listRule", "viewRule", "createRule", "updateRule", "deleteRule", "fields", "indexes", "created", "updated", "viewQuery"];

    /// <summary>Builds a collection from JSON; shape errors are reported in <paramref name="errors"/> when given, else thrown.</summary>
    public static Collection Parse(JsonObject json, ValidationErrors? errors = null)
    {
        var own = errors ?? new ValidationErrors();
        var collection = new Collection
        {
            Id = Str(json, "id"),
            Name = Str(json, "name"),
            Type = Str(json, "type") is { Length: > 0 } t ? t : Collection.Base,
            System = Bool(json, "system"),
            ListRule = Rule(json, "listRule", own),
            ViewRule = Rule(json, "viewRule", own),
            CreateRule = Rule(json, "createRule", own),
            UpdateRule = Rule(json, "updateRule", own),
            DeleteRule = Rule(json, "deleteRule", own),
            Created = Str(json, "created"),
            Updated = Str(json, "updated"),
            ViewQuery = json["viewQuery"] is JsonValue q && q.TryGetValue<string>(out var query) ? query : null,
        };

        if (json["fields"] is JsonArray fields)
        {
            var fieldErrors = new ValidationErrors();
            for (var i = 0; i < fields.Count; i++)
            {
                if (fields[i] is JsonObject f) collection.Fields.Add(ParseField(f, i, fieldErrors));
                else fieldErrors.Add(i.ToString(), "validation_invalid_value", "Must be an object.");
            }
            own.Nest("fields", fieldErrors);
        }
        else if (json["fields"] is not null) own.Add("fields", "validation_invalid_value", "Must be an array.");

        if (json["indexes"] is JsonArray indexes)
            collection.Indexes = indexes.Select(i => i is JsonValue v && v.TryGetValue<string>(out var s) ? s : "").ToList();
        else if (json["indexes"] is not null) own.Add("indexes", "validation_invalid_value", "Must be an array.");

        if (collection.Type == Collection.Auth) collection.AuthOptions = ParseAuthOptions(json, own);

        if (errors is null) own.ThrowIfAny("Failed to load the collection.");
        return collection;
    }

    /// <summary>
    /// Merges the auth options of a body over the defaults. An option of the wrong shape is reported
    /// and replaced by its default, so nothing downstream ever reads, say, a number as a rule.
    /// </summary>
    private static JsonObject ParseAuthOptions(JsonObject json, ValidationErrors errors)
    {
        var options = CollectionScaffolds.DefaultAuthOptions();
        foreach (var (key, value) in json)
        {
            if (CommonKeys.Contains(key) || !options.ContainsKey(key)) continue;
            var merged = MergeOption(options[key], value);
            if (key is "authRule" or "manageRule")
            {
                if (merged is not null && merged.GetValueKind() != JsonValueKind.String) errors.Add(key, "validation_invalid_value", "Must be a string or null.");
            }
            else CheckShape(options[key], merged, key, errors);
            if (!errors.Has(key)) options[key] = merged;
        }
        return options;
    }

    // Reports a value whose JSON kind differs from the default's; objects are compared key by key,
    // and arrays item by item against the default's first item.
    private static void CheckShape(JsonNode? template, JsonNode? value, string key, ValidationErrors errors)
    {
        switch (template)
        {
            case JsonObject t when value is JsonObject v:
                var inner = new ValidationErrors();
                foreach (var (k, sub) in t)
                    if (v.ContainsKey(k)) CheckShape(sub, v[k], k, inner);
                if (inner.Any) errors.Nest(key, inner);
                return;
            case JsonArray t when value is JsonArray v:
                if (t.Count > 0 && v.Any(item => !SameKind(t[0], item))) errors.Add(key, "validation_invalid_value", "Invalid value type.");
                return;
            case JsonValue when value is JsonValue && SameKind(template, value):
                return;
        }
        errors.Add(key, "validation_invalid_value", "Invalid value type.");
    }

    private static Field ParseField(JsonObject json, int index, ValidationErrors errors)
    {
        var type = Str(json, "type");
        var field = new Field
        {
            Id = Str(json, "id"),
            Name = Str(json, "name"),
            Type = type,
            System = Bool(json, "system"),
            Hidden = Bool(json, "hidden"),
            Presentable = Bool(json, "presentable"),
            Required = Bool(json, "required"),
            Help = Str(json, "help"),
        };
        if (!FieldTypes.IsKnown(type))
        {
            errors.Nest(index.ToString(), new ValidationErrors().Add("type", "validation_invalid_value", "Unknown field type."));
            return field;
        }
        var options = FieldTypes.DefaultOptions(type);
        var optionErrors = new ValidationErrors();
        foreach (var (key, kinds) in CommonFieldKeys)
            if (json[key] is { } value && !kinds.Contains(value.GetValueKind())) optionErrors.Add(key, "validation_invalid_value", "Invalid value type.");
        foreach (var key in options.Select(p => p.Key).ToList())
        {
            if (!json.TryGetPropertyValue(key, out var value)) continue;
            var fallback = options[key];
            if (SameKind(fallback, value)) options[key] = value?.DeepClone();
            else optionErrors.Add(key, "validation_invalid_value", "Invalid value type.");
        }
        field.Options = options;
        errors.Nest(index.ToString(), optionErrors);
        return field;
    }

    // The keys every field has; a wrong kind is an error rather than silently read as "" or false.
    private static readonly (string Key, JsonValueKind[] Kinds)[] CommonFieldKeys =
    [
        ("id", [JsonValueKind.String]), ("name", [JsonValueKind.String]), ("help", [JsonValueKind.String]),
        ("system", [JsonValueKind.True, JsonValueKind.False]), ("hidden", [JsonValueKind.True, JsonValueKind.False]),
        ("presentable", [JsonValueKind.True, JsonValueKind.False]), ("required", [JsonValueKind.True, JsonValueKind.False]),
    ];

    // Nullable number options (number min/max) and nullable lists (domains) default to null.
    // Every list option (values, mimeTypes, thumbs, domains, identityFields) is a list of strings.
    private static bool SameKind(JsonNode? fallback, JsonNode? value)
    {
        if (value is JsonArray list) return fallback is null or JsonArray && list.All(i => i?.GetValueKind() == JsonValueKind.String);
        if (value is null) return fallback is null || fallback is JsonArray;
        if (fallback is null) return value is JsonArray || value.GetValueKind() is JsonValueKind.Number;
        return (fallback.GetValueKind(), value.GetValueKind()) switch
        {
            (JsonValueKind.True or JsonValueKind.False, JsonValueKind.True or JsonValueKind.False) => true,
            var (a, b) => a == b,
        };
    }

    private static JsonNode? MergeOption(JsonNode? current, JsonNode? incoming)
    {
        if (current is JsonObject target && incoming is JsonObject source)
        {
            var merged = (JsonObject)target.DeepClone();
            foreach (var (key, value) in source) merged[key] = MergeOption(merged[key], value);
            return merged;
        }
        return incoming?.DeepClone();
    }

    /// <summary>Overlays a create body on the type's scaffold, adding system fields and the <c>created</c>/<c>updated</c> pair a dashboard would.</summary>
    public static JsonObject MergeForCreate(JsonObject body)
    {
        var type = body["type"] is JsonValue t && t.TryGetValue<string>(out var s) && s.Length > 0 ? s : Collection.Base;
        var scaffold = CollectionScaffolds.For(type is Collection.Auth or Collection.View ? type : Collection.Base).ToJson(includeSecrets: true);
        var merged = Overlay(scaffold, body);
        merged["type"] = type;
        if (body["fields"] is JsonArray fields)
        {
            var list = fields.Select(f => f?.DeepClone()).ToList();
            var names = new HashSet<string>(fields.OfType<JsonObject>().Select(f => Str(f, "name")), StringComparer.OrdinalIgnoreCase);
            var system = scaffold["fields"]!.AsArray().OfType<JsonObject>().Where(f => !names.Contains(Str(f, "name"))).Select(f => f.DeepClone());
            merged["fields"] = new JsonArray([.. system, .. list]);
        }
        // A "fields" that is not a list is left for Parse to report.
        if (type != Collection.View && merged["fields"] is JsonArray current)
        {
            var hasAutodate = current.OfType<JsonObject>().Any(f => Str(f, "type") == FieldTypes.Autodate);
            // A body field that already uses the name wins: adding ours would make the body invalid.
            if (!hasAutodate)
                foreach (var f in CollectionScaffolds.AutodateFields())
                    if (!current.OfType<JsonObject>().Any(c => string.Equals(Str(c, "name"), f.Name, StringComparison.OrdinalIgnoreCase)))
                        current.Add(f.ToJson());
        }
        return merged;
    }

    /// <summary>Overlays an update body on the stored model; fields sent without an id keep the id of the same-named stored field.</summary>
    public static JsonObject MergeForUpdate(Collection existing, JsonObject body)
    {
        var stored = existing.ToJson(includeSecrets: true);
        var merged = Overlay(stored, body);
        if (body["fields"] is JsonArray fields)
        {
            var list = new JsonArray();
            foreach (var node in fields)
            {
                if (node is not JsonObject f) { list.Add(node?.DeepClone()); continue; }
                var copy = (JsonObject)f.DeepClone();
                if (Str(copy, "id").Length == 0 && existing.FindField(Str(copy, "name")) is { } same) copy["id"] = same.Id;
                list.Add(copy);
            }
            // System fields cannot be removed; a body that leaves them out keeps them.
            var ids = new HashSet<string>(list.OfType<JsonObject>().Select(f => Str(f, "id")));
            foreach (var system in existing.Fields.Where(f => f.System && !ids.Contains(f.Id)).Reverse())
                list.Insert(0, system.ToJson());
            merged["fields"] = list;
        }
        return merged;
    }

    private static JsonObject Overlay(JsonObject target, JsonObject body)
    {
        var merged = (JsonObject)target.DeepClone();
        foreach (var (key, value) in body)
        {
            if (key is "created" or "updated" or "system") continue;
            merged[key] = key == "fields" ? value?.DeepClone() : MergeOption(merged[key], value);
        }
        return merged;
    }

    private static string? Rule(JsonObject json, string key, ValidationErrors errors)
    {
        var node = json[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        errors.Add(key, "validation_invalid_value", "Must be a string or null.");
        return null;
    }

    private static string Str(JsonObject json, string key) => json[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static bool Bool(JsonObject json, string key) => json[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
}
