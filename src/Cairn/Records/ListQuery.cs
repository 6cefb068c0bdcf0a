using System.Globalization;
using Cairn.Api;
using Microsoft.AspNetCore.Http;

namespace Cairn.Records;

/// <summary>
/// The paging, sort and filter parameters of a list request (POCKETBASE_API.md 1.1). Sort keys are kept
/// as the client wrote them (checked against the limits here) and resolved against the schema by the caller.
/// </summary>
public sealed record ListQuery(int Page, int PerPage, bool SkipTotal, IReadOnlyList<(string Column, bool Descending)> Sort, string? Filter = null)
{
    public const int MaxPerPage = 1000, DefaultPerPage = 30, MaxSortTerms = 8, MaxSortLength = 255;
    public const string RandomKey = "@random", RowIdKey = "@rowid";

    /// <summary>Reads the parameters; <paramref name="resolveSortable"/>, when given, maps each sort key to a known name or null (400).</summary>
    public static ListQuery Parse(IQueryCollection query, Func<string, string?>? resolveSortable = null)
    {
        var page = Int(query, "page", 1);
        var perPage = Int(query, "perPage", DefaultPerPage);
        if (page <= 0) page = 1;
        if (perPage <= 0) perPage = DefaultPerPage;
        perPage = Math.Min(perPage, MaxPerPage);
        var skipTotal = query.TryGetValue("skipTotal", out var skip) && ParseBool(skip.ToString());
        var filter = query["filter"].ToString();
        return new ListQuery(page, perPage, skipTotal, ParseSort(query["sort"].ToString(), resolveSortable), filter.Trim().Length == 0 ? null : filter);
    }

    private static int Int(IQueryCollection query, string key, int fallback)
    {
        var raw = query[key].ToString();
        if (raw.Length == 0) return fallback;
        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw ApiException.BadRequest($"Invalid {key} parameter: must be an integer.");
        return value;
    }

    /// <summary>Go's strconv.ParseBool, which PocketBase uses for <c>skipTotal</c>.</summary>
    public static bool ParseBool(string value) => value is "1" or "t" or "T" or "TRUE" or "true" or "True";

    private static List<(string, bool)> ParseSort(string sort, Func<string, string?>? resolveSortable)
    {
        var terms = new List<(string, bool)>();
        if (sort.Trim().Length == 0) return terms;
        var parts = sort.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > MaxSortTerms) throw ApiException.BadRequest($"Invalid sort parameter: at most {MaxSortTerms} sort fields are allowed.");
        foreach (var part in parts)
        {
            if (part.Length > MaxSortLength) throw ApiException.BadRequest($"Invalid sort parameter: a sort field may have at most {MaxSortLength} characters.");
            var descending = part.StartsWith('-');
            var name = part.TrimStart('-', '+');
            // Only a resolved schema name reaches SQL, never the client's text.
            var column = name is RandomKey or RowIdKey || resolveSortable is null ? name : resolveSortable(name)
                ?? throw ApiException.BadRequest($"Invalid sort parameter: unknown or unsortable field \"{name}\".");
            terms.Add((column, descending));
        }
        return terms;
    }
}
