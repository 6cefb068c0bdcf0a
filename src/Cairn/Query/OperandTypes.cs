using System.Globalization;
using System.Text.Json;
using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// Makes both sides of a comparison one type on engines that insist on it (PostgreSQL), the way SQLite's
/// column affinity would have converted them, so a filter means the same on both engines:
/// a constant takes the type of the column it meets when it converts (<c>title = 5</c> compares text,
/// <c>likes = "5"</c> compares numbers); values that cannot meet (<c>likes = "abc"</c>) are compared as JSON,
/// where, as between SQLite's storage classes, different types are never equal; JSON meets anything as JSON.
/// On SQLite every operand is left as it is.
/// </summary>
internal static class OperandTypes
{
    public static (SqlOperand Left, SqlOperand Right) Unify(SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect)
    {
        if (!dialect.TypedComparisons || left.Kind is not { } l || right.Kind is not { } r || l == r) return (left, right);
        var target = Target(left, right, l, r);
        if (target != ColumnKind.Json && (!Converts(left, target) || !Converts(right, target))) target = ColumnKind.Json;
        return (To(left, target, bindings, dialect), To(right, target, bindings, dialect));
    }

    /// <summary>The operand as text (the left side of <c>~</c>).</summary>
    public static SqlOperand AsText(SqlOperand operand, QueryBindings bindings, SqlDialect dialect) =>
        dialect.TypedComparisons && operand.Kind is { } kind && kind != ColumnKind.Text ? To(operand, ColumnKind.Text, bindings, dialect) : operand;

    /// <summary>The operand's SQL as a value of <paramref name="kind"/> (a function argument).</summary>
    public static string EmitAs(this SqlOperand operand, ColumnKind kind, QueryBindings bindings, SqlDialect dialect) =>
        (dialect.TypedComparisons && operand.Kind is { } from && from != kind ? To(operand, kind, bindings, dialect) : operand).Emit(bindings);

    private static ColumnKind Target(SqlOperand left, SqlOperand right, ColumnKind l, ColumnKind r)
    {
        if (l == ColumnKind.Json || r == ColumnKind.Json) return ColumnKind.Json;
        if (left.IsConstant != right.IsConstant) return left.IsConstant ? r : l; // the column's affinity wins
        if (left.IsConstant) return l is ColumnKind.Text || r is ColumnKind.Text ? ColumnKind.Json : ColumnKind.Number;
        return l is ColumnKind.Text || r is ColumnKind.Text ? ColumnKind.Text : ColumnKind.Number;
    }

    private static bool Converts(SqlOperand operand, ColumnKind kind) => !operand.IsConstant || ConvertValue(operand.Value, kind, out _);

    private static SqlOperand To(SqlOperand operand, ColumnKind kind, QueryBindings bindings, SqlDialect dialect)
    {
        if (operand.Kind == kind) return operand;
        if (!operand.IsConstant) return operand with { Sql = dialect.Convert(operand.Sql!, operand.Kind!.Value, kind), Kind = kind };
        if (kind == ColumnKind.Json)
        {
            // A constant as JSON is bound as its JSON text; it is then SQL, no longer a known constant.
            var json = JsonSerializer.Serialize(operand.Value);
            return operand with { Sql = dialect.Parameter(bindings.Add(json), ColumnKind.Json), Value = null, Kind = kind };
        }
        ConvertValue(operand.Value, kind, out var value);
        return operand with { Value = value, Kind = kind };
    }

    private static bool ConvertValue(object? value, ColumnKind kind, out object? converted)
    {
        converted = null;
        switch (kind, value)
        {
            case (_, null):
                return true;
            case (ColumnKind.Text, string s):
                converted = s;
                return true;
            case (ColumnKind.Text, double d):
                // SQLite writes a real with a decimal point: 5.0, not 5.
                converted = d == Math.Floor(d) && Math.Abs(d) < 1e15 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);
                return true;
            case (ColumnKind.Text, bool b):
                converted = b ? "1" : "0";
                return true;
            case (ColumnKind.Number, double d):
                converted = d;
                return true;
            case (ColumnKind.Number, bool b):
                converted = b ? 1d : 0d;
                return true;
            case (ColumnKind.Number, string s) when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                converted = parsed;
                return true;
            case (ColumnKind.Bool, bool b):
                converted = b;
                return true;
            case (ColumnKind.Bool, double d) when d is 0 or 1:
                converted = d == 1;
                return true;
            case (ColumnKind.Bool, string s) when s is "0" or "1":
                converted = s == "1";
                return true;
            default:
                return false;
        }
    }
}
