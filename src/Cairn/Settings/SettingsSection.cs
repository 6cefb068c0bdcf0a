using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.RateLimiting;

namespace Cairn.Settings;

/// <summary>
/// Reads the values of one section of a settings document (<c>meta</c>, <c>smtp</c>…, or the top level when
/// <see cref="Name"/> is null): a missing key keeps its fallback, a value of the wrong type is a field error.
/// </summary>
internal sealed class SettingsSection
{
    private readonly JsonObject _values;

    private SettingsSection(JsonObject values, string? name)
    {
        _values = values;
        Name = name;
    }

    /// <summary>The section <paramref name="name"/> of <paramref name="document"/> (null: the top level); one that is not an object reads as empty, the caller reports it.</summary>
    public static SettingsSection Of(JsonObject document, string? name) =>
        new(name is null ? document : document[name] as JsonObject ?? [], name);

    public string? Name { get; }

    public ValidationErrors Errors { get; } = new();

    public T Invalid<T>(string key, string message, T fallback)
    {
        Errors.Add(key, "validation_invalid_value", message);
        return fallback;
    }

    public string String(string key, string fallback) => _values[key] switch
    {
        null when !_values.ContainsKey(key) => fallback,
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(), // not trimmed: a password may end in a space
        _ => Invalid(key, "Must be a string.", fallback),
    };

    public bool Bool(string key, bool fallback) => _values[key] switch
    {
        null => fallback,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => Invalid(key, "Must be true or false.", fallback),
    };

    /// <summary>A number of at most a billion either way: enough for any setting, and never an overflow further on (a TimeSpan, an int).</summary>
    public double Number(string key, double fallback) => _values[key] switch
    {
        null => fallback,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && CairnJson.TryGetNumber(v, out var n) && Math.Abs(n) <= 1e9 => n,
        _ => Invalid(key, "Must be a number between -1000000000 and 1000000000.", fallback),
    };

    public int Int(string key, int fallback) => _values[key] switch
    {
        null => fallback,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && CairnJson.TryGetNumber(v, out var n) && n == Math.Floor(n) && n is >= int.MinValue and <= int.MaxValue => (int)n,
        _ => Invalid(key, "Must be a whole number.", fallback),
    };

    public long Long(string key, long fallback) => _values[key] switch
    {
        null => fallback,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && CairnJson.TryGetNumber(v, out var n) && n == Math.Floor(n) && Math.Abs(n) < 1e15 => (long)n,
        _ => Invalid(key, "Must be a whole number.", fallback),
    };

    public IReadOnlyList<string> Strings(string key, IReadOnlyList<string> fallback)
    {
        if (_values[key] is null) return fallback;
        if (_values[key] is not JsonArray array || array.Any(item => item is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
            return Invalid(key, "Must be a list of strings.", fallback);
        return [.. array.Select(item => item!.GetValue<string>().Trim())];
    }

    /// <summary>Rate-limit rules; errors nest by index and field (<c>rules.1.duration</c>), as PocketBase reports them.</summary>
    public IReadOnlyList<RateLimitRule> Rules(string key, IReadOnlyList<RateLimitRule> fallback)
    {
        if (_values[key] is null) return fallback;
        if (_values[key] is not JsonArray array) return Invalid(key, "Must be a list of rules.", fallback);
        var rules = new List<RateLimitRule>();
        var errors = new ValidationErrors();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject item)
            {
                errors.Add(i.ToString(), "validation_invalid_value", "Must be an object.");
                continue;
            }
            var rule = new SettingsSection(item, null);
            var defaults = new RateLimitRule();
            rules.Add(new RateLimitRule
            {
                Label = rule.String("label", ""), Audience = rule.String("audience", ""),
                Duration = rule.Int("duration", 0), MaxRequests = rule.Int("maxRequests", 0),
                Algorithm = rule.String("algorithm", "fixedWindow") switch
                {
                    "fixedWindow" => RateLimitAlgorithm.FixedWindow, "tokenBucket" => RateLimitAlgorithm.TokenBucket, "slidingLog" => RateLimitAlgorithm.SlidingLog,
                    _ => rule.Invalid("algorithm", "Must be fixedWindow, tokenBucket or slidingLog.", defaults.Algorithm),
                },
                By = rule.String("by", defaults.By),
            });
            errors.Nest(i.ToString(), rule.Errors);
        }
        Errors.Nest(key, errors);
        return rules;
    }
}
