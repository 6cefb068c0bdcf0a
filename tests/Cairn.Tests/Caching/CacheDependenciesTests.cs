using System.Text.Json.Nodes;
using Cairn.Caching;
using Cairn.Collections;
using static Cairn.Caching.CacheDependencies;

namespace Cairn.Tests.Caching;

/// <summary>What a collection's cached responses depend on, read from the schema.</summary>
public sealed class CacheDependenciesTests
{
    [Theory]
    [InlineData(null, RuleReach.Local)]
    [InlineData("", RuleReach.Local)]
    [InlineData("owner = @request.auth.id && status = @request.query.status", RuleReach.Local)]
    [InlineData("@collection.members.user ?= @request.auth.id", RuleReach.AnyCollection)]
    [InlineData("published <= @now", RuleReach.Uncacheable)]
    [InlineData("@request.headers.x_token = 'a'", RuleReach.Uncacheable)]
    [InlineData("email = 'a@b.example'", RuleReach.Uncacheable)] // an @ in a literal is read as a macro: it only caches less
    [InlineData("@collection.a.x = 1 && created > @todayStart", RuleReach.AnyCollection | RuleReach.Uncacheable)]
    public void Rules_are_read_for_what_they_reach(string? rule, RuleReach expected) => Assert.Equal(expected, Reach(rule));

    [Fact]
    public void Collections_joined_by_relations_either_way_depend_on_each_other_and_no_others()
    {
        var users = Collection("users");
        var posts = Collection("posts", Relation("author", users));
        var comments = Collection("comments", Relation("post", posts));
        var alone = Collection("alone");
        var map = Of([users, posts, comments, alone]);

        Assert.Equal(["comments", "posts", "users"], map["users"].CollectionIds.Order());
        Assert.Same(map["users"], map["comments"]);
        Assert.Equal(["alone"], map["alone"].CollectionIds);
        Assert.False(map["posts"].OnEveryWrite);
        Assert.True(map["posts"].Cacheable);
    }

    [Fact]
    public void A_view_or_an_at_collection_rule_anywhere_in_the_group_depends_on_every_write()
    {
        var users = Collection("users");
        var posts = Collection("posts", Relation("author", users));
        users.ViewRule = "@collection.friends.user ?= @request.auth.id";
        var report = Collection("report");
        report.Type = Cairn.Collections.Collection.View;
        var map = Of([users, posts, report]);
        Assert.True(map["posts"].OnEveryWrite);
        Assert.True(map["report"].OnEveryWrite);
    }

    [Fact]
    public void A_clock_rule_anywhere_in_the_group_makes_it_uncacheable()
    {
        var users = Collection("users");
        var posts = Collection("posts", Relation("author", users));
        users.ListRule = "created > @yesterday"; // crossed when a post filter walks author.*
        Assert.False(Of([users, posts])["posts"].Cacheable);
    }

    private static Collection Collection(string name, params Field[] fields) =>
        new() { Id = name, Name = name, Fields = [.. fields], ListRule = "", ViewRule = "" };

    private static Field Relation(string name, Collection target) =>
        new() { Name = name, Type = FieldTypes.Relation, Options = new JsonObject { ["collectionId"] = target.Id } };
}
