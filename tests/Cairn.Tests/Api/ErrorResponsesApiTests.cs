using System.Net.Http.Headers;
using System.Text;
using Cairn.Tests.Records;

namespace Cairn.Tests.Api;

/// <summary>Every error is the <c>{status, message, data}</c> shape, and nothing a client sends gives a 500 (POCKETBASE_API.md 0.2).</summary>
public sealed class ErrorResponsesApiTests
{
    [Theory]
    [InlineData("GET", "/api/nope")]
    [InlineData("GET", "/nope")]
    [InlineData("POST", "/api/collections/posts/records/abc/extra")]
    [InlineData("GET", "/api/collections/posts/records/")]
    public async Task UnknownRoute_Is404Json(string method, string url)
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(new HttpMethod(method), url);
        response.AssertError(404);
        Assert.Equal("{}", response.Json!["data"]!.ToJsonString());
    }

    [Theory]
    [InlineData("PUT", "/api/health")]
    [InlineData("DELETE", "/api/collections/posts/records")]
    [InlineData("POST", "/api/collections/posts/records/abc")]
    [InlineData("GET", "/api/batch")]
    public async Task WrongMethod_Is405Json(string method, string url)
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(new HttpMethod(method), url);
        response.AssertError(405);
    }

    private sealed record OddInput(string Name, string Method, string Url, string? ContentType, byte[]? Body, Action<HttpRequestMessage>? Configure = null)
    {
        /// <summary>False where Kestrel itself refuses the request line, before Cairn's pipeline can shape the answer.</summary>
        public bool ReachesCairn { get; init; } = true;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    // Requests a client could send by mistake or on purpose; each must get a 2xx or 4xx.
    private static readonly OddInput[] OddInputs =
    [
        new("deeply nested JSON", "POST", "/api/collections/posts/records", "application/json", Utf8(new string('[', 5000) + new string(']', 5000))),
        new("deeply nested object", "POST", "/api/collections/posts/records", "application/json", Utf8("{\"t\":" + new string('[', 100) + new string(']', 100) + "}")),
        new("invalid UTF-8 in JSON", "POST", "/api/collections/posts/records", "application/json", [(byte)'{', (byte)'"', (byte)'t', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}']),
        new("lone surrogate escape", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"title":"\ud800x"}""")),
        new("null byte in text", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"title":"a\u0000b"}""")),
        new("huge number", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"n":1e400,"n+":-1e400}""")),
        new("huge number modifier", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"n+":1e308}""")),
        new("wrong types everywhere", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"id":[1],"title":{"a":1},"n":"x","tags":{"a":1},"tags+":[[1]],"rel":{"x":1},"when":[],"loc":"here","data":{"deep":[{}]}}""")),
        new("modifier-only keys", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"+":1,"-":1,":autogenerate":"x","+title":1,"title:autogenerate":"x",":":1}""")),
        new("geoPoint with strings", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"loc":{"lon":"a","lat":{"x":1}}}""")),
        new("date far out of range", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"when":"99999-01-01 00:00:00Z"}""")),
        new("id with path characters", "POST", "/api/collections/posts/records", "application/json", Utf8("""{"id":"../../../etc/pa"}""")),
        new("multipart without boundary", "POST", "/api/collections/posts/records", "multipart/form-data", Utf8("--x\r\n\r\n")),
        new("multipart garbage", "POST", "/api/collections/posts/records", "multipart/form-data; boundary=zz", Utf8("not multipart at all")),
        new("urlencoded garbage", "POST", "/api/collections/posts/records", "application/x-www-form-urlencoded", Utf8("%%%&&&===&a=%zz&title=%E0%A4%A")),
        new("json content type with charset", "POST", "/api/collections/posts/records", "application/json; charset=latin1", Utf8("""{"title":"x"}""")),
        new("page overflow", "GET", "/api/collections/posts/records?page=2147483647&perPage=1000", null, null),
        new("page too big for int", "GET", "/api/collections/posts/records?page=99999999999", null, null),
        new("odd sort", "GET", "/api/collections/posts/records?sort=--title,+,-,@,%00", null, null),
        new("sort by a SQL fragment", "GET", "/api/collections/posts/records?sort=title;DROP TABLE posts", null, null),
        new("odd fields", "GET", "/api/collections/posts/records?fields=:excerpt(,items.*.*,title:excerpt(99999999999999),title:excerpt(-1)", null, null),
        new("excerpt splitting an emoji", "GET", "/api/collections/posts/records?fields=title:excerpt(1,true),body:excerpt(2)", null, null),
        new("filter", "GET", "/api/collections/posts/records?filter=title='x'", null, null),
        new("skipTotal garbage", "GET", "/api/collections/posts/records?skipTotal=maybe", null, null),
        new("odd record id", "GET", "/api/collections/posts/records/%ff%2F..%20%22", null, null),
        new("null byte in path", "GET", "/api/collections/posts/records/%00", null, null) { ReachesCairn = false },
        new("very long record id", "GET", "/api/collections/posts/records/" + new string('a', 5000), null, null),
        new("odd collection name", "GET", "/api/collections/%22%3B--/records", null, null),
        new("If-Match garbage", "PATCH", "/api/collections/posts/records/aaaaaaaaaaaaaaa", "application/json", Utf8("{}"), r => r.Headers.TryAddWithoutValidation("If-Match", "\"\",,,W/\"x")),
        new("If-None-Match garbage", "GET", "/api/collections/posts/records/aaaaaaaaaaaaaaa", null, null, r => r.Headers.TryAddWithoutValidation("If-None-Match", ",,\"")),
        new("Authorization garbage", "GET", "/api/collections/posts/records", null, null, r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer a.b.c")),
        new("Authorization with a JSON-less JWT", "GET", "/api/collections/posts/records", null, null, r => r.Headers.TryAddWithoutValidation("Authorization", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln")),
        new("Authorization with odd claims", "GET", "/api/collections/posts/records", null, null, r => r.Headers.TryAddWithoutValidation("Authorization",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + Convert.ToBase64String(Utf8("""{"id":1,"collectionId":["x"],"type":"auth","exp":"soon"}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".c2ln")),
        new("Authorization alg none", "POST", "/api/collections/_superusers/auth-refresh", null, null, r => r.Headers.TryAddWithoutValidation("Authorization",
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + Convert.ToBase64String(Utf8("""{"id":"x","collectionId":"pbc_3142635823","type":"auth","exp":99999999999}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".")),
        new("auth with non-string identity", "POST", "/api/collections/_superusers/auth-with-password", "application/json", Utf8("""{"identity":{"a":1},"password":[1],"identityField":7}""")),
        new("auth on a base collection", "POST", "/api/collections/posts/auth-with-password", "application/json", Utf8("""{"identity":"a","password":"b"}""")),
        new("batch of junk", "POST", "/api/batch", "application/json", Utf8("""{"requests":[1,"x",null,{"method":7,"url":{}}]}""")),
        new("batch requests not an array", "POST", "/api/batch", "application/json", Utf8("""{"requests":{"0":{}}}""")),
        new("batch with odd urls", "POST", "/api/batch", "application/json", Utf8("""{"requests":[{"method":"POST","url":"/api/collections/%zz/records?%%=&fields=:excerpt("}]}""")),
        new("batch body not an object", "POST", "/api/batch", "application/json", Utf8("""{"requests":[{"method":"POST","url":"/api/collections/posts/records","body":[1,2]}]}""")),
        new("batch upsert with odd id", "POST", "/api/batch", "application/json", Utf8("""{"requests":[{"method":"PUT","url":"/api/collections/posts/records","body":{"id":{"x":1}}}]}""")),
    ];

    public static TheoryData<string> OddInputNames() => new(OddInputs.Select(i => i.Name));

    [Theory]
    [MemberData(nameof(OddInputNames))]
    public async Task OddInput_NeverGives500(string name)
    {
        var input = OddInputs.Single(i => i.Name == name);
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """
            [{"name":"title","type":"text"},{"name":"n","type":"number"},{"name":"body","type":"editor"},
             {"name":"tags","type":"select","values":["a","b"],"maxSelect":2},{"name":"when","type":"date"},
             {"name":"loc","type":"geoPoint"},{"name":"data","type":"json"},
             {"name":"rel","type":"relation","collectionId":"pbc_3142635823"}]
            """);
        await server.CreateRecordAsync("posts", """{"title":"😀😀😀","body":"<p>😀😀</p>"}""");

        var response = await server.SendAsync(new HttpMethod(input.Method), input.Url, token: null, configure: r =>
        {
            if (input.Body is not null)
            {
                r.Content = new ByteArrayContent(input.Body);
                if (input.ContentType is not null) r.Content.Headers.TryAddWithoutValidation("Content-Type", input.ContentType);
            }
            input.Configure?.Invoke(r);
        });

        Assert.True(response.Status is >= 200 and < 500, $"{name}: {response.Status} {response.Text}");
        if (response.Status >= 400 && input.ReachesCairn) response.AssertError(response.Status);
        var health = await server.SendAsync(HttpMethod.Get, "/api/health");
        Assert.Equal(200, health.Status);
    }

    [Fact]
    public async Task Error_NeverLeaksInternals()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/nope/records");
        Assert.DoesNotContain("Exception", response.Text);
        Assert.DoesNotContain("SELECT", response.Text);
    }
}
