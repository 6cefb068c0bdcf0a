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
        if (op is CompareOp.Equal or CompareOp.NotEqual) return Equality(op == CompareOp.Equal, left, right, bindings, dialect);
        (left, right) = OperandTypes.Unify(left, right, bindings, dialect);
        return op switch
        {
            CompareOp.Greater => dialect.Order(left.Emit(bindings), ">", right.Emit(bindings), left.Kind ?? right.Kind),
            CompareOp.GreaterOrEqual => dialect.Order(left.Emit(bindings), ">=", right.Emit(bindings), left.Kind ?? right.Kind),
            CompareOp.Less => dialect.Order(left.Emit(bindings), "<", right.Emit(bindings), left.Kind ?? right.Kind),
            CompareOp.LessOrEqual => dialect.Order(left.Emit(bindings), "<=", right.Emit(bindings), left.Kind ?? right.Kind),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }

    private static string LikeRight(SqlOperand right, QueryBindings bindings, SqlDialect dialect) =>
        right.IsConstant
            ? bindings.Add(LikePattern.Wrap(LikePattern.ToText(right.Value)))
            : dialect.Concat("'%'", OperandTypes.AsText(right, bindings, dialect).Emit(bindings), "'%'");

    // Each form unifies the operands as SQLite compares them in that form; `= ''` and `= null` need no unifying (and,
    // unified, the '' would stop being a known empty constant).
    private static string Equality(bool equal, SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect)
    {
        if (left.NoCoalesce || right.NoCoalesce)
        {
            (left, right) = OperandTypes.Unify(left, right, bindings, dialect);
            return dialect.Same(left.Emit(bindings), right.Emit(bindings), equal);
        }

        string Op(string a, string b) => equal ? $"{a} = {b}" : dialect.Same(a, b, equal: false);
        var nullTest = equal ? "IS NULL" : "IS NOT NULL";
        var join = equal ? "OR" : "AND";

        if (left.IsEmptyConstant && right.IsEmptyConstant) return equal ? "1 = 1" : "1 = 0";
        // A known non-empty value is never null or empty; written out, `@p = ''` would make PostgreSQL read '' as the @p's type.
        if ((left.IsKnownNonEmpty && right.IsEmptyConstant) || (left.IsEmptyConstant && right.IsKnownNonEmpty)) return equal ? "1 = 0" : "1 = 1";
        // One side is known to be non-empty, so null and empty need no special care: a = 'x'.
        if (left.IsKnownNonEmpty || right.IsKnownNonEmpty)
        {
            (left, right) = OperandTypes.Unify(left, right, bindings, dialect);
            return Op(left.Emit(bindings), right.Emit(bindings));
        }
        if (left.IsEmptyConstant || right.IsEmptyConstant)
        {
            var other = left.IsEmptyConstant ? right : left;
            var sql = other.Emit(bindings);
            return $"({dialect.EmptyComparison(sql, other.Kind, equal)} {join} {sql} {nullTest})";
        }
        (left, right) = OperandTypes.UnifyCoalesced(left, right, bindings, dialect);
        return Op(dialect.CoalesceEmpty(left.Emit(bindings), left.Kind), dialect.CoalesceEmpty(right.Emit(bindings), right.Kind));
    }
}
