namespace Cairn.RateLimiting;

/// <summary>
/// Which rule counts a request (POCKETBASE_API.md 0.4): the first label that names it, most specific first —
/// <c>collection:action</c>, <c>collection:auth</c> for sign-ins, <c>*:action</c>, <c>*:auth</c>, <c>METHOD /path</c>,
/// then the longest matching path prefix — among rules whose audience fits (<c>""</c>, <c>@guest</c> or <c>@auth</c>).
/// One rule per request, so a request is never counted twice. It runs on every request, so labels are compared in
/// place rather than built as strings.
/// </summary>
public static class RateLimitRules
{
    private const int NoMatch = int.MaxValue;

    public static RateLimitRule? Match(IReadOnlyList<RateLimitRule> rules, RateLimitRequest request)
    {
        RateLimitRule? best = null;
        var bestRank = NoMatch;
        foreach (var rule in rules)
        {
            if (!Fits(rule, request)) continue;
            var rank = Rank(rule.Label, request);
            if (rank < bestRank) (best, bestRank) = (rule, rank);
        }
        return best;
    }

    // Lower is more specific; a path prefix ranks after every label form, a longer prefix before a shorter one.
    private static int Rank(string label, RateLimitRequest request)
    {
        if (label.StartsWith('/'))
            return request.Path.StartsWith(label, StringComparison.Ordinal) ? 1_000_000 - label.Length : NoMatch;
        var space = label.IndexOf(' ');
        if (space > 0)
            return label.AsSpan(0, space).SequenceEqual(request.Method) && label.AsSpan(space + 1).SequenceEqual(request.Path) ? 4 : NoMatch;
        var colon = label.IndexOf(':');
        if (colon <= 0 || request.Action is not { } action) return NoMatch;
        var subject = label.AsSpan(0, colon);
        var verb = label.AsSpan(colon + 1);
        var exact = verb.SequenceEqual(action);
        var auth = !exact && verb.SequenceEqual("auth") && RateLimitRequest.IsSignIn(action);
        if (!exact && !auth) return NoMatch;
        if (subject.SequenceEqual("*")) return exact ? 2 : 3;
        return request.Collection is { } collection && subject.SequenceEqual(collection) ? (exact ? 0 : 1) : NoMatch;
    }

    private static bool Fits(RateLimitRule rule, RateLimitRequest request) => rule.Audience switch
    {
        "@guest" => !request.IsAuth,
        "@auth" => request.IsAuth,
        _ => true,
    };
}
