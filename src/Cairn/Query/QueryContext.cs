using Cairn.Collections;
using Cairn.Storage;

namespace Cairn.Query;

/// <summary>
/// What an expression is compiled against: the collection whose row it tests, the SQL alias of that row
/// (the table, or a one-row CTE for a create rule), the schema, the request data and the clock.
/// </summary>
/// <param name="Alias">The unquoted alias the row source has in the statement, for example <c>_m</c>.</param>
public sealed record QueryContext(Collection Collection, string Alias, Func<string, Collection?> FindCollection, RequestData Request, SqlDialect Dialect, TimeProvider Clock)
{
    /// <summary>
    /// A non-superuser's <c>filter</c> or <c>sort</c> parameter (POCKETBASE_API.md 1.1): hidden fields are
    /// refused, every collection a relation path crosses must be listable by the caller (its list rule is
    /// ANDed in), and an auth collection's <c>email</c> only matches rows whose <c>emailVisibility</c> is on.
    /// Rules are compiled with this off.
    /// </summary>
    public bool ClientFilter { get; init; }

    /// <summary>
    /// Compiles <c>@request.auth.*</c> as columns of a joined row of this auth collection at this alias instead of
    /// constants of one caller, so that one statement answers for many callers at once (realtime delivery).
    /// </summary>
    public (Collection Collection, string Alias)? AuthRow { get; init; }

    /// <summary>The same request and schema, testing another collection's row at another alias (a crossed collection's list rule).</summary>
    public QueryContext For(Collection collection, string alias) => this with { Collection = collection, Alias = alias, ClientFilter = false };
}
