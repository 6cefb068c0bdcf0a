using System.Text.Json.Nodes;
using Cairn.Records;

namespace Cairn.Query;

/// <summary>
/// What <c>@request.*</c> reads (POCKETBASE_API.md 2.2): the caller's auth record, the method, the context,
/// query parameters and headers (first values; header names in snake_case), and the submitted body
/// <em>after</em> modifiers were resolved. Every value reaches SQL as a bound parameter.
/// </summary>
public sealed record RequestData
{
    public const string DefaultContext = "default", BatchContext = "batch";

    public Record? Auth { get; init; }
    public string Method { get; init; } = "GET";
    public string Context { get; init; } = DefaultContext;
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Submitted values by name: a field's normalized value (string, double, bool, list of strings, JSON node)
    /// for keys that name a field of the collection, the raw <see cref="JsonNode"/> for other keys.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Body { get; init; } = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);

    public static readonly RequestData Guest = new();

    /// <summary><c>X-Token</c> → <c>x_token</c>, the form rules name headers by.</summary>
    public static string HeaderKey(string name) => name.ToLowerInvariant().Replace('-', '_');
}
