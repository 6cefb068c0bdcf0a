using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// One side of a comparison after resolution: either SQL over columns, or a value known when the query
/// is built (literal, macro, request value) that is bound when used. The flags pick the SQL form of
/// POCKETBASE_API.md 2.3: <see cref="NoCoalesce"/> gives <c>a IS b</c>, a constant empty value the
/// <c>a = '' OR a IS NULL</c> form, a constant non-empty value the direct form.
/// </summary>
internal sealed record SqlOperand
{
    /// <summary>
    /// What the value is, where known: typed engines (PostgreSQL) need both sides of a comparison to agree, where
    /// SQLite converts by column affinity. Null for a NULL constant. JSON arrays count as text, geo points as <see cref="ColumnKind.Json"/> (<see cref="Normalize"/>).
    /// </summary>
    public ColumnKind? Kind { get; init; }

    /// <summary>The SQL expression; null for a constant.</summary>
    public string? Sql { get; init; }

    /// <summary>The value of a constant.</summary>
    public object? Value { get; init; }

    public bool IsConstant => Sql is null;

    /// <summary>
    /// A plain column, whose affinity SQLite applies to the other side of a comparison (see <see cref="OperandTypes"/>);
    /// expressions over columns and constants have none.
    /// </summary>
    public bool HasAffinity { get; init; }

    /// <summary>Goes through a multi-valued join (a multiple relation, a back-relation, <c>:each</c>, <c>@collection</c>).</summary>
    public bool Multi { get; init; }

    /// <summary>A JSON value, a <c>geoDistance</c> result or a <c>:changed</c> check: compared with <c>IS</c>, never coalesced.</summary>
    public bool NoCoalesce { get; init; }

    /// <summary>A <c>strftime</c> result: may be empty, so it never counts as known non-empty.</summary>
    public bool MayBeEmpty { get; init; }

    public bool IsEmptyConstant => IsConstant && Value is null or "";

    public bool IsKnownNonEmpty => IsConstant && !IsEmptyConstant;

    public static SqlOperand Constant(object? value, ColumnKind? kind = null) => new() { Value = value, Kind = kind ?? KindOf(value) };

    public static SqlOperand Null { get; } = new() { Value = null };

    public static SqlOperand Column(string sql, ColumnKind kind, bool multi = false, bool noCoalesce = false) =>
        new() { Sql = sql, Kind = Normalize(kind), Multi = multi, NoCoalesce = noCoalesce };

    public static ColumnKind? KindOf(object? value) => value switch
    {
        null => null,
        string => ColumnKind.Text,
        bool => ColumnKind.Bool,
        _ => ColumnKind.Number,
    };

    /// <summary>
    /// The kind an operand of a field's column kind compares as: a multiple field (a JSON array of strings) as its JSON
    /// text, which SQLite stores in a text column; a geo point as JSON.
    /// </summary>
    public static ColumnKind Normalize(ColumnKind kind) => kind switch
    {
        ColumnKind.JsonArray => ColumnKind.Text,
        ColumnKind.GeoPoint => ColumnKind.Json,
        _ => kind,
    };

    /// <summary>The operand as SQL, binding a constant.</summary>
    public string Emit(QueryBindings bindings) => Sql ?? bindings.Add(Value);
}
