using System.Data.Common;
using System.Text.RegularExpressions;

namespace Cairn.Collections.Views;

/// <summary>
/// The fields of a view collection, inferred from its query's result columns (POCKETBASE_API.md 3.3):
/// <list type="bullet">
/// <item><c>id</c> is always the text primary key;</item>
/// <item><c>COUNT(…)</c> is an integer number, <c>TOTAL(…)</c> a number, and <c>CAST(x AS …)</c> the cast's type;</item>
/// <item>a column that is a direct reference keeps its source field's type and options, except that
/// <c>alias.id</c> becomes a single relation to the source collection;</item>
/// <item>anything else is <c>json</c>.</item>
/// </list>
/// Which column is a direct reference, and to what, is asked of the database (the origin table and column
/// that ADO.NET reports as <c>BaseTableName</c>/<c>BaseColumnName</c>), so joins, subqueries and views over
/// views resolve without Cairn parsing FROM clauses; only the expression forms above are read from the text.
/// </summary>
internal static partial class ViewFieldInference
{
    [GeneratedRegex(@"^CAST\s*\((?<value>.*)\s+AS\s+(?<type>\w+)\s*\)$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Cast();

    [GeneratedRegex(@"^(?<function>\w+)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex Call();

    /// <param name="columns">The result columns as the database describes them.</param>
    /// <param name="expressions">Each column's expression text, or null where the text could not be split reliably.</param>
    /// <param name="all">Every collection, to map origin tables back to collections.</param>
    /// <param name="existing">The view's fields before this change: a field keeps its id when its name and type stay.</param>
    public static List<Field> Infer(IReadOnlyList<DbColumn> columns, IReadOnlyList<string>? expressions, IReadOnlyCollection<Collection> all, IReadOnlyList<Field> existing)
    {
        var fields = new List<Field>();
        for (var i = 0; i < columns.Count; i++)
        {
            var name = columns[i].ColumnName;
            var field = name == "id" ? CollectionScaffolds.IdField() : FromExpression(expressions?[i]) ?? FromOrigin(columns[i], all) ?? Typed(FieldTypes.Json);
            field.Name = name;
            field.System = name == "id";
            if (name != "id") field.Id = existing.FirstOrDefault(f => f.Name == name && f.Type == field.Type)?.Id ?? "";
            fields.Add(field);
        }
        return fields;
    }

    private static Field? FromExpression(string? expression)
    {
        if (string.IsNullOrEmpty(expression) || !IsSingleCall(expression)) return null;
        if (Cast().Match(expression) is { Success: true } cast)
            return cast.Groups["type"].Value.ToUpperInvariant() switch
            {
                "INT" or "INTEGER" => Typed(FieldTypes.Number, ("onlyInt", true)),
                "REAL" or "DECIMAL" or "NUMERIC" => Typed(FieldTypes.Number),
                "TEXT" => Typed(FieldTypes.Text),
                "BOOL" or "BOOLEAN" => Typed(FieldTypes.Bool),
                _ => Typed(FieldTypes.Json),
            };
        return Call().Match(expression).Groups["function"].Value.ToUpperInvariant() switch
        {
            "COUNT" => Typed(FieldTypes.Number, ("onlyInt", true)),
            "TOTAL" => Typed(FieldTypes.Number),
            _ => null,
        };
    }

    // "COUNT(a) + COUNT(b)" starts with a call but is not one: the first parenthesis must close at the very end.
    private static bool IsSingleCall(string expression)
    {
        if (!Call().IsMatch(expression)) return false;
        var depth = 0;
        char? quote = null;
        for (var i = expression.IndexOf('('); i < expression.Length; i++)
        {
            var c = expression[i];
            if (quote is not null) { if (c == quote) quote = null; continue; }
            if (c is '\'' or '"' or '`') quote = c;
            else if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i == expression.Length - 1;
        }
        return false;
    }

    private static Field? FromOrigin(DbColumn column, IReadOnlyCollection<Collection> all)
    {
        if (string.IsNullOrEmpty(column.BaseTableName) || string.IsNullOrEmpty(column.BaseColumnName)) return null;
        var source = all.FirstOrDefault(c => string.Equals(c.Name, column.BaseTableName, StringComparison.OrdinalIgnoreCase));
        if (source is null) return null;
        if (string.Equals(column.BaseColumnName, "id", StringComparison.OrdinalIgnoreCase))
            return Typed(FieldTypes.Relation, ("collectionId", source.Id), ("maxSelect", 1));
        var field = source.FindField(column.BaseColumnName)?.Clone();
        if (field is null) return null;
        field.System = false;
        return field;
    }

    private static Field Typed(string type, params (string Key, System.Text.Json.Nodes.JsonNode? Value)[] options) =>
        new() { Type = type, Options = CollectionScaffolds.Options(type, options) };
}
