using Cairn.Tests.Records;

namespace Cairn.Tests.Query;

/// <summary>
/// <c>?filter=</c> and <c>?sort=</c> on a records list, one row per operator, modifier, macro, path kind
/// and trap of POCKETBASE_API.md 2; expected keys are written from the seeded data in <see cref="FilterFixture"/>.
/// </summary>
public sealed class FilterApiTests(FilterFixture fixture) : IClassFixture<FilterFixture>
{
    private const string Superuser = "superuser", Guest = "guest";

    public static TheoryData<string, string, string> Matches() => new()
    {
        // = and != treat null and empty alike
        { "title = 'Hello Cairn'", Superuser, "k1" },
        { "title != 'Hello Cairn'", Superuser, "k2 k3 k4" },
        { "title = ''", Superuser, "k4" },
        { "title = null", Superuser, "k4" },
        { "title != ''", Superuser, "k2 k1 k3" },
        { "'' = title", Superuser, "k4" },
        { "null = ''", Superuser, "k1 k2 k3 k4" },
        { "title = key", Superuser, "" },
        { "title != key", Superuser, "k1 k2 k3 k4" },
        // comparisons
        { "n > 1", Superuser, "k2 k3" },
        { "n >= 1", Superuser, "k1 k2 k3" },
        { "n < 1", Superuser, "k4" },
        { "n <= 2", Superuser, "k1 k2 k4" },
        { "n = 2.0", Superuser, "k2" },
        { "n > -1 && n < 1.5", Superuser, "k1 k4" },
        // ~ and !~: case-insensitive contains, % and _ literal unless an unescaped % is given
        { "title ~ 'cairn'", Superuser, "k1" },
        { "title !~ 'post'", Superuser, "k1 k3 k4" },
        { "title ~ '_'", Superuser, "k3" },
        { "title ~ '%'", Superuser, "k1 k2 k3 k4" },
        { "title ~ '100%'", Superuser, "k3" },
        { "title ~ 'S%'", Superuser, "k2" },
        { "title ~ '\\\\'", Superuser, "k3" },
        { "'second post and more' ~ title", Superuser, "k2 k4" },
        // bools and bare words
        { "flag = true", Superuser, "k1" },
        { "flag = false", Superuser, "k2 k3 k4" },
        { "flag != TRUE", Superuser, "k2 k3 k4" },
        // a bare multiple field is its JSON text; :each expands it; :length counts it
        { "tags = 'a'", Superuser, "" },
        { "tags ~ 'a'", Superuser, "k1 k2" },
        { "tags:each ?= 'a'", Superuser, "k1 k2" },
        { "tags:each = 'a'", Superuser, "k2" },
        { "tags:each != 'a'", Superuser, "k3 k4" },
        { "tags:each ?!= 'a'", Superuser, "k1 k3 k4" },
        { "tags:length = 2", Superuser, "k1" },
        { "tags:length = 0", Superuser, "k3" },
        { "tags:length > 0 && tags:each ?~ 'b'", Superuser, "k1" },
        // relations: single, multiple (any with ?, all without), .id without a join
        { "author = ''", Superuser, "k3" },
        { "author.name = 'Ann'", Superuser, "k1 k4" },
        { "author.name != 'Ann'", Superuser, "k2 k3" },
        { "members.name ?= 'Bob'", Superuser, "k1 k2" },
        { "members.name = 'Bob'", Superuser, "k2" },
        { "members.name != 'Bob'", Superuser, "k3 k4" },
        { "members.name ?!= 'Bob'", Superuser, "k1 k3 k4" },
        { "members:length = 2", Superuser, "k1" },
        { "members.author_via_x = 1 || n = 1", Superuser, "error" },
        { "author.members.name ?= 'x'", Superuser, "error" },
        // back-relations
        { "comments_via_post.message ?~ 'hi'", Superuser, "k1 k2" },
        { "comments_via_post.message ~ 'hi'", Superuser, "k2" },
        { "comments_via_post.message ?= 'bye'", Superuser, "k1" },
        { "comments_via_post.message != 'x'", Superuser, "k1 k2 k3 k4" },
        { "comments_via_post:length > 1", Superuser, "error" },
        { "nope_via_post.message = 'x'", Superuser, "error" },
        // JSON and geoPoint paths, geoDistance
        { "meta.items.0.name = 'x'", Superuser, "k1" },
        { "meta.k = 5", Superuser, "k1" },
        { "meta.k = 'v'", Superuser, "k3" },
        { "meta.k = null", Superuser, "k2 k4" },
        { "loc.lat > 5", Superuser, "k2" },
        { "geoDistance(loc.lon, loc.lat, 0, 0) < 1", Superuser, "k1 k3 k4" },
        { "geoDistance(loc.lon, loc.lat, 10, 10) < 1", Superuser, "k2" },
        // :lower, precedence, strftime, macros
        { "title:lower = 'hello cairn'", Superuser, "k1" },
        { "key = 'k1' || key = 'k2' && n = 1", Superuser, "k1" },
        { "(key = 'k1' || key = 'k2') && n = 2", Superuser, "k2" },
        { "key = 'k2' && n = 2 || key = 'k3'", Superuser, "k2 k3" },
        { "created >= @todayStart && created <= @todayEnd", Superuser, "k1 k2 k3 k4" },
        { "created > @tomorrow || created < @yesterday", Superuser, "" },
        { "created >= @monthStart && created >= @yearStart && created <= @yearEnd && created <= @monthEnd", Superuser, "k1 k2 k3 k4" },
        { "@year > 2000 && @month >= 1 && @day >= 1 && @hour >= 0 && @minute >= 0 && @second >= 0 && @weekday >= 0", Superuser, "k1 k2 k3 k4" },
        { "strftime('%Y', created) = strftime('%Y', @now)", Superuser, "k1 k2 k3 k4" },
        { "strftime('%Y', meta.nope) = ''", Superuser, "k1 k2 k3 k4" },
        // @collection: shared join per alias, empty collection is one NULL row
        { "@collection.comments.message ?= 'bye' && @collection.comments.post ?= id", Superuser, "k1" },
        { "@collection.comments:a.message ?= 'bye' && @collection.comments:b.post ?= id", Superuser, "k1 k2" },
        { "@collection.nothing.x != 'test'", Superuser, "k1 k2 k3 k4" },
        { "@collection.nothing.x = 'test'", Superuser, "" },
        // @request
        { "@request.method = 'GET' && @request.context = 'default'", Superuser, "k1 k2 k3 k4" },
        { "@request.query.extra = '1'", Superuser, "k1 k2 k3 k4" },
        { "@request.query.extra:isset = true && @request.query.none:isset = false", Superuser, "k1 k2 k3 k4" },
        { "@request.headers.x_token = 'abc'", Superuser, "k1 k2 k3 k4" },
        { "@request.auth.id != ''", Superuser, "k1 k2 k3 k4" },
        { "@request.auth.collectionName = '_superusers'", Superuser, "k1 k2 k3 k4" },
        // client filters of non-superusers: crossed collections' list rules, auth email visibility, hidden fields
        { "author.name = 'Ann'", Guest, "k1 k4" },
        { "author.name != 'Ann'", Guest, "k3" },
        { "author.name = 'Bob'", "Bob", "k2" },
        { "author.email = 'ann@example.com'", Guest, "k1 k4" },
        { "author.email = 'bob@example.com'", "Bob", "" },
        { "author.email = 'bob@example.com'", Superuser, "k2" },
        { "secret = 's1'", Superuser, "k1" },
        { "secret = 's1'", Guest, "error" },
        { "title = 'x' || nope = 1", Guest, "error" },
        { "tags:nope = 1", Superuser, "error" },
        { "@request.body.x:nope = 1", Superuser, "error" },
        { "title:isset = true", Superuser, "error" },
        { "title.x = 1", Superuser, "error" },
        { "unknownFn(title) = 1", Superuser, "error" },
        { "geoDistance(1, 2) = 1", Superuser, "error" },
        { "@random = 1", Superuser, "error" },
        { "@nope = 1", Superuser, "error" },
        { "@collection.nope.x = 1", Superuser, "error" },
        { "a.b.c.d.e.f.g.h = 1", Superuser, "error" },
        { "title = ", Superuser, "error" },
    };

