using System.Data.Common;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Records;
using Cairn.Records.Expand;
using Cairn.Storage;

namespace Cairn.Rules;

/// <summary>
/// Expanded records are filtered by their own collection's view rule, evaluated by the rules engine with
/// <c>@request.context = "expand"</c> and the rest of the caller's request (auth, method, query, headers, body), as
/// PocketBase does. One query per collection and expansion level checks all candidates at once
/// (<c>id IN (…) AND rule</c>), never one per record.
/// </summary>
internal sealed class ViewRuleVisibility(RecordRules rules, RecordStore store, SqlDialect dialect) : IRecordVisibility
{
    public const string ExpandContext = "expand";

    public bool MayViewAny(Collection collection, RequestAuth auth) => auth.IsSuperuser || collection.ViewRule is not null;

    public IReadOnlyList<Record> Visible(DbConnection connection, DbTransaction? transaction, Collection collection,
        IReadOnlyList<Record> candidates, RequestAuth auth, RequestData request)
    {
        if (!MayViewAny(collection, auth)) return [];
        if (auth.IsSuperuser || collection.ViewRule!.Trim().Length == 0 || candidates.Count == 0) return candidates;

        var expandRequest = request with { Auth = auth.Record, Context = ExpandContext };
        var visible = new HashSet<string>();
        foreach (var chunk in candidates.Select(r => r.Id).Distinct().Chunk(500))
        {
            var bindings = new QueryBindings();
            var condition = rules.Condition(collection, collection.ViewRule, auth, expandRequest, bindings)!;
            var ids = string.Join(", ", chunk.Select((_, i) => "@p" + i));
            var alias = RecordRules.RowAlias;
            using var command = connection.CreateCommand(
                $"SELECT {alias}.{dialect.Quote("id")} FROM {dialect.Quote(collection.Name)} AS {alias} WHERE {alias}.{dialect.Quote("id")} IN ({ids}) AND {condition}",
                chunk.Cast<object?>().ToArray());
            command.Transaction = transaction;
            RecordRules.Bind(command, bindings);
            visible.UnionWith(store.QueryIds(command));
        }
        return candidates.Where(r => visible.Contains(r.Id)).ToList();
    }
}
