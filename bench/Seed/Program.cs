// Seeds a running Cairn through its public API, the way a client would: signs in as a superuser,
// creates the benchmark collections, then loads the rows with POST /api/batch (50 creates per batch,
// several batches in flight), and signs every user in. Writes the ids it used, one per line, for the
// load scripts and the floor, and the users' auth tokens (users.tokens, in the order of users.ids).
//
//   Seed --url http://127.0.0.1:PORT --email E --password P --out DIR [--posts 100000] [--notes 10000] [--users 1000] [--concurrency 8]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Bench;

var options = new Dictionary<string, string> { ["--posts"] = "100000", ["--notes"] = "10000", ["--users"] = "1000", ["--concurrency"] = "8" };
for (var i = 0; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
using var http = new HttpClient { BaseAddress = new Uri(options["--url"]), Timeout = TimeSpan.FromSeconds(60) };
var concurrency = new ParallelOptions { MaxDegreeOfParallelism = int.Parse(options["--concurrency"]) };
var outDir = options["--out"];
Directory.CreateDirectory(outDir);

var auth = await Send(HttpMethod.Post, "/api/collections/_superusers/auth-with-password",
    new JsonObject { ["identity"] = options["--email"], ["password"] = options["--password"] }, null);
var superuser = auth!["token"]!.GetValue<string>();

// users: the authors, in the default users collection of a new data folder, opened up as public profiles
// (listRule/viewRule ""), so that expand=author shows them to anyone; emails stay hidden (emailVisibility false).
// Without the avatar field (the floor's users table has none), and bcrypt cost 4 instead of 10: these users
// sign in once each while seeding; sign-in itself is measured on signin_users below.
var users = await Send(HttpMethod.Get, "/api/collections/users", null, superuser);
var usersId = users!["id"]!.GetValue<string>();
var fields = new JsonArray(users["fields"]!.AsArray().OfType<JsonObject>()
    .Where(f => f["name"]!.GetValue<string>() != "avatar").Select(f => (JsonNode)f.DeepClone()).ToArray());
foreach (var field in fields.OfType<JsonObject>())
    if (field["name"]!.GetValue<string>() == "password") field["cost"] = 4;
await Send(HttpMethod.Patch, "/api/collections/" + usersId, new JsonObject { ["listRule"] = "", ["viewRule"] = "", ["fields"] = fields }, superuser);

// signin_users: the password sign-in scenario, at bcrypt's default cost (10), as an app's users would be.
await Send(HttpMethod.Post, "/api/collections", new JsonObject { ["name"] = "signin_users", ["type"] = "auth" }, superuser);

// posts: readable in a list only by their author (the owner rule of issue 3), with an index on author;
// viewable by anyone (the view scenario). notes: public, for the plain list and for expand=author.
JsonObject Author() => new() { ["name"] = "author", ["type"] = "relation", ["collectionId"] = usersId, ["maxSelect"] = 1 };
foreach (var (name, listRule, indexes) in new[]
{
    ("posts", "author = @request.auth.id", new JsonArray("CREATE INDEX idx_posts_author ON posts (author)")),
    ("notes", "", new JsonArray()),
    ("bench_create", "", new JsonArray()),
})
{
    var collectionFields = new JsonArray(
        new JsonObject { ["name"] = "title", ["type"] = "text" },
        new JsonObject { ["name"] = "body", ["type"] = "text" },
        new JsonObject { ["name"] = "likes", ["type"] = "number" });
    if (name != "bench_create") collectionFields.Add(Author());
    await Send(HttpMethod.Post, "/api/collections", new JsonObject
    {
        ["name"] = name, ["listRule"] = listRule, ["viewRule"] = "", ["createRule"] = "",
        ["fields"] = collectionFields, ["indexes"] = indexes,
    }, superuser);
}

var userCount = int.Parse(options["--users"]);
var userIds = await SeedAsync("users", userCount, 3, (i, id) => new JsonObject
{
    ["id"] = id, ["email"] = SeedData.Email(i), ["password"] = SeedData.Password, ["passwordConfirm"] = SeedData.Password, ["name"] = SeedData.Name(i),
});
// One create per request: 50 cost-10 hashes would outlast a batch's time limit.
await Parallel.ForEachAsync(Enumerable.Range(0, SeedData.SignInUsers), concurrency, async (i, _) =>
    await Send(HttpMethod.Post, "/api/collections/signin_users/records", new JsonObject
    {
        ["email"] = SeedData.Email(i), ["password"] = SeedData.Password, ["passwordConfirm"] = SeedData.Password,
    }, superuser));
foreach (var (collection, count, seed) in new[] { ("posts", int.Parse(options["--posts"]), 1), ("notes", int.Parse(options["--notes"]), 2) })
    await SeedAsync(collection, count, seed, (i, id) => new JsonObject
    {
        ["id"] = id, ["title"] = SeedData.Title(i), ["body"] = SeedData.Body, ["likes"] = SeedData.Likes(i), ["author"] = userIds[SeedData.Author(i, userCount)],
    });

// Every user signs in once; the load scripts pick one of these tokens per request.
var clock = Stopwatch.StartNew();
var tokens = new string[userCount];
await Parallel.ForEachAsync(Enumerable.Range(0, userCount), concurrency, async (i, _) =>
{
    var signedIn = await Send(HttpMethod.Post, "/api/collections/users/auth-with-password",
        new JsonObject { ["identity"] = SeedData.Email(i), ["password"] = SeedData.Password }, null);
    tokens[i] = signedIn!["token"]!.GetValue<string>();
});
await File.WriteAllLinesAsync(Path.Combine(outDir, "users.tokens"), tokens);
// The sign-in scenario's request bodies, one per signin_users user, for wrk's "bodies" mode.
await File.WriteAllLinesAsync(Path.Combine(outDir, "signin.bodies"), Enumerable.Range(0, SeedData.SignInUsers)
    .Select(i => new JsonObject { ["identity"] = SeedData.Email(i), ["password"] = SeedData.Password }.ToJsonString()));
var own = await Send(HttpMethod.Get, "/api/collections/posts/records?perPage=1", null, tokens[0]);
var expected = Enumerable.Range(0, int.Parse(options["--posts"])).Count(i => SeedData.Author(i, userCount) == 0);
if (own!["totalItems"]!.GetValue<long>() != expected) throw new InvalidOperationException($"user 0 sees {own["totalItems"]} posts, expected {expected}");
Console.WriteLine($"signed in {userCount} users in {clock.Elapsed.TotalSeconds:F1} s; user 0 lists its {expected} posts");
return 0;

// Creates count records of collection through POST /api/batch and writes their ids to COLLECTION.ids.
async Task<string[]> SeedAsync(string collection, int count, int seed, Func<int, string, JsonObject> body)
{
    var ids = SeedData.Ids(count, seed);
    await File.WriteAllLinesAsync(Path.Combine(outDir, collection + ".ids"), ids);
    var started = Stopwatch.StartNew();
    // The first chunk goes alone, so the first page in insertion order holds the first ids, as the floor's does;
    // the rest in parallel (their order does not matter).
    await SendChunkAsync(0);
    await Parallel.ForEachAsync(Enumerable.Range(1, (count + 49) / 50 - 1), concurrency, async (chunk, _) => await SendChunkAsync(chunk));
    var stored = await Send(HttpMethod.Get, $"/api/collections/{collection}/records?perPage=1", null, superuser);
    var total = stored!["totalItems"]!.GetValue<long>();
    if (total != count) throw new InvalidOperationException($"{collection}: expected {count} rows, found {total}");
    Console.WriteLine($"seeded {collection}: {count} rows in {started.Elapsed.TotalSeconds:F1} s ({count / started.Elapsed.TotalSeconds:F0} rows/s through /api/batch)");
    return ids;

    async Task SendChunkAsync(int chunk)
    {
        var requests = new JsonArray();
        for (var i = chunk * 50; i < Math.Min(count, chunk * 50 + 50); i++)
            requests.Add(new JsonObject { ["method"] = "POST", ["url"] = $"/api/collections/{collection}/records", ["body"] = body(i, ids[i]) });
        // A batch runs in one transaction with a 3 s limit (BatchOptions.Timeout); on a busy box a batch can
        // wait that long for the writer and is rolled back whole (a 503), so it is sent again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Send(HttpMethod.Post, "/api/batch", new JsonObject { ["requests"] = requests.DeepClone() }, superuser);
                break;
            }
            catch (HttpRequestException e) when (attempt < 5 && e.Message.Contains("→ 503"))
            {
                Console.Error.WriteLine($"{collection}: batch {chunk} failed (attempt {attempt}), sending it again");
            }
        }
    }
}

async Task<JsonNode?> Send(HttpMethod method, string url, JsonNode? body, string? token)
{
    using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
    if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
    using var response = await http.SendAsync(request);
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {url} → {(int)response.StatusCode}: {text}");
    return JsonNode.Parse(text);
}
