using System.Diagnostics;
using System.Text;
using Cairn.Tests.Records;

namespace Cairn.Tests.Query;

/// <summary>
/// Malformed and hostile filters through the HTTP API: random bytes, deep nesting, unbalanced quotes, huge
/// numbers, unicode, LIKE metacharacters, NUL. Every answer is 200 or 400 (never 500, never a database
/// error leaking), each within a second. The seed is printed so a failure can be replayed.
/// </summary>
public sealed class FilterFuzzTests
{
    private static readonly string[] Pieces =
    [
        "title", "n", "tags", "tags:each", "tags:length", "author", "author.name", "author.id", "members.name", "comments_via_post.message",
        "meta.a.0.b", "@now", "@request.auth.id", "@collection.posts.title", "null", "true", "geoDistance(1,2,3,4)", "strftime('%Y',created)",
        "=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?~", "&&", "||", "(", ")", "'", "\"", "\\", "%", "_", "//", "\n", "\0",
        "'%_\\'", "\"a\\\"b\"", "99999999999999999999999999999999", "-1.5", "1e9", ".5", "1.", "é", "🙂", "\u202e", "'; DROP TABLE posts; --",
        ":lower", ":isset", ":changed", ":nope", ".", ",", " ", "__via__", "x_via_y", "@", "#", "$",
    ];

    [Fact]
    public async Task Filter_FuzzedInput_IsAnswered200Or400Quickly()
    {
        var seed = Environment.GetEnvironmentVariable("CAIRN_FUZZ_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
        TestContext.Current.SendDiagnosticMessage($"filter fuzz seed {seed} (set CAIRN_FUZZ_SEED to replay)");
        var random = new Random(seed);
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("users", """[{"name":"name","type":"text"}]""");
        var usersId = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/users")).Json!.Str("id");
        await server.CreatePublicAsync("posts", $$"""
            [{"name":"title","type":"text"},{"name":"n","type":"number"},{"name":"tags","type":"select","maxSelect":2,"values":["a","b"]},
             {"name":"author","type":"relation","collectionId":"{{usersId}}"},{"name":"members","type":"relation","collectionId":"{{usersId}}","maxSelect":3},
             {"name":"meta","type":"json"},{"name":"created","type":"autodate","onCreate":true}]
            """);
        var postsId = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/posts")).Json!.Str("id");
        await server.CreatePublicAsync("comments", $$"""[{"name":"post","type":"relation","collectionId":"{{postsId}}"},{"name":"message","type":"text"}]""");
        var user = (await server.CreateRecordAsync("users", """{"name":"x"}""")).Str("id");
        await server.CreateRecordAsync("posts", $$$"""{"title":"a%b_c\\d","n":1,"tags":["a"],"author":"{{{user}}}","members":["{{{user}}}"],"meta":{"a":[{"b":1}]}}""");

        var inputs = new List<string>
        {
            new string('(', 1000) + "title = 1" + new string(')', 1000),
            string.Concat(Enumerable.Repeat("(", 63)) + "title='x'" + string.Concat(Enumerable.Repeat(")", 63)),
            string.Join(" && ", Enumerable.Repeat("members.name ?= 'x'", 150)),
            string.Join(" || ", Enumerable.Repeat("comments_via_post.message ~ 'x'", 100)),
            "title = '" + new string('x', 4000) + "'",
            "title = 'unterminated", "title = \"unterminated", "(title = 1", "title = 1)", "n = 1" + new string('0', 400),
            "title ~ '%%%%%'", "title ~ '\\\\%'", "title = '\0'", "title\0 = 1", "a.b.c.d.e.f.g.h.i = 1", "author.author.author = 1",
        };
        for (var i = 0; i < 400; i++)
        {
            if (random.Next(3) == 0)
            {
                var bytes = new byte[random.Next(1, 80)];
                random.NextBytes(bytes);
                inputs.Add(Encoding.UTF8.GetString(bytes));
            }
            else inputs.Add(string.Concat(Enumerable.Range(0, random.Next(1, 14)).Select(_ => Pieces[random.Next(Pieces.Length)] + (random.Next(2) == 0 ? " " : ""))));
        }

        foreach (var (input, token) in inputs.SelectMany(i => new[] { (i, (string?)null), (i, server.SuperuserToken) }))
        {
            // 403 is the answer to "@request." or "@collection." in a guest's filter (POCKETBASE_API.md 1.1).
            var watch = Stopwatch.StartNew();
            if (input.Length < 1000)
            {
                var response = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?filter=" + Uri.EscapeDataString(input) + "&sort=" + Uri.EscapeDataString(input), token: token);
                Assert.True(response.Status is 200 or 400 or 403, $"seed {seed}: {response.Status} for {Printable(input)}: {response.Text}");
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"seed {seed}: {watch.Elapsed} for {Printable(input)}");
                watch.Restart();
            }
            var filterOnly = await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records?filter=" + Uri.EscapeDataString(input), token: token);
            Assert.True(filterOnly.Status is 200 or 400 or 403, $"seed {seed}: {filterOnly.Status} for {Printable(input)}: {filterOnly.Text}");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"seed {seed}: {watch.Elapsed} for {Printable(input)}");
        }
    }

    private static string Printable(string text) =>
        string.Concat(text.Take(300).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) + (text.Length > 300 ? "…" : "");
}
