// Seeds a running Cairn through its public API, the way a client would: signs in as a superuser,
// creates the benchmark collections, then loads the rows with POST /api/batch (50 creates per batch,
// several batches in flight). Writes the ids it used, one per line, for the load scripts and the floor.
//
//   Seed --url http://127.0.0.1:PORT --email E --password P --out DIR [--posts 100000] [--notes 10000] [--concurrency 8]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cairn.Bench;

var options = new Dictionary<string, string> { ["--posts"] = "100000", ["--notes"] = "10000", ["--concurrency"] = "8" };
for (var i = 0; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
using var http = new HttpClient { BaseAddress = new Uri(options["--url"]), Timeout = TimeSpan.FromSeconds(60) };

var auth = await Send(HttpMethod.Post, "/api/collections/_superusers/auth-with-password",
    new JsonObject { ["identity"] = options["--email"], ["password"] = options["--password"] });
http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", auth!["token"]!.GetValue<string>());

// Public rules ("") so that the measured requests run as a guest, without a token to check.
foreach (var name in new[] { "posts", "notes", "bench_create" })
    await Send(HttpMethod.Post, "/api/collections", new JsonObject
    {
        ["name"] = name, ["listRule"] = "", ["viewRule"] = "", ["createRule"] = "",
        ["fields"] = new JsonArray(
            new JsonObject { ["name"] = "title", ["type"] = "text" },
            new JsonObject { ["name"] = "body", ["type"] = "text" },
            new JsonObject { ["name"] = "likes", ["type"] = "number" }),
    });

var outDir = options["--out"];
Directory.CreateDirectory(outDir);
foreach (var (collection, count, seed) in new[] { ("posts", int.Parse(options["--posts"]), 1), ("notes", int.Parse(options["--notes"]), 2) })
{
    var ids = SeedData.Ids(count, seed);
    await File.WriteAllLinesAsync(Path.Combine(outDir, collection + ".ids"), ids);
    var clock = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, (count + 49) / 50),
        new ParallelOptions { MaxDegreeOfParallelism = int.Parse(options["--concurrency"]) },
        async (chunk, _) =>
        {
            var requests = new JsonArray();
            for (var i = chunk * 50; i < Math.Min(count, chunk * 50 + 50); i++)
                requests.Add(new JsonObject
                {
                    ["method"] = "POST",
                    ["url"] = $"/api/collections/{collection}/records",
                    ["body"] = new JsonObject { ["id"] = ids[i], ["title"] = SeedData.Title(i), ["body"] = SeedData.Body, ["likes"] = SeedData.Likes(i) },
                });
            await Send(HttpMethod.Post, "/api/batch", new JsonObject { ["requests"] = requests });
        });
    var stored = await Send(HttpMethod.Get, $"/api/collections/{collection}/records?perPage=1", null);
    var total = stored!["totalItems"]!.GetValue<long>();
    if (total != count) throw new InvalidOperationException($"{collection}: expected {count} rows, found {total}");
    Console.WriteLine($"seeded {collection}: {count} rows in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:F0} rows/s through /api/batch)");
}
return 0;

async Task<JsonNode?> Send(HttpMethod method, string url, JsonNode? body)
{
    using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
    using var response = await http.SendAsync(request);
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {url} → {(int)response.StatusCode}: {text}");
    return JsonNode.Parse(text);
}
