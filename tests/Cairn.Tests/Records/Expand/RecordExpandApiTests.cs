using System.Text.Json.Nodes;
using Cairn.Records;
using Cairn.Records.Expand;
using Cairn.Storage;
using static Cairn.Tests.Records.Expand.ExpandSeed;

namespace Cairn.Tests.Records.Expand;

/// <summary><c>?expand=</c> on view, list, create, update, batch and auth responses (POCKETBASE_API.md 0.3, 2.2).</summary>
public sealed class RecordExpandApiTests
{
    private static async Task<(TestServer Server, ExpandSeed Seed)> SeedAsync()
    {
        var server = await TestServer.StartAsync();
        return (server, await ExpandSeed.CreateAsync(server));
    }

    [Fact]
    public async Task View_SingleRelation_IsAnObject()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.ViewPostAsync("expand=author");
        Assert.True(response.Status == 200, response.Text);
        Assert.IsType<JsonObject>(At(response, "expand.author"));
        Assert.Equal(seed.Ann, At(response, "expand.author.id")!.GetValue<string>());
        Assert.Equal("Ann", At(response, "expand.author.name")!.GetValue<string>());
        Assert.Equal("users", At(response, "expand.author.collectionName")!.GetValue<string>());
    }

    [Fact]
    public async Task View_MultipleRelation_IsAnArrayInStoredOrder()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.ViewPostAsync("expand=tags");
        var tags = At(response, "expand.tags")!.AsArray();
        Assert.Equal(["b", "a"], tags.Select(t => t.Str("name")));
    }

    [Fact]
    public async Task View_NestedPath_ExpandsEachLevel()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.GetAsync($"/api/collections/posts/records/{seed.Reply}?expand=parent.author.team,parent.tags,author.team");
        Assert.Equal("core", At(response, "expand.parent.expand.author.expand.team.name")!.GetValue<string>());
        Assert.Equal(2, At(response, "expand.parent.expand.tags")!.AsArray().Count);
        Assert.Equal("Bob", At(response, "expand.author.name")!.GetValue<string>());
        // Bob has no team: the expansion ran and found nothing.
        Assert.Empty(At(response, "expand.author.expand")!.AsObject());
    }

    [Fact]
    public async Task View_BackRelation_IsAnArrayOfReferencingRecords()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.ViewPostAsync("expand=comments_via_post,posts_via_parent");
        Assert.Equal([seed.Comment1, seed.Comment2], At(response, "expand.comments_via_post")!.AsArray().Select(c => c.Str("id")));
        Assert.Equal([seed.Reply], At(response, "expand.posts_via_parent")!.AsArray().Select(c => c.Str("id")));
    }

    [Fact]
    public async Task View_BackRelationOverUniqueIndex_IsAnObject()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.ViewPostAsync("expand=profiles_via_post");
        Assert.Equal(seed.Profile, At(response, "expand.profiles_via_post.id")!.GetValue<string>());
    }

    [Fact]
    public async Task View_BackRelationOverMultipleField_FindsRecordsHoldingTheId()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.GetAsync($"/api/collections/tags/records/{seed.TagA}?expand=posts_via_tags.author");
        var posts = At(response, "expand.posts_via_tags")!.AsArray();
        Assert.Equal([seed.Post], posts.Select(p => p.Str("id")));
        Assert.Equal("Ann", At(response, "expand.posts_via_tags.0.expand.author.name")!.GetValue<string>());
    }

    [Fact]
    public async Task View_CycleDeeperThanSixLevels_StopsAtSix()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        // post → comments_via_post → post → … alternates between two collections; a 7th level is dropped.
        var response = await seed.ViewPostAsync("expand=comments_via_post.post.comments_via_post.post.comments_via_post.post.comments_via_post");
        Assert.True(response.Status == 200, response.Text);
        var node = At(response, "expand.comments_via_post.0.expand.post.expand.comments_via_post.0.expand.post.expand.comments_via_post.0.expand.post");
        Assert.Equal(seed.Post, node.Str("id"));
        Assert.Null(node!["expand"]);
    }

    [Fact]
    public async Task View_SelfRelationCycle_NestsTheSameRecordAgain()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.GetAsync($"/api/collections/posts/records/{seed.Reply}?expand=parent.posts_via_parent.parent");
        Assert.Equal(seed.Post, At(response, "expand.parent.expand.posts_via_parent.0.expand.parent.id")!.GetValue<string>());
        Assert.Equal(seed.Reply, At(response, "expand.parent.expand.posts_via_parent.0.id")!.GetValue<string>());
    }

    [Fact]
    public async Task View_MissingRelatedId_LeavesTheKeyOutButKeepsExpand()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        await server.Service<IDatabase>().WriteAsync(write =>
        {
            using var command = write.Command("""UPDATE "posts" SET "author" = 'zzzzzzzzzzzzzzz' WHERE "id" = @p0""", seed.Post);
            return command.ExecuteNonQuery();
        }, TestContext.Current.CancellationToken);
        var response = await seed.ViewPostAsync("expand=author");
        Assert.True(response.Status == 200, response.Text);
        Assert.Empty(At(response, "expand")!.AsObject());
    }

    [Theory]
    [InlineData("expand=nope")]
    [InlineData("expand=title")]
    [InlineData("expand=nope_via_post")]
    [InlineData("expand=comments_via_message")]
    [InlineData("expand=tags_via_post")]
    [InlineData("expand=..,")]
    public async Task View_UnresolvableExpand_IsSilentlyLeftOut(string query)
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.ViewPostAsync(query);
        Assert.True(response.Status == 200, response.Text);
        Assert.Null(response.Json!["expand"]);
        Assert.Equal("hello", response.Json.Str("title"));
    }

    [Fact]
    public async Task View_LockedRelatedCollection_IsNotExpandedForGuestsButIsForSuperusers()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var guest = await seed.ViewPostAsync("expand=secret,author");
        Assert.Null(At(guest, "expand.secret"));
        Assert.Equal("Ann", At(guest, "expand.author.name")!.GetValue<string>());
        var superuser = await seed.ViewPostAsync("expand=secret", server.SuperuserToken);
        Assert.Equal("hush", At(superuser, "expand.secret.name")!.GetValue<string>());
    }

    [Fact]
    public async Task View_RelatedViewRuleExpression_ExpandsOnlyForCallersTheRuleLetsSee()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var locked = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["viewRule"] = "id = @request.auth.id" });
        Assert.True(locked.Status == 200, locked.Text);
        async Task<string> TokenAsync(string email) => (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
            new JsonObject { ["identity"] = email, ["password"] = "password123" })).Json!["token"]!.GetValue<string>();

        var url = $"/api/collections/posts/records/{seed.Reply}?expand=author";
        var asGuest = await seed.GetAsync(url);
        var asAnn = await seed.GetAsync(url, await TokenAsync("ann@example.com"));
        var asBob = await seed.GetAsync(url, await TokenAsync("bob@example.com"));

        Assert.Equal(200, asGuest.Status);
        Assert.Null(At(asGuest, "expand.author"));
        Assert.Null(At(asAnn, "expand.author"));
        Assert.Equal(seed.Bob, At(asBob, "expand.author.id")!.GetValue<string>());
    }

    [Fact]
    public async Task View_RelatedViewRule_SeesTheCallersQueryAndHeadersWithTheExpandContext()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var rule = "@request.context = 'expand' && (@request.query.pass = 'yes' || @request.headers.x_pass = 'yes')";
        var locked = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", new JsonObject { ["viewRule"] = rule });
        Assert.True(locked.Status == 200, locked.Text);
        var url = $"/api/collections/posts/records/{seed.Reply}?expand=author";

        var without = await seed.GetAsync(url);
        var byQuery = await seed.GetAsync(url + "&pass=yes");
        var byHeader = await server.SendAsync(HttpMethod.Get, url, configure: r => r.Headers.Add("X-Pass", "yes"));

        Assert.Null(At(without, "expand.author"));
        Assert.Equal(seed.Bob, At(byQuery, "expand.author.id")!.GetValue<string>());
        Assert.Equal(seed.Bob, At(byHeader, "expand.author.id")!.GetValue<string>());
        // The same rule read directly (context "default") refuses the record.
        Assert.Equal(404, (await seed.GetAsync($"/api/collections/users/records/{seed.Bob}?pass=yes")).Status);
    }

    [Fact]
    public async Task View_ExpandedRecord_HidesHiddenFieldsAndPrivateEmailsFromNonSuperusers()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var guest = await seed.GetAsync($"/api/collections/posts/records/{seed.Reply}?expand=author,parent.author");
        Assert.Null(At(guest, "expand.author.secret"));
        Assert.Null(At(guest, "expand.author.email"));
        Assert.Null(At(guest, "expand.author.password"));
        Assert.Null(At(guest, "expand.author.tokenKey"));
        // Ann made her email visible.
        Assert.Equal("ann@example.com", At(guest, "expand.parent.expand.author.email")!.GetValue<string>());

        var superuser = await seed.GetAsync($"/api/collections/posts/records/{seed.Reply}?expand=author", server.SuperuserToken);
        Assert.Equal("s2", At(superuser, "expand.author.secret")!.GetValue<string>());
        Assert.Equal("bob@example.com", At(superuser, "expand.author.email")!.GetValue<string>());
        Assert.Null(At(superuser, "expand.author.password"));
    }

    [Fact]
    public async Task View_HiddenRelationField_IsNotExpandableByNonSuperusers()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var guest = await seed.GetAsync($"/api/collections/users/records/{seed.Ann}?expand=hiddenTeam,team");
        Assert.Null(At(guest, "expand.hiddenTeam"));
        Assert.Equal("core", At(guest, "expand.team.name")!.GetValue<string>());
        var superuser = await seed.GetAsync($"/api/collections/users/records/{seed.Ann}?expand=hiddenTeam", server.SuperuserToken);
        Assert.Equal("core", At(superuser, "expand.hiddenTeam.name")!.GetValue<string>());
    }

    [Fact]
    public async Task View_FieldsPicker_ReachesIntoExpandedRecords()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.ViewPostAsync("expand=author,tags&fields=id,expand.author.name,expand.tags.name");
        Assert.Equal(["expand", "id"], response.Json!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(["name"], At(response, "expand.author")!.AsObject().Select(p => p.Key));
        Assert.Equal(["name"], At(response, "expand.tags.0")!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task View_WithExpand_IgnoresIfNoneMatch()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var first = await seed.ViewPostAsync("");
        var etag = first.Header("ETag")!;
        var response = await server.SendAsync(HttpMethod.Get, $"/api/collections/posts/records/{seed.Post}?expand=author", configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        Assert.Equal(200, response.Status);
        Assert.Equal("Ann", At(response, "expand.author.name")!.GetValue<string>());
    }

    [Fact]
    public async Task View_BackRelation_IsCappedAtOneThousandRecords()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var registry = server.Service<Cairn.Collections.CollectionRegistry>();
        var records = server.Service<RecordService>();
        await server.Service<IDatabase>().WriteAsync(write =>
        {
            for (var i = 0; i < 1001; i++)
                records.Create(write, registry.Find("comments")!, new JsonObject { ["message"] = "m" + i, ["post"] = seed.Reply }, Cairn.Auth.RequestAuth.System);
            return true;
        }, TestContext.Current.CancellationToken);
        var response = await seed.GetAsync($"/api/collections/posts/records/{seed.Reply}?expand=comments_via_post");
        var comments = At(response, "expand.comments_via_post")!.AsArray();
        Assert.Equal(1000, comments.Count);
        Assert.Equal("m0", comments[0].Str("message"));
        Assert.Equal("m999", comments[999].Str("message"));
        // The cap is per parent: the other post's comments are not crowded out in the same batched query.
        var list = await seed.GetAsync("/api/collections/posts/records?expand=comments_via_post&sort=title");
        Assert.Equal(2, At(list, "items.0.expand.comments_via_post")!.AsArray().Count);
        Assert.Equal(1000, At(list, "items.1.expand.comments_via_post")!.AsArray().Count);
    }

    [Fact]
    public async Task List_ExpandsEveryItem()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await seed.GetAsync("/api/collections/posts/records?expand=author,parent&sort=title");
        Assert.Equal("Ann", At(response, "items.0.expand.author.name")!.GetValue<string>());
        Assert.Equal("Bob", At(response, "items.1.expand.author.name")!.GetValue<string>());
        Assert.Equal(seed.Post, At(response, "items.1.expand.parent.id")!.GetValue<string>());
        Assert.Null(At(response, "items.0.expand.parent"));
    }

    [Fact]
    public async Task List_ReadsRelatedRecordsInOneQueryPerLevelAndCollection()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var store = server.Service<RecordStore>();
        const string query = "/api/collections/posts/records?perPage=100&skipTotal=1&expand=author.team,tags,comments_via_post,profiles_via_post,parent.author";

        var before = store.QueriesRun;
        var small = await seed.GetAsync(query);
        var smallQueries = store.QueriesRun - before;
        Assert.Equal(2, small.Json!["items"]!.AsArray().Count);

        // 40 more posts, each by a new author with a team, two tags and a comment.
        for (var i = 0; i < 40; i++)
        {
            var team = (await server.CreateRecordAsync("teams", $$"""{"name":"t{{i}}"}""")).Str("id");
            var user = (await server.CreateRecordAsync("users", $$"""{"email":"u{{i}}@example.com","password":"password123","passwordConfirm":"password123","team":"{{team}}"}""")).Str("id");
            var post = (await server.CreateRecordAsync("posts", $$"""{"title":"p{{i}}","author":"{{user}}","tags":["{{seed.TagA}}","{{seed.TagB}}"],"parent":"{{seed.Post}}"}""")).Str("id");
            await server.CreateRecordAsync("comments", $$"""{"message":"c{{i}}","post":"{{post}}"}""");
        }
        before = store.QueriesRun;
        var large = await seed.GetAsync(query);
        var largeQueries = store.QueriesRun - before;

        Assert.Equal(42, large.Json!["items"]!.AsArray().Count);
        Assert.All(large.Json!["items"]!.AsArray().Where(p => p.Str("title").StartsWith('p')),
            p => Assert.StartsWith("t", At(new ApiResponse(200, p, "", null!, null!), "expand.author.expand.team.name")!.GetValue<string>()));
        // page, then level 1: users, tags, posts (parent), comments, profiles; level 2: teams, users (parent.author).
        Assert.Equal(8, largeQueries);
        Assert.Equal(smallQueries, largeQueries);
    }

    [Fact]
    public async Task Create_ReturnsTheExpandedRecord()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records?expand=author.team,tags&fields=id,expand",
            TestCollections.Json($$"""{"title":"new","author":"{{seed.Ann}}","tags":["{{seed.TagA}}"]}"""));
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal("core", At(response, "expand.author.expand.team.name")!.GetValue<string>());
        Assert.Equal("a", At(response, "expand.tags.0.name")!.GetValue<string>());
        Assert.Null(response.Json!["title"]);
    }

    [Fact]
    public async Task Update_ReturnsTheExpandedRecord()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await server.SendAsync(HttpMethod.Patch, $"/api/collections/posts/records/{seed.Post}?expand=author,comments_via_post",
            TestCollections.Json($$"""{"author":"{{seed.Bob}}"}"""));
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal("Bob", At(response, "expand.author.name")!.GetValue<string>());
        Assert.Equal(2, At(response, "expand.comments_via_post")!.AsArray().Count);
    }

    [Fact]
    public async Task Batch_ExpandsEachItemInsideTheTransaction()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var requests = JsonNode.Parse($$$"""
            [{"method":"POST","url":"/api/collections/tags/records","body":{"id":"batchtag0000001","name":"fresh"}},
             {"method":"POST","url":"/api/collections/posts/records?expand=tags,author&fields=id,expand.tags.name,expand.author.name","body":{"title":"t","tags":["batchtag0000001"],"author":"{{{seed.Ann}}}"}},
             {"method":"PATCH","url":"/api/collections/posts/records/{{{seed.Post}}}?expand=comments_via_post","body":{"title":"x"}}]
            """);
        var response = await server.SendAsync(HttpMethod.Post, "/api/batch", new JsonObject { ["requests"] = requests });
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal("fresh", At(response, "1.body.expand.tags.0.name")!.GetValue<string>());
        Assert.Equal("Ann", At(response, "1.body.expand.author.name")!.GetValue<string>());
        Assert.Equal(2, At(response, "2.body.expand.comments_via_post")!.AsArray().Count);
    }

    [Fact]
    public async Task AuthWithPassword_ExpandsTheAuthRecord()
    {
        var (server, seed) = await SeedAsync();
        await using var _ = server;
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password?expand=team,posts_via_author&fields=token,record.expand",
            TestCollections.Json("""{"identity":"ann@example.com","password":"password123"}"""));
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal("core", At(response, "record.expand.team.name")!.GetValue<string>());
        Assert.Equal([seed.Post], At(response, "record.expand.posts_via_author")!.AsArray().Select(p => p.Str("id")));

        var refresh = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh?expand=team", token: response.Json.Str("token"));
        Assert.True(refresh.Status == 200, refresh.Text);
        Assert.Equal("core", At(refresh, "record.expand.team.name")!.GetValue<string>());
    }
}
