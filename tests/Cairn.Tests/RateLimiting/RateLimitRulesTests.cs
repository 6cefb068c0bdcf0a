using Cairn.RateLimiting;

namespace Cairn.Tests.RateLimiting;

/// <summary>Which rule counts a request: the most specific label first, then the longest path prefix, among rules whose audience fits.</summary>
public sealed class RateLimitRulesTests
{
    private static RateLimitRule Rule(string label, string audience = "") => new() { Label = label, Audience = audience, Duration = 1, MaxRequests = 1 };

    private static readonly RateLimitRequest ListPosts = new("posts", "list", "GET", "/api/collections/posts/records", IsAuth: false);

    [Fact]
    public void TheMostSpecificLabelWins()
    {
        RateLimitRule[] rules = [Rule("/api/"), Rule("/api/collections/"), Rule("GET /api/collections/posts/records"), Rule("*:list"), Rule("posts:list")];

        Assert.Equal("posts:list", RateLimitRules.Match(rules, ListPosts)!.Label);
        Assert.Equal("*:list", RateLimitRules.Match(rules[..4], ListPosts)!.Label);
        Assert.Equal("GET /api/collections/posts/records", RateLimitRules.Match(rules[..3], ListPosts)!.Label);
        Assert.Equal("/api/collections/", RateLimitRules.Match(rules[..2], ListPosts)!.Label);
        Assert.Null(RateLimitRules.Match([Rule("comments:list"), Rule("*:view"), Rule("/files/")], ListPosts));
    }

    [Fact]
    public void SignIns_AreCountedByTheirOwnActionOrByAuth()
    {
        var signIn = new RateLimitRequest("users", "authWithPassword", "POST", "/api/collections/users/auth-with-password", false);

        Assert.Equal("users:auth", RateLimitRules.Match([Rule("*:auth"), Rule("users:auth")], signIn)!.Label);
        Assert.Equal("*:authWithPassword", RateLimitRules.Match([Rule("*:auth"), Rule("*:authWithPassword")], signIn)!.Label);
        Assert.Equal("*:auth", RateLimitRules.Match([Rule("/api/"), Rule("*:auth")], signIn)!.Label);
        Assert.Null(RateLimitRules.Match([Rule("*:auth")], signIn with { Action = "authRefresh" }));
    }

    [Fact]
    public void ARuleCountsOnlyItsAudience()
    {
        RateLimitRule[] rules = [Rule("*:list", "@guest"), Rule("/api/", "@auth")];

        Assert.Equal("*:list", RateLimitRules.Match(rules, ListPosts)!.Label);
        Assert.Equal("/api/", RateLimitRules.Match(rules, ListPosts with { IsAuth = true })!.Label);
    }

    [Theory]
    [InlineData("posts:list", true)]
    [InlineData("*:auth", true)]
    [InlineData("POST /api/batch", true)]
    [InlineData("/api/", true)]
    [InlineData("posts:fly", false)]
    [InlineData("FETCH /api/", false)]
    [InlineData("api/", false)]
    [InlineData("", false)]
    public void Labels_AreValidatedByShape(string label, bool valid) => Assert.Equal(valid, Rule(label).Problem() is null);

    [Fact]
    public void ASlidingLog_IsCappedBecauseItKeepsATimestampPerRequest()
    {
        Assert.Equal("maxRequests", (Rule("/api/") with { Algorithm = RateLimitAlgorithm.SlidingLog, MaxRequests = 10_001 }).Problem()?.Field);
        Assert.Null((Rule("/api/") with { Algorithm = RateLimitAlgorithm.TokenBucket, MaxRequests = 10_001 }).Problem());
    }
}
