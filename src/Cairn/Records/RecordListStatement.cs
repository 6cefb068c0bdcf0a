using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Rules;

namespace Cairn.Records;

/// <summary>
/// The SQL of a records list: the list rule ANDed with the client's filter (POCKETBASE_API.md 1.1, 2.5),
/// the sort with its relation joins, and the count over the same rows. Every value is in <see cref="Bindings"/>.
/// </summary>
internal sealed record RecordListStatement(string Select, string Count, QueryBindings Bindings)
{
    public static RecordListStatement Build(Collection collection, ListQuery query, RequestAuth auth, RequestData request, RecordRules rules, RecordStore store)
    {
        RequireSuperuserForRequestData(query, auth);
        var dialect = store.Dialect;
        var alias = RecordRules.RowAlias;
        var bindings = new QueryBindings();
        var conditions = new List<string>();
        if (rules.Condition(collection, collection.ListRule, auth, request, bindings) is { } rule) conditions.Add(rule);

        var client = rules.Context(collection, request) with { ClientFilter = !auth.IsSuperuser };
        var sort = new SortCompiler(client, bindings);
        var order = new List<string>();
        try
        {
            if (query.Filter is { } filter) conditions.Add(FilterCompiler.Compile(filter, client, bindings));
            foreach (var (key, descending) in query.Sort)
            {
                if (key == ListQuery.RandomKey) order.Add(dialect.RandomOrder);
                else if (key == ListQuery.RowIdKey) order.Add(dialect.OrderBy($"{alias}.{dialect.RowId}", descending));
                else order.AddRange(sort.Expressions(key).Select(e => dialect.OrderBy(e, descending)));
            }
            conditions.AddRange(sort.Guards);
        }
        catch (QueryException e)
        {
            throw ApiException.BadRequest("Invalid filter or sort parameter: " + e.Message);
        }

        var from = $"{dialect.Quote(collection.Name)} AS {alias}{(sort.Joins.Length > 0 ? " " + sort.Joins : "")}";
        var where = conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions.Select(c => "(" + c + ")"));
        var orderBy = " ORDER BY " + (order.Count == 0 ? $"{alias}.{dialect.RowId}" : string.Join(", ", order));
        return new RecordListStatement(
            $"SELECT {store.SelectColumns(collection, alias)} FROM {from}{where}{orderBy} LIMIT @p0 OFFSET @p1",
            $"SELECT COUNT(*) FROM {from}{where}",
            bindings);
    }

    /// <summary>
    /// <c>@collection.</c> and <c>@request.</c> in a non-superuser's filter or sort are refused before parsing,
    /// with a plain substring check as PocketBase does (POCKETBASE_API.md 1.1).
    /// </summary>
    private static void RequireSuperuserForRequestData(ListQuery query, RequestAuth auth)
    {
        if (auth.IsSuperuser) return;
        var sort = string.Join(",", query.Sort.Select(s => s.Column));
        foreach (var prefix in new[] { "@collection.", "@request." })
            if ((query.Filter?.Contains(prefix, StringComparison.Ordinal) ?? false) || sort.Contains(prefix, StringComparison.Ordinal))
                throw ApiException.Forbidden($"Only superusers can filter by {prefix.TrimEnd('.')}.");
    }
}
