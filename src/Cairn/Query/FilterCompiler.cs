namespace Cairn.Query;

/// <summary>
/// Compiles a filter or rule into a SQL condition on the tested row (POCKETBASE_API.md 2.3). The
/// top-level <c>&amp;&amp;</c> terms that need no join are emitted as they are, so an index on
/// <c>author</c> serves <c>author = @request.auth.id</c>; the terms that walk joins go into one
/// <c>EXISTS (SELECT 1 FROM … LEFT JOIN … WHERE …)</c>. That is PocketBase's "SELECT DISTINCT over the
/// joins" with the same meaning (a row matches when some combination of joined rows satisfies the
/// terms), but it never repeats a row, so lists need no DISTINCT and counts no COUNT(DISTINCT).
/// </summary>
public static class FilterCompiler
{
    /// <summary>The condition for <paramref name="expression"/> on the row at <see cref="QueryContext.Alias"/>; values go into <paramref name="bindings"/>.</summary>
    public static string Compile(QueryExpr expression, QueryContext context, QueryBindings bindings)
    {
        var resolver = new OperandResolver(context, bindings);
        var scope = new JoinScope(bindings, allowMulti: true);
        var direct = new List<string>();
        var joined = new List<string>();
        foreach (var term in Terms(expression, LogicalOp.And).Distinct())
        {
            scope.Touched = false;
            var sql = Node(term, resolver, scope, context, bindings);
            (scope.Touched ? joined : direct).Add(sql);
        }
        direct.AddRange(resolver.RowGuards);
        if (joined.Count > 0)
        {
            var anchor = bindings.NewAlias("x");
            direct.Add($"EXISTS (SELECT 1 FROM (SELECT 1) AS {anchor} {scope.Sql} WHERE {And(scope.Guards.Concat(joined))})");
        }
        return And(direct);
    }

    public static string Compile(string expression, QueryContext context, QueryBindings bindings) =>
        Compile(QueryCache.Shared.Parse(expression), context, bindings);

    private static string And(IEnumerable<string> parts) => string.Join(" AND ", parts.Select(p => "(" + p + ")"));

    private static string Node(QueryExpr expression, OperandResolver resolver, JoinScope scope, QueryContext context, QueryBindings bindings) => expression switch
    {
        LogicalExpr l => Chain(l, resolver, scope, context, bindings),
        ComparisonExpr c => Comparison(c, resolver, scope, context, bindings),
        _ => throw new ArgumentOutOfRangeException(nameof(expression)),
    };

    /// <summary>
    /// A run of one operator (<c>a || b || c</c>) as one flat SQL list. A term repeated in the run is compiled once,
    /// since <c>a || a</c> is <c>a</c>: a filter of a hundred copies of one condition costs the engine one.
    /// </summary>
    private static string Chain(LogicalExpr chain, OperandResolver resolver, JoinScope scope, QueryContext context, QueryBindings bindings)
    {
        var terms = Terms(chain, chain.Op).Distinct().Select(t => Node(t, resolver, scope, context, bindings)).ToList();
        return terms.Count == 1 ? terms[0] : "(" + string.Join(chain.Op == LogicalOp.And ? " AND " : " OR ", terms) + ")";
    }

    private static IEnumerable<QueryExpr> Terms(QueryExpr expression, LogicalOp op) => expression is LogicalExpr l && l.Op == op
        ? Terms(l.Left, op).Concat(Terms(l.Right, op))
        : [expression];

    /// <summary>
    /// A comparison over the shared joins: with a <c>?</c> operator that is "any". A plain operator over a
    /// multi-valued operand means "all must match": the values are walked again in a separate subquery and
    /// none may fail the condition (POCKETBASE_API.md 2.3).
    /// </summary>
    private static string Comparison(ComparisonExpr comparison, OperandResolver resolver, JoinScope scope, QueryContext context, QueryBindings bindings)
    {
        var left = resolver.Resolve(comparison.Left, scope);
        var right = resolver.Resolve(comparison.Right, scope);
        var sql = ComparisonSql.Build(comparison.Sign.Op, left, right, bindings, context.Dialect);
        if (comparison.Sign.Any || !(left.Multi || right.Multi)) return sql;

        var each = new JoinScope(bindings, allowMulti: true);
        var eachLeft = resolver.Resolve(comparison.Left, each);
        var eachRight = resolver.Resolve(comparison.Right, each);
        var failing = $"NOT ({ComparisonSql.Build(comparison.Sign.Op, eachLeft, eachRight, bindings, context.Dialect)})";
        var anchor = bindings.NewAlias("x");
        return $"({sql} AND NOT EXISTS (SELECT 1 FROM (SELECT 1) AS {anchor} {each.Sql} WHERE {And(each.Guards.Append(failing))}))";
    }
}
