using System.Text.RegularExpressions;
using Cairn.Storage;

namespace Cairn.Collections;

/// <summary>
/// A collection index, stored as PocketBase stores it: a SQLite <c>CREATE INDEX</c> statement.
/// Parsed so that unique indexes can drive <c>validation_not_unique</c> and so the statement can be
/// rebuilt for the table's current name (so the table named in the text does not matter, and may even be
/// the empty name of a scaffold); anything that is not a single index statement is refused.
/// </summary>
public sealed partial record IndexDefinition(string Name, bool Unique, IReadOnlyList<IndexColumn> Columns, string? Where)
{
    [GeneratedRegex("""^\s*CREATE\s+(?<unique>UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"\[]?(?<name>\w+)[`"\]]?\s+ON\s+(?:[`"\[](?<table>\w*)[`"\]]|(?<table>\w+))\s*\((?<columns>[^()]+)\)\s*(?:WHERE\s+(?<where>.+?))?\s*;?\s*$""",
        RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Statement();

    [GeneratedRegex("""^[`"\[]?(?<name>\w+)[`"\]]?(?:\s+COLLATE\s+(?<collate>\w+))?(?:\s+(?<sort>ASC|DESC))?$""", RegexOptions.IgnoreCase)]
    private static partial Regex ColumnPart();

    public static IndexDefinition? TryParse(string sql)
    {
        var match = Statement().Match(sql);
        if (!match.Success) return null;
        var where = match.Groups["where"].Success ? match.Groups["where"].Value.Trim() : null;
        if (where is not null && (where.Contains(';') || where.Contains("--") || where.Contains("/*"))) return null;
        var columns = new List<IndexColumn>();
        foreach (var part in match.Groups["columns"].Value.Split(','))
        {
            var column = ColumnPart().Match(part.Trim());
            if (!column.Success) return null;
            columns.Add(new IndexColumn(column.Groups["name"].Value,
                column.Groups["collate"].Success ? column.Groups["collate"].Value.ToUpperInvariant() : null,
                column.Groups["sort"].Success ? column.Groups["sort"].Value.ToUpperInvariant() : null));
        }
        return new IndexDefinition(match.Groups["name"].Value, match.Groups["unique"].Success, columns, where);
    }

    /// <summary>The statement for a table, in the canonical form stored in the collection.</summary>
    public string ToSql(string table)
    {
        var columns = string.Join(", ", Columns.Select(c =>
            $"`{c.Name}`" + (c.Collate is null ? "" : " COLLATE " + c.Collate) + (c.Sort is null ? "" : " " + c.Sort)));
        return $"CREATE {(Unique ? "UNIQUE " : "")}INDEX `{Name}` ON `{table}` ({columns})" + (Where is null ? "" : " WHERE " + Where);
    }

    /// <summary>
    /// The statement to run on the engine: identifiers quoted its way, and SQLite's collations translated
    /// (<c>BINARY</c> is PostgreSQL's <c>"C"</c>; <c>NOCASE</c> and <c>RTRIM</c> have no equivalent and are left out).
    /// </summary>
    public string ToDdl(string table, SqlDialect dialect)
    {
        if (dialect.IsSqlite) return ToSql(table);
        var columns = string.Join(", ", Columns.Select(c =>
            dialect.Quote(c.Name) + (c.Collate == "BINARY" ? " COLLATE \"C\"" : "") + (c.Sort is null ? "" : " " + c.Sort)));
        return $"CREATE {(Unique ? "UNIQUE " : "")}INDEX {dialect.Quote(Name)} ON {dialect.Quote(table)} ({columns})" +
               (Where is null ? "" : " WHERE " + Where.Replace('`', '"'));
    }
}

public sealed record IndexColumn(string Name, string? Collate, string? Sort);
