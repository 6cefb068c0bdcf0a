namespace Cairn.Query;

/// <summary>
/// The bound parameters and table aliases of one SQL statement under construction. Several compiled
/// pieces (a rule, the client filter, sort joins) share one instance so their names never collide.
/// Parameter names are <c>@q0</c>, <c>@q1</c>, …, distinct from the <c>@p</c> names of hand-written SQL.
/// </summary>
public sealed class QueryBindings
{
    private readonly List<KeyValuePair<string, object?>> _parameters = [];
    private int _aliases;

    public IReadOnlyList<KeyValuePair<string, object?>> Parameters => _parameters;

    /// <summary>Binds a value and returns its parameter name (SQLite stores a <c>bool</c> as 1/0, PostgreSQL as a boolean).</summary>
    public string Add(object? value)
    {
        var name = "@q" + _parameters.Count;
        _parameters.Add(new(name, value));
        return name;
    }

    /// <summary>A fresh, unquoted table alias.</summary>
    public string NewAlias(string kind) => $"_{kind}{_aliases++}";
}
