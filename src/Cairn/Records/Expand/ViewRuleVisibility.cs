using System.Data.Common;
using Cairn.Auth;
using Cairn.Collections;

namespace Cairn.Records.Expand;

/// <summary>
/// The view-rule check for the two rule values this release evaluates: <c>null</c> (superusers only) and
/// <c>""</c> (everyone); superusers see everything. A rule expression fails closed (nothing is visible)
/// until the rules compiler of issue 3 lands and replaces this registration with one that evaluates it,
/// so an expression can never leak a record through expand.
/// </summary>
internal sealed class ViewRuleVisibility : IRecordVisibility
{
    public bool MayViewAny(Collection collection, RequestAuth auth) => auth.IsSuperuser || collection.ViewRule == "";

    public IReadOnlyList<Record> Visible(DbConnection connection, DbTransaction? transaction, Collection collection,
        IReadOnlyList<Record> candidates, RequestAuth auth) =>
        MayViewAny(collection, auth) ? candidates : [];
}
