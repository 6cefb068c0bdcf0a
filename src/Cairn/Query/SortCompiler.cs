using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// Sort terms of a list (POCKETBASE_API.md 1.1): fields, single-valued relation and JSON paths, with
/// their joins in the main FROM clause. A multi-valued path would repeat rows, so it is refused.
/// </summary>
public sealed class SortCompiler
{
    private readonly OperandResolver _resolver;
    private readonly JoinScope _scope;
    private readonly SqlDialect _dialect;

    public SortCompiler(QueryContext context, QueryBindings bindings)
    {
        _resolver = new OperandResolver(context, bindings);
        _scope = new JoinScope(bindings, allowMulti: false);
        _dialect = context.Dialect;
    }

    /// <summary>LEFT JOINs to put after the main table.</summary>
    public string Joins => _scope.Sql;

    /// <summary>Conditions the joins bring (a crossed collection's list rule for client sorts).</summary>
    public IEnumerable<string> Guards => _scope.Guards.Concat(_resolver.RowGuards);

    /// <summary>The SQL expressions to order by (one, or a type rank first where the engine orders JSON types unlike SQLite); throws <see cref="QueryException"/> for anything but a known path.</summary>
    public IReadOnlyList<string> Expressions(string path)
    {
        // Parsed as an operand so that only a well-formed identifier is accepted, never any other text.
        if (QueryCache.Shared.Parse(path + " = 1") is not ComparisonExpr { Left: IdentifierOperand identifier } || identifier.Name != path)
            throw new QueryResolveException($"Invalid sort field \"{path}\".");
        var operand = _resolver.Resolve(identifier, _scope);
        if (operand.Sql is null) throw new QueryResolveException($"Unknown sort field \"{path}\".");
        return _dialect.SortKeys(operand.Sql, operand.Kind ?? ColumnKind.Text);
    }
}
