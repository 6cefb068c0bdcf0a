using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// The SQL of one comparison, in the forms of POCKETBASE_API.md 2.3: <c>=</c> and <c>!=</c> treat null and
/// empty alike (unless an operand is JSON, compared with <c>IS</c>), <c>~</c> wraps its text in <c>%…%</c>.
/// </summary>
internal static class ComparisonSql
{
    public static string Build(CompareOp op, SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect) => op switch
    {
        CompareOp.Equal => Equality(true, left, right, bindings, dialect),
        CompareOp.NotEqual => Equality(false, left, right, bindings, dialect),
        CompareOp.Greater => $"{left.Emit(bindings)} > {right.Emit(bindings)}",
        CompareOp.GreaterOrEqual => $"{left.Emit(bindings)} >= {right.Emit(bindings)}",
        CompareOp.Less => $"{left.Emit(bindings)} < {right.Emit(bindings)}",
        CompareOp.LessOrEqual => $"{left.Emit(bindings)} <= {right.Emit(bindings)}",
        CompareOp.Like or CompareOp.NotLike => dialect.Like(left.Emit(bindings), LikeRight(right, bindings, dialect), negate: op == CompareOp.NotLike),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static string LikeRight(SqlOperand right, QueryBindings bindings, SqlDialect dialect) =>
        right.IsConstant
            ? bindings.Add(LikePattern.Wrap(LikePattern.ToText(right.Value)))
            : dialect.Concat("'%'", right.Sql!, "'%'");

    private static string Equality(bool equal, SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect)
    {
        if (left.NoCoalesce || right.NoCoalesce) return dialect.Same(left.Emit(bindings), right.Emit(bindings), equal);

        string Op(string a, string b) => equal ? $"{a} = {b}" : dialect.Same(a, b, equal: false);
        var nullTest = equal ? "IS NULL" : "IS NOT NULL";
        var join = equal ? "OR" : "AND";

        if (left.IsEmptyConstant && right.IsEmptyConstant) return equal ? "1 = 1" : "1 = 0";
        // One side is known to be non-empty, so null and empty need no special care: a = 'x'.
        if (left.IsKnownNonEmpty || right.IsKnownNonEmpty)
            return Op(left.IsEmptyConstant ? "''" : left.Emit(bindings), right.IsEmptyConstant ? "''" : right.Emit(bindings));
        if (left.IsEmptyConstant)
        {
            var r = right.Emit(bindings);
            return $"({Op("''", r)} {join} {r} {nullTest})";
        }
        if (right.IsEmptyConstant)
        {
            var l = left.Emit(bindings);
            return $"({Op(l, "''")} {join} {l} {nullTest})";
        }
        return Op($"COALESCE({left.Emit(bindings)}, '')", $"COALESCE({right.Emit(bindings)}, '')");
    }
}
