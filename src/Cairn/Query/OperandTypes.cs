using System.Globalization;
using System.Text.Json;
using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// Makes both sides of a comparison one type on engines that insist on it (PostgreSQL), the way SQLite would have
/// compared them, so a filter means the same on both engines. SQLite converts only toward a column's affinity
/// (https://www.sqlite.org/datatype3.html#type_conversions_prior_to_comparison): a numeric column's affinity is
/// applied to the other side (<c>likes = "5"</c> compares numbers), else a text column's (<c>title = 5</c> compares
/// text); constants and expressions (<c>:lower</c>, <c>:length</c>, <c>strftime</c>, JSON paths, <c>COALESCE</c>) have
/// none. Values still of different types are compared as JSON with SQLite's order of types (numbers below text,
/// <see cref="SqlDialect.Order"/>), where they are never equal. A JSON path's value is typed at run time and takes
/// a column's affinity too; a whole JSON field (text in SQLite, jsonb here) is compared as JSON.
/// On SQLite every operand is left as it is.
/// </summary>
internal static class OperandTypes
{
    /// <summary>Both sides as SQLite compares them in <c>a op b</c> and <c>a IS b</c>.</summary>
    public static (SqlOperand Left, SqlOperand Right) Unify(SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect) =>
        Unify(left, right, bindings, dialect, withAffinity: true);

    /// <summary>Both sides as SQLite compares <c>COALESCE(a, '') = COALESCE(b, '')</c>: COALESCE has no affinity, so nothing converts.</summary>
    public static (SqlOperand Left, SqlOperand Right) UnifyCoalesced(SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect) =>
        Unify(left, right, bindings, dialect, withAffinity: false);

    /// <summary>The operand as text (the left side of <c>~</c>).</summary>
    public static SqlOperand AsText(SqlOperand operand, QueryBindings bindings, SqlDialect dialect) =>
        dialect.TypedComparisons && operand.Kind is { } kind && kind != ColumnKind.Text ? To(operand, ColumnKind.Text, bindings, dialect) : operand;

    /// <summary>The operand's SQL as a value of <paramref name="kind"/> (a function argument).</summary>
    public static string EmitAs(this SqlOperand operand, ColumnKind kind, QueryBindings bindings, SqlDialect dialect) =>
        (dialect.TypedComparisons && operand.Kind is { } from && from != kind ? To(operand, kind, bindings, dialect) : operand).Emit(bindings);

    private static (SqlOperand Left, SqlOperand Right) Unify(SqlOperand left, SqlOperand right, QueryBindings bindings, SqlDialect dialect, bool withAffinity)
    {
        if (!dialect.TypedComparisons || left.Kind is not { } l || right.Kind is not { } r || l == r) return (left, right);
        if (withAffinity && Affinity(left, right) is { } affinity)
        {
            (left, right) = (Apply(left, affinity, bindings, dialect), Apply(right, affinity, bindings, dialect));
            if (left.Kind == right.Kind) return (left, right);
        }
        return (To(left, ColumnKind.Json, bindings, dialect), To(right, ColumnKind.Json, bindings, dialect));
    }

    // A numeric column wins over a text column, which wins over no affinity.
    private static ColumnKind? Affinity(SqlOperand left, SqlOperand right) =>
        IsNumericColumn(left) || IsNumericColumn(right) ? ColumnKind.Number
        : left.HasAffinity || right.HasAffinity ? ColumnKind.Text
        : null;

    private static bool IsNumericColumn(SqlOperand operand) => operand.HasAffinity && operand.Kind is ColumnKind.Number or ColumnKind.Bool;

    /// <summary>
    /// The operand after SQLite applies <paramref name="affinity"/>: to text affinity everything becomes text; to numeric
    /// affinity text that reads as a number becomes one and other text stays text (a value known only when the query
    /// runs becomes JSON, holding either).
    /// </summary>
    private static SqlOperand Apply(SqlOperand operand, ColumnKind affinity, QueryBindings bindings, SqlDialect dialect)
    {
        if (operand.Kind == affinity) return operand;
        if (affinity == ColumnKind.Text) return To(operand, ColumnKind.Text, bindings, dialect);
        if (operand.Kind == ColumnKind.Bool) return To(operand, ColumnKind.Number, bindings, dialect);
        if (operand.IsConstant) return ConvertValue(operand.Value, ColumnKind.Number, out var number) ? operand with { Value = number, Kind = ColumnKind.Number } : operand;
        return operand with { Sql = dialect.NumericJson(operand.Sql!, operand.Kind!.Value), Kind = ColumnKind.Json, HasAffinity = false };
    }

    private static SqlOperand To(SqlOperand operand, ColumnKind kind, QueryBindings bindings, SqlDialect dialect)
    {
        if (operand.Kind == kind) return operand;
        if (!operand.IsConstant) return operand with { Sql = dialect.Convert(operand.Sql!, operand.Kind!.Value, kind), Kind = kind, HasAffinity = false };
        if (kind == ColumnKind.Json)
        {
            // A constant as JSON is bound as its JSON text; it is then SQL, no longer a known constant. SQLite has no
            // booleans: true is 1.
            var json = JsonSerializer.Serialize(operand.Value is bool b ? (b ? 1 : 0) : operand.Value);
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
            // Surrounding spaces are allowed, as by SQLite's numeric affinity; "Infinity" and "NaN" stay text.
            case (ColumnKind.Number, string s) when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed):
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
