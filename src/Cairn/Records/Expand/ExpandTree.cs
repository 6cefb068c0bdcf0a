namespace Cairn.Records.Expand;

/// <summary>
/// The <c>?expand=</c> parameter as a tree: <c>author.team,author.org,tags</c> becomes
/// author → {team, org} and tags, so a relation shared by several paths is fetched once.
/// Segments past <see cref="MaxDepth"/> are dropped (POCKETBASE_API.md 0.3: at most 6 levels).
/// </summary>
internal sealed class ExpandTree
{
    public const int MaxDepth = 6;

    private ExpandTree(string name) => Name = name;

    /// <summary>The relation name as written: a relation field or <c>collection_via_field</c>.</summary>
    public string Name { get; }

    public List<ExpandTree> Children { get; } = [];

    public static ExpandTree Parse(string? expand)
    {
        var root = new ExpandTree("");
        if (string.IsNullOrWhiteSpace(expand)) return root;
        foreach (var path in expand.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var node = root;
            foreach (var segment in path.Split('.', StringSplitOptions.TrimEntries).Take(MaxDepth))
            {
                if (segment.Length == 0) break;
                var child = node.Children.Find(c => string.Equals(c.Name, segment, StringComparison.OrdinalIgnoreCase));
                if (child is null) node.Children.Add(child = new ExpandTree(segment));
                node = child;
            }
        }
        return root;
    }
}
