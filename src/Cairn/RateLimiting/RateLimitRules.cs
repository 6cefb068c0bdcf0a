namespace Cairn.RateLimiting;

/// <summary>
/// Which rule counts a request (POCKETBASE_API.md 0.4): the first label that names it, most specific first —
/// <c>collection:action</c>, <c>*:action</c> (for sign-ins also <c>collection:auth</c>, <c>*:auth</c>), <c>METHOD /path</c>,
/// then the longest matching path prefix — among rules whose audience fits (<c>""</c>, <c>@guest</c> or <c>@auth</c>).
/// One rule per request, so a request is never counted twice.
/// </summary>
public static class RateLimitRules
{
    public static RateLimitRule? Match(IReadOnlyList<RateLimitRule> rules, RateLimitRequest request)
    {
        foreach (var label in Labels(request))
            if (rules.FirstOrDefault(r => r.Label == label && Fits(r, request)) is { } rule) return rule;
        return rules.Where(r => r.Label.StartsWith('/') && request.Path.StartsWith(r.Label, StringComparison.Ordinal) && Fits(r, request))
            .MaxBy(r => r.Label.Length);
    }

    private static bool Fits(RateLimitRule rule, RateLimitRequest request) => rule.Audience switch
    {
        "@guest" => !request.IsAuth,
        "@auth" => request.IsAuth,
        _ => true,
    };

    private static IEnumerable<string> Labels(RateLimitRequest request)
    {
        if (request.Action is { } action)
        {
            if (request.Collection is { } collection) yield return $"{collection}:{action}";
            if (request.Collection is { } c && RateLimitRequest.IsSignIn(action)) yield return $"{c}:auth";
            yield return $"*:{action}";
            if (RateLimitRequest.IsSignIn(action)) yield return "*:auth";
        }
        yield return $"{request.Method} {request.Path}";
    }
}
