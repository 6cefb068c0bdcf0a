using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// The SQL of one comparison, in the forms of POCKETBASE_API.md 2.3: <c>=</c> and <c>!=</c> treat null and
/// empty alike (unless an operand is JSON, compared with <c>IS</c>), <c>~</c> wraps its text in <c>%…%</c>.
/// </summary>
internal static class ComparisonSql
{
    public static string Build(CompareOp op, SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect)
    {
        if (op is CompareOp.Like or CompareOp.NotLike)
            return dialect.Like(OperandTypes.AsText(left, bindings, dialect).Emit(bindings), LikeRight(right, bindings, dialect), negate: op == CompareOp.NotLike);
        (left, right) = OperandTypes.Unify(left, right, bindings, dialect);
        return op switch
        {
            CompareOp.Equal => Equality(true, left, right, bindings, dialect),
            CompareOp.NotEqual => Equality(false, left, right, bindings, dialect),
            CompareOp.Greater => $"{left.Emit(bindings)} > {right.Emit(bindings)}",
            CompareOp.GreaterOrEqual => $"{left.Emit(bindings)} >= {right.Emit(bindings)}",
            CompareOp.Less => $"{left.Emit(bindings)} < {right.Emit(bindings)}",
            CompareOp.LessOrEqual => $"{left.Emit(bindings)} <= {right.Emit(bindings)}",
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }

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
        if (left.IsEmptyConstant || right.IsEmptyConstant)
        {
            var other = left.IsEmptyConstant ? right : left;
            var sql = other.Emit(bindings);
            return $"({dialect.EmptyComparison(sql, other.Kind, equal)} {join} {sql} {nullTest})";
        }
        return Op(dialect.CoalesceEmpty(left.Emit(bindings), left.Kind), dialect.CoalesceEmpty(right.Emit(bindings), right.Kind));
    }
}
