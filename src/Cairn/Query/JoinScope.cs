namespace Cairn.Query;

/// <summary>
/// The joins one part of a query walks through. Joins are shared by path, as PocketBase shares them by
/// alias: in <c>@collection.m.user ?= @request.auth.id &amp;&amp; @collection.m.team = team</c> both
/// conditions read the same joined <c>m</c> row, which is what makes such rules mean "some member row
/// has this user and this team". An empty relation joins as one row of NULLs (LEFT JOIN).
/// </summary>
internal sealed class JoinScope(QueryBindings bindings, bool allowMulti)
{
    private readonly List<string> _clauses = [];
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);

    /// <summary>False for sort joins, which sit in the main FROM clause and so must not repeat rows.</summary>
    public bool AllowMulti { get; } = allowMulti;

    /// <summary>Conditions the joined rows must meet (a crossed collection's list rule, email visibility).</summary>
    public List<string> Guards { get; } = [];

    /// <summary>Set whenever a join is used; the compiler reads it to tell join-free conditions apart.</summary>
    public bool Touched { get; set; }

    public bool IsEmpty => _clauses.Count == 0;

    public string Sql => string.Join(" ", _clauses);

    /// <summary>The alias of the join for <paramref name="key"/>, adding it (built by <paramref name="clause"/> from its alias) the first time.</summary>
    public string Join(string key, string kind, Func<string, string> clause)
    {
        Touched = true;
        if (_aliases.TryGetValue(key, out var alias)) return alias;
        alias = bindings.NewAlias(kind);
        _clauses.Add(clause(alias));
        _aliases[key] = alias;
        return alias;
    }

    /// <summary>Whether <paramref name="key"/> was joined already (its guards are then in place).</summary>
    public bool Has(string key) => _aliases.ContainsKey(key);
}
