using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage.Postgres;
using Cairn.Tests.Records;

namespace Cairn.Tests.Cli;

/// <summary>
/// <c>cairn migrate-to-postgres</c> run as a real process: a data folder seeded through the API on SQLite is moved into
/// a fresh PostgreSQL database, and a server started on that database must answer as the SQLite one did.
/// </summary>
public sealed class MigrateToPostgresTests
{
    private const string NeedsPostgres = "needs PostgreSQL: runs in the PostgreSQL pass of scripts/test.sh";
    private const string Alice = "alice@example.com", AlicePassword = "alice-password-1";

    private static readonly string[] CollectionNames = ["_superusers", "users", "tags", "posts", "events", "post_titles"];

    [Fact]
    public async Task Migrate_SeededDataFolder_ServesTheSameRecordsOnPostgres()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, NeedsPostgres);
        var dir = TempDir();
        var target = await TestDatabase.CreateAsync();
        try
        {
            // Everything the SQLite server answers, to compare with what the PostgreSQL one answers after the move.
            var before = new Dictionary<string, JsonNode>();
            string aliceToken, superuserToken, updatedETag, updatedPost;
            await using (var seed = await TestServer.StartAsync(o => o with { DataDir = dir, Database = null }))
            {
                (aliceToken, updatedPost, updatedETag) = await SeedAsync(seed);
                Assert.Equal(200, (await seed.AsSuperuser(HttpMethod.Patch, "/api/settings", TestCollections.Json("""{"meta":{"appName":"Migrated"}}"""))).Status);
                superuserToken = seed.SuperuserToken;
                foreach (var collection in CollectionNames) before[collection] = await ListAllAsync(seed, collection);
                before["collections"] = (await seed.AsSuperuser(HttpMethod.Get, "/api/collections?perPage=100")).Json!["items"]!;
            }
            var hash = Sha256(Path.Combine(dir, "data.db"));
            // A database that `cairn serve --db` has started on (system collections, an empty default users, no superuser yet) counts as empty.
            await using (var started = new PostgresDatabase(target!))
                await new CollectionStore(started, new CollectionRegistry(), TimeProvider.System).InitializeAsync(cancellationToken: TestContext.Current.CancellationToken);

            var (exit, output, error) = await CairnProcess.RunAsync(["migrate-to-postgres", "--dir", dir, "--db", target!], timeoutSeconds: 180);

            Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
            Assert.Equal("", error);
            Assert.True(output.Contains("12 collections and 1111 records copied and verified.", StringComparison.Ordinal), output);
            Assert.Matches(@"events\s+base\s+1100 records", output);
            Assert.Equal(hash, Sha256(Path.Combine(dir, "data.db")));

            await using var server = await TestServer.StartAsync(o => o with { Database = target });
            foreach (var collection in CollectionNames)
            {
                var after = await ListAllAsync(server, collection);
                Assert.True(JsonNode.DeepEquals(before[collection], after), $"{collection} differs:\n{before[collection].ToJsonString()}\n{after.ToJsonString()}");
            }
            Assert.Equal("Migrated", (await server.AsSuperuser(HttpMethod.Get, "/api/settings")).Json!["meta"].Str("appName"));
            var collections = (await server.AsSuperuser(HttpMethod.Get, "/api/collections?perPage=100")).Json!["items"]!;
            Assert.True(JsonNode.DeepEquals(before["collections"], collections), collections.ToJsonString());

            // Password hashes, token keys and token secrets came along: old passwords sign in, old tokens still work.
            var signIn = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
                TestCollections.Json($$"""{"identity":"{{Alice}}","password":"{{AlicePassword}}"}"""));
            Assert.True(signIn.Status == 200, signIn.Text);
            (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
                TestCollections.Json($$"""{"identity":"{{Alice}}","password":"wrong-password"}"""))).AssertError(400);
            var superuser = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/auth-with-password",
                TestCollections.Json($$"""{"identity":"{{TestServer.SuperuserEmail}}","password":"{{TestServer.SuperuserPassword}}"}"""));
            Assert.True(superuser.Status == 200, superuser.Text);
            var refresh = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: aliceToken);
            Assert.True(refresh.Status == 200, refresh.Text);
            Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/collections", token: superuserToken)).Status);

            // Versions (ETags) and unique indexes came along.
            var post = await server.AsSuperuser(HttpMethod.Get, $"/api/collections/posts/records/{updatedPost}");
            Assert.Equal(updatedETag, post.Header("ETag"));
            (await server.AsSuperuser(HttpMethod.Post, "/api/collections/tags/records", TestCollections.Json("""{"name":"green"}""")))
                .AssertFieldError("Failed to create record.", "name", "validation_not_unique");
            (await server.SendAsync(HttpMethod.Post, "/api/collections/users/records",
                TestCollections.Json($$"""{"email":"{{Alice}}","password":"password123","passwordConfirm":"password123"}""")))
                .AssertFieldError("Failed to create record.", "email", "validation_not_unique");

            // A record created after the move comes after the copied ones in insertion order.
            var created = await server.CreateRecordAsync("tags", """{"name":"new"}""");
            var last = await server.AsSuperuser(HttpMethod.Get, "/api/collections/tags/records?sort=-@rowid&perPage=1");
            Assert.Equal(created.Str("id"), last.Json!["items"]![0].Str("id"));
        }
        finally
        {
            await TestDatabase.DropAsync(target);
            Delete(dir);
        }
    }

    [Fact]
    public async Task Migrate_TargetHoldsCairnData_IsRefusedAndLeftAsItWas()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, NeedsPostgres);
        var dir = TempDir();
        try
        {
            await using (var seed = await TestServer.StartAsync(o => o with { DataDir = dir, Database = null }))
                await seed.CreatePublicAsync("tags", """[{"name":"name","type":"text"}]""");
            await using var target = await TestServer.StartAsync();
            await target.CreatePublicAsync("notes", """[{"name":"body","type":"text"}]""");
            await target.CreateRecordAsync("notes", """{"body":"keep me"}""");

            var (exit, _, error) = await CairnProcess.RunAsync(["migrate-to-postgres", "--dir", dir, "--db", target.Service<CairnOptions>().Database!]);

            Assert.Equal(1, exit);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("cairn: the PostgreSQL database", line);
            Assert.Contains("is not empty: it already holds Cairn collections (notes)", line);
            var collections = await target.AsSuperuser(HttpMethod.Get, "/api/collections?perPage=100");
            Assert.Equal(SystemCollections.Required().Select(c => c.Name).Append("notes").Order(), collections.Json!["items"]!.AsArray().Select(c => c.Str("name")).Order());
            Assert.Equal(1, (await target.AsSuperuser(HttpMethod.Get, "/api/collections/notes/records")).Json!["totalItems"]!.GetValue<int>());
        }
        finally
        {
            Delete(dir);
        }
    }

    [Theory]
    [InlineData("--db", "postgres://cairn:secret@127.0.0.1:1/cairn", "cairn: no Cairn database at")]
    [InlineData("--db", "sqlite.db", "cairn: --db must be a PostgreSQL connection string")]
    [InlineData(null, null, "cairn: --db is required")]
    public async Task Migrate_BadArguments_PrintsOneLineAndExitsNonZero(string? flag, string? value, string message)
    {
        var dir = TempDir();
        string[] args = flag is null ? ["migrate-to-postgres", "--dir", dir] : ["migrate-to-postgres", "--dir", dir, flag, value!];

        var (exit, _, error) = await CairnProcess.RunAsync(args);

        Assert.Equal(1, exit);
        Assert.StartsWith(message, Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(Directory.Exists(dir), "the data folder was created");
    }

    /// <summary>
    /// Collections of every kind of value the move must keep; ids are given in descending order so that insertion
    /// order (@rowid) and id order differ. Returns Alice's token and an updated post's id and ETag.
    /// </summary>
    private static async Task<(string Token, string Post, string ETag)> SeedAsync(TestServer seed)
    {
        await seed.CreateUsersAsync();
        var (alice, token) = await seed.CreateUserAsync(Alice, AlicePassword);
        var (bob, _) = await seed.CreateUserAsync("bob@example.com");
        await seed.CreatePublicAsync("tags", """[{"name":"name","type":"text"}]""", indexesJson: """["CREATE UNIQUE INDEX idx_tags_name ON tags (name)"]""");
        string[] tagIds = ["zzzzzzzzzzzzzz1", "mmmmmmmmmmmmmm2", "aaaaaaaaaaaaaa3"];
        string[] tagNames = ["red", "green", "blue"];
        for (var i = 0; i < tagIds.Length; i++) await seed.CreateRecordAsync("tags", $$"""{"id":"{{tagIds[i]}}","name":"{{tagNames[i]}}"}""");
        var users = alice["collectionId"]!.GetValue<string>();
        var tags = (await seed.AsSuperuser(HttpMethod.Get, "/api/collections/tags")).Json.Str("id");
        await seed.CreatePublicAsync("posts", $$"""
            [{"name":"title","type":"text"},{"name":"views","type":"number"},{"name":"published","type":"bool"},{"name":"meta","type":"json"},
             {"name":"labels","type":"select","values":["a","b","c"],"maxSelect":3},{"name":"place","type":"geoPoint"},
             {"name":"author","type":"relation","collectionId":"{{users}}","maxSelect":1},
             {"name":"tags","type":"relation","collectionId":"{{tags}}","maxSelect":5},
             {"name":"created","type":"autodate","onCreate":true},{"name":"updated","type":"autodate","onCreate":true,"onUpdate":true}]
            """);
        await seed.CreateRecordAsync("posts", $$"""
            {"id":"zzzzzzzzzzzzzp1","title":"Héllo ✓ \"quoted\"","views":3.25,"published":true,"meta":{"zeta":1,"alpha":[1,2.5,{"b":null}],"s":"x"},
             "labels":["c","a"],"place":{"lon":2.35,"lat":48.85},"author":"{{alice.Str("id")}}","tags":["{{tagIds[2]}}","{{tagIds[0]}}"]}
            """);
        await seed.CreateRecordAsync("posts", $$"""{"id":"aaaaaaaaaaaaap2","title":"","views":-10000000000,"meta":"just text","author":"{{bob.Str("id")}}"}""");
        await seed.CreateRecordAsync("posts", """{"id":"mmmmmmmmmmmmmp3","title":"no json","meta":null,"labels":["b"],"tags":["mmmmmmmmmmmmmm2"]}""");
        var updated = await seed.AsSuperuser(HttpMethod.Patch, "/api/collections/posts/records/aaaaaaaaaaaaap2", TestCollections.Json("""{"views+":1,"published":true}"""));
        Assert.True(updated.Status == 200, updated.Text);
        // A view collection moves too: its query is plain SQL both engines read, and its fields are inferred again.
        await seed.CreateCollectionAsync(TestCollections.Json("""
            {"name":"post_titles","type":"view","listRule":"","viewQuery":"SELECT p.id, p.title, p.views, p.author FROM posts p"}
            """));

        // More rows than one copy transaction holds (MigrateToPostgres.BatchSize), created concurrently: their
        // insertion order is whatever the writer made of it, and the move must keep exactly that.
        await seed.CreatePublicAsync("events", """[{"name":"n","type":"number"},{"name":"kind","type":"text"}]""");
        var events = seed.Service<CollectionRegistry>().Find("events")!;
        var records = seed.Service<RecordService>();
        await Task.WhenAll(Enumerable.Range(0, 1100).Select(i => records.CreateAsync(events,
            new JsonObject { ["n"] = i, ["kind"] = i % 3 == 0 ? "even" : "odd" }, Cairn.Auth.RequestAuth.System, TestContext.Current.CancellationToken)));
        return (token, "aaaaaaaaaaaaap2", updated.Header("ETag")!);
    }

    /// <summary>Every record of a collection as a superuser sees it, in insertion order.</summary>
    private static async Task<JsonArray> ListAllAsync(TestServer server, string collection)
    {
        var all = new JsonArray();
        for (var page = 1; ; page++)
        {
            var response = await server.AsSuperuser(HttpMethod.Get, $"/api/collections/{collection}/records?sort=@rowid&perPage=500&page={page}");
            Assert.True(response.Status == 200, response.Text);
            var items = response.Json!["items"]!.AsArray();
            foreach (var item in items) all.Add(item!.DeepClone());
            if (items.Count < 500) return all;
        }
    }

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "cairn-migrate-" + Guid.NewGuid().ToString("N"));

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static void Delete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
