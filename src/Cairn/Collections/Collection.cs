using System.Text.Json.Nodes;

namespace Cairn.Collections;

/// <summary>A collection: its schema, rules and (for auth collections) auth options, as stored and as the API speaks it.</summary>
public sealed class Collection
{
    public const string Base = "base", Auth = "auth", View = "view";
    public const string SuperusersId = "pbc_3142635823", SuperusersName = "_superusers";

    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = Base;
    public bool System { get; set; }
    public string? ListRule { get; set; }
    public string? ViewRule { get; set; }
    public string? CreateRule { get; set; }
    public string? UpdateRule { get; set; }
    public string? DeleteRule { get; set; }
    public List<Field> Fields { get; set; } = [];
    public List<string> Indexes { get; set; } = [];
    public string Created { get; set; } = "";
    public string Updated { get; set; } = "";
    public string? ViewQuery { get; set; }

    /// <summary>Auth-only options (<c>authRule</c>, <c>manageRule</c>, <c>passwordAuth</c>, tokens with their secrets, …).</summary>
    public JsonObject AuthOptions { get; set; } = new();

    public bool IsAuth => Type == Auth;
    public bool IsView => Type == View;
    public bool IsSuperusers => Id == SuperusersId;

    public Field? FindField(string name) => Fields.Find(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The secret of a token kind such as <c>authToken</c>; tokens are signed with the record's tokenKey plus this.</summary>
    public string TokenSecret(string kind) => (AuthOptions[kind] as JsonObject)?["secret"]?.GetValue<string>() ?? "";

    public int TokenDuration(string kind) =>
        JsonNumbers.TryGet((AuthOptions[kind] as JsonObject)?["duration"], out var d) ? (int)d : 0;

    public JsonObject ToJson(bool includeSecrets = false)
    {
        var json = new JsonObject
        {
            ["id"] = Id,
            ["name"] = Name,
            ["type"] = Type,
            ["system"] = System,
            ["listRule"] = ListRule,
            ["viewRule"] = ViewRule,
            ["createRule"] = CreateRule,
            ["updateRule"] = UpdateRule,
            ["deleteRule"] = DeleteRule,
            ["fields"] = new JsonArray(Fields.Select(f => (JsonNode)f.ToJson()).ToArray()),
            ["indexes"] = new JsonArray(Indexes.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray()),
            ["created"] = Created,
            ["updated"] = Updated,
        };
        if (IsView) json["viewQuery"] = ViewQuery ?? "";
        if (IsAuth)
        {
            foreach (var (key, value) in AuthOptions) json[key] = value?.DeepClone();
            if (!includeSecrets) HideSecrets(json);
        }
        return json;
    }

    // Token secrets and OAuth2 client secrets are never output (POCKETBASE_API.md 1.6, 3.1).
    private static void HideSecrets(JsonObject json)
    {
        foreach (var (_, value) in json)
            if (value is JsonObject option) option.Remove("secret");
        if (json["oauth2"]?["providers"] is JsonArray providers)
            foreach (var provider in providers.OfType<JsonObject>()) provider.Remove("clientSecret");
    }

    public Collection Clone() => CollectionJson.Parse(ToJson(includeSecrets: true));
}
