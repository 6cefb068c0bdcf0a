using System.Data.Common;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;
using Cairn.Storage;

namespace Cairn.Records.Expand;

/// <summary>
/// <c>?expand=</c> (POCKETBASE_API.md 0.3). The tree is walked level by level, and each level reads its
/// related records in batches: one <c>WHERE id IN (...)</c> query per target collection for forward
/// relations, one query per back-relation, never one per record, so a page of 1000 posts with
/// <c>expand=author</c> costs one extra query, not 1000. Expanded records are filtered by their own
/// collection's view rule through <see cref="IRecordVisibility"/>; anything that cannot be expanded is left out.
/// </summary>
internal sealed class RecordExpander(CollectionRegistry registry, RecordStore store, IRecordVisibility visibility)
{
    /// <summary>Back-related records kept per parent record.</summary>
    public const int BackRelationLimit = 1000;

    private SqlDialect Dialect => store.Dialect;

    /// <summary>Expands on a pooled read connection (list, view, and the answers of create, update and auth).</summary>
    public Task ExpandAsync(IDatabase db, IReadOnlyList<Record> records, string? expand, RequestAuth auth, RequestData request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(expand) || records.Count == 0) return Task.CompletedTask;
        return db.ReadAsync(connection =>
        {
            Expand(connection, null, records, expand, auth, request);
            return true;
        }, cancellationToken);
    }

    /// <summary>Expands inside a transaction (a batch, whose own uncommitted writes must be visible).</summary>
    /// <param name="request">The caller's request, which the related collections' view rules see with <c>@request.context = "expand"</c>.</param>
    public void Expand(DbConnection connection, DbTransaction? transaction, IReadOnlyList<Record> records, string? expand, RequestAuth auth, RequestData request)
    {
        var tree = ExpandTree.Parse(expand);
        if (tree.Children.Count == 0 || records.Count == 0) return;
        var level = records.GroupBy(r => r.Collection.Id).Select(g => new Pending(tree, g.First().Collection, g.ToList())).ToList();
        for (var depth = 0; depth < ExpandTree.MaxDepth && level.Count > 0; depth++)
        {
            var steps = new List<Step>();
            foreach (var pending in level)
            foreach (var child in pending.Node.Children)
            {
                var relation = ExpandRelation.Resolve(registry, pending.Collection, child.Name, auth);
                if (relation is null || !visibility.MayViewAny(relation.Target, auth)) continue;
                // The expansion runs, so the parents get an "expand" object even if it finds nothing.
                foreach (var parent in pending.Records) parent.Expand ??= [];
                steps.Add(new Step(pending, child, relation));
            }
            var next = new List<Pending>();
            foreach (var group in steps.Where(s => !s.Relation.IsBack).GroupBy(s => s.Relation.Target.Id))
                ExpandForward(connection, transaction, group.ToList(), auth, request, next);
            foreach (var step in steps.Where(s => s.Relation.IsBack))
                ExpandBack(connection, transaction, step, auth, request, next);
            level = next;
        }
    }

    private sealed record Pending(ExpandTree Node, Collection Collection, IReadOnlyList<Record> Records);

    private sealed record Step(Pending Parents, ExpandTree Node, ExpandRelation Relation);

    // Every step of the group targets the same collection: their ids are read in one batch.
    private void ExpandForward(DbConnection connection, DbTransaction? transaction, List<Step> group, RequestAuth auth, RequestData request, List<Pending> next)
    {
        var target = group[0].Relation.Target;
        var ids = group.SelectMany(s => s.Parents.Records.SelectMany(r => r.GetList(s.Relation.Field.Name))).Distinct().ToList();
        if (ids.Count == 0) return;
        var found = visibility.Visible(connection, transaction, target, store.FindByIds(connection, transaction, target, ids), auth, request);
        if (found.Count == 0) return;
        for (var i = 0; i < group.Count; i++)
        {
            var step = group[i];
            // Each step gets its own copies: two paths to the same record (author and editor) expand it differently below.
            var byId = found.ToDictionary(r => r.Id, r => i == 0 ? r : r.Clone());
            foreach (var parent in step.Parents.Records)
            {
                var related = parent.GetList(step.Relation.Field.Name).Select(id => byId.GetValueOrDefault(id)).OfType<Record>().ToList();
                if (related.Count > 0) parent.Expand![step.Relation.Name] = new ExpandedRelation(step.Relation.Single, related);
            }
            if (step.Node.Children.Count > 0) next.Add(new Pending(step.Node, target, byId.Values.ToList()));
        }
    }

    private void ExpandBack(DbConnection connection, DbTransaction? transaction, Step step, RequestAuth auth, RequestData request, List<Pending> next)
    {
        var source = step.Relation.Target;
        var parentIds = step.Parents.Records.Select(r => r.Id).Distinct().ToList();
        var rows = new List<(Record Record, string Key)>();
        foreach (var chunk in parentIds.Chunk(RecordStore.IdsPerQuery))
        {
            using var command = connection.CreateCommand(BackRelationSql(source, step.Relation.Field, chunk.Length), chunk.Cast<object?>().ToArray());
            command.Transaction = transaction;
            rows.AddRange(store.QueryKeyed(command, source));
        }
        var visible = visibility.Visible(connection, transaction, source, rows.Select(r => r.Record).ToList(), auth, request).ToHashSet();
        var byParent = rows.Where(r => visible.Contains(r.Record)).ToLookup(r => r.Key, r => r.Record);
        var expanded = new List<Record>();
        foreach (var parent in step.Parents.Records)
        {
            var related = byParent[parent.Id].ToList();
            if (related.Count == 0) continue;
            if (step.Relation.Single) related = [related[0]];
            parent.Expand![step.Relation.Name] = new ExpandedRelation(step.Relation.Single, related);
            expanded.AddRange(related);
        }
        if (step.Node.Children.Count > 0 && expanded.Count > 0) next.Add(new Pending(step.Node, source, expanded.Distinct().ToList()));
    }

    /// <summary>
    /// The records of <paramref name="source"/> whose relation field holds one of the bound parent ids, each
    /// row keyed by that parent, at most <see cref="BackRelationLimit"/> per parent in insertion order. The cap
    /// is a window over the parent key, so one parent with a million children cannot crowd out the others.
    /// </summary>
    private string BackRelationSql(Collection source, Field field, int parents)
    {
        var d = Dialect;
        var column = $"{d.Quote("s")}.{d.Quote(field.Name)}";
        var (from, parent) = field.IsMultiple
            ? ($"{d.Quote(source.Name)} AS {d.Quote("s")}, {d.ArrayElements(column, "j")}", $"{d.Quote("j")}.value")
            : ($"{d.Quote(source.Name)} AS {d.Quote("s")}", column);
        var list = string.Join(", ", Enumerable.Range(0, parents).Select(i => "@p" + i));
        var key = d.Quote("_expand_parent");
        var rank = d.Quote("_expand_rank");
        return $"SELECT * FROM (SELECT {store.SelectColumns(source, "s")}, {parent} AS {key}, " +
               $"ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {d.Quote("s")}.{d.RowId}) AS {rank} " +
               $"FROM {from} WHERE {parent} IN ({list})) AS {d.Quote("ranked")} WHERE {rank} <= {BackRelationLimit} ORDER BY {rank}";
    }
}
