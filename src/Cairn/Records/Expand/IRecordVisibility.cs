using System.Data.Common;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Query;

namespace Cairn.Records.Expand;

/// <summary>
/// Which records of a collection a caller may view under the collection's <c>viewRule</c>: the seam through
/// which expand (and later realtime) asks the rules engine. Each expanded record is filtered by its own
/// collection's view rule (POCKETBASE_API.md 0.3).
/// </summary>
public interface IRecordVisibility
{
    /// <summary>False when the caller can view no record of the collection, so the records need not even be read.</summary>
    bool MayViewAny(Collection collection, RequestAuth auth);

    /// <summary>The subset of <paramref name="candidates"/> the caller may view, in their order, judged with the caller's <paramref name="request"/>.</summary>
    IReadOnlyList<Record> Visible(DbConnection connection, DbTransaction? transaction, Collection collection,
        IReadOnlyList<Record> candidates, RequestAuth auth, RequestData request);
}
