using Cairn.Api;
using Cairn.Auth;

namespace Cairn.Records;

/// <summary>
/// The fast paths of a rule check, taken before any body is read or query built: <c>null</c> (superusers
/// only, the default for a new collection) is 403 for everyone else, and superusers bypass every rule.
/// Expressions are evaluated by <see cref="Rules.RecordRules"/> against the row.
/// </summary>
internal static class RuleGuard
{
    public static void Require(string? rule, RequestAuth auth)
    {
        if (auth.IsSuperuser || rule is not null) return;
        throw ApiException.Forbidden("Only superusers can perform this action.");
    }

    public static void RequireSuperuser(RequestAuth auth)
    {
        if (auth.IsGuest) throw ApiException.Unauthorized("The request requires valid superuser authorization token.");
        if (!auth.IsSuperuser) throw ApiException.Forbidden("The authorized record is not allowed to perform this action.");
    }
}
