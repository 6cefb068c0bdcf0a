using System.Text.Json.Nodes;

namespace Cairn.Api;

/// <summary>Collects per-field validation errors in the shape clients localize on (<c>{code, message, params?}</c>).</summary>
public sealed class ValidationErrors
{
    private readonly JsonObject _data = new();

    public bool Any => _data.Count > 0;

    public bool Has(string field) => _data.ContainsKey(field);

    public ValidationErrors Add(string field, string code, string message, JsonObject? parameters = null)
    {
        if (_data.ContainsKey(field)) return this; // the first error of a field is the one reported
        var error = new JsonObject { ["code"] = code, ["message"] = ApiException.Sentence(message) };
        if (parameters is not null) error["params"] = parameters;
        _data[field] = error;
        return this;
    }

    /// <summary>Nests another error set under a key, as collection fields and batch requests do.</summary>
    public ValidationErrors Nest(string key, ValidationErrors inner)
    {
        if (!inner.Any) return this;
        if (_data[key] is JsonObject existing && !existing.ContainsKey("code")) Merge(existing, inner._data);
        else if (!_data.ContainsKey(key)) _data[key] = inner._data.DeepClone();
        return this;
    }

    /// <summary>Adds another error set's fields at this level (the first error per field still wins).</summary>
    public ValidationErrors Include(ValidationErrors other)
    {
        Merge(_data, other._data);
        return this;
    }

    // Errors found in several passes (shape, then rules) over the same item add up; the first error per key wins.
    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (name, error) in source)
        {
            if (!target.ContainsKey(name)) target[name] = error?.DeepClone();
            else if (target[name] is JsonObject a && !a.ContainsKey("code") && error is JsonObject b && !b.ContainsKey("code")) Merge(a, b);
        }
    }

    public JsonObject ToJson() => (JsonObject)_data.DeepClone();

    public void ThrowIfAny(string message)
    {
        if (Any) throw ApiException.BadRequest(message, ToJson());
    }
}