    [Theory]
    [MemberData(nameof(Matches))]
    public async Task Filter_MatchesTheExpectedPosts(string filter, string caller, string expected)
    {
        var (status, keys, response) = await fixture.ListAsync("?extra=1&sort=key&filter=" + Uri.EscapeDataString(filter), Token(caller),
            r => r.Headers.TryAddWithoutValidation("X-Token", "abc"));
        if (expected == "error")
        {
            response.AssertError(400);
            return;
        }
        Assert.True(status == 200, response.Text);
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(), keys);
    }

    [Theory]
    [InlineData("@request.auth.id != ''", "Only superusers can filter by @request.")]
    [InlineData("@collection.posts.id != ''", "Only superusers can filter by @collection.")]
    [InlineData("title = '@request.'", "Only superusers can filter by @request.")]
    public async Task Filter_RequestOrCollectionByNonSuperuser_Is403(string filter, string message)
    {
        var (_, _, response) = await fixture.ListAsync("?filter=" + Uri.EscapeDataString(filter), fixture.UserTokens["Ann"]);
        response.AssertError(403, message);
    }

    [Fact]
    public async Task Sort_ByRequestForNonSuperuser_Is403()
    {
        var (_, _, response) = await fixture.ListAsync("?sort=@request.auth.id", null);
        response.AssertError(403, "Only superusers can filter by @request.");
    }

    [Theory]
    [InlineData("author.name,key", Superuser, "k3 k1 k4 k2")]
    [InlineData("-author.name,-key", Superuser, "k2 k4 k1 k3")]
    [InlineData("meta.k,key", Superuser, "k2 k4 k1 k3")]
    [InlineData("title:lower", Superuser, "k4 k3 k1 k2")]
    [InlineData("author.name,key", Guest, "k3 k1 k4")]
    public async Task Sort_ByPaths(string sort, string caller, string expected)
    {
        var (status, keys, response) = await fixture.ListAsync("?sort=" + Uri.EscapeDataString(sort), Token(caller));
        Assert.True(status == 200, response.Text);
        Assert.Equal(expected.Split(' '), keys);
    }

    [Theory]
    [InlineData("members.name")]
    [InlineData("comments_via_post.message")]
    [InlineData("nope")]
    [InlineData("secret:lower")]
    [InlineData("author.name || 1")]
    public async Task Sort_Unsortable_Is400(string sort)
    {
        var (_, _, response) = await fixture.ListAsync("?sort=" + Uri.EscapeDataString(sort), null);
        response.AssertError(400);
    }

    [Fact]
    public async Task Filter_CountsMatchTheFilter()
    {
        var (_, _, response) = await fixture.ListAsync("?perPage=1&filter=" + Uri.EscapeDataString("members.name ?!= 'Bob'"), fixture.Server.SuperuserToken);
        Assert.Equal(3, response.Json!["totalItems"]!.GetValue<int>());
        Assert.Equal(3, response.Json["totalPages"]!.GetValue<int>());
        // A guest lists only Ann among the users, so k4 (whose only member is Cy) drops out of the crossing filter.
        var (_, keys, guest) = await fixture.ListAsync("?sort=key&filter=" + Uri.EscapeDataString("members.name ?!= 'Bob'"), null);
        Assert.Equal(["k1", "k3"], keys);
        Assert.Equal(2, guest.Json!["totalItems"]!.GetValue<int>());
    }

    private string? Token(string caller) => caller switch
    {
        Superuser => fixture.Server.SuperuserToken,
        Guest => null,
        _ => fixture.UserTokens[caller],
    };
}
