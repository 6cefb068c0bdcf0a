using Cairn.Api;
using Cairn.Auth;

namespace Cairn.Records;

/// <summary>
/// Rule checks for the two rule values this release understands: <c>null</c> (superusers only, the
/// default for a new collection) and <c>""</c> (everyone). Superusers bypass every rule.
/// </summary>
internal static class RuleGuard
{
    public static void Require(string? rule, RequestAuth auth)
    {
        if (auth.IsSuperuser || rule == "") return;
        if (rule is null) throw ApiException.Forbidden("Only superusers can perform this action.");
        // Expressions are refused when a collection is saved, so one here means a stored model from a newer version.
        throw ApiException.Forbidden("This rule expression cannot be evaluated by this server.");
    }

    public static void RequireSuperuser(RequestAuth auth)
    {
        if (auth.IsGuest) throw ApiException.Unauthorized("The request requires valid superuser authorization token.");
        if (!auth.IsSuperuser) throw ApiException.Forbidden("The authorized record is not allowed to perform this action.");
    }
}
