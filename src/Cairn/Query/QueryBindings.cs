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

    /// <summary>Binds a value and returns its parameter name; <c>bool</c> binds as 1/0 so SQLite and PostgreSQL compare it alike.</summary>
    public string Add(object? value)
    {
        var name = "@q" + _parameters.Count;
        _parameters.Add(new(name, value is bool b ? (b ? 1L : 0L) : value));
        return name;
    }

    /// <summary>A fresh, unquoted table alias.</summary>
    public string NewAlias(string kind) => $"_{kind}{_aliases++}";
}
