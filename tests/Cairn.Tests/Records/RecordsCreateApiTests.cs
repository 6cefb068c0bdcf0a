using Cairn.Collections;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cairn.Tests.Records;

/// <summary><c>POST /api/collections/{c}/records</c>: 200, supplied ids, and each field type's validation codes (POCKETBASE_API.md 0.2, 3.2).</summary>
public sealed partial class RecordsCreateApiTests
{
    private const string Failed = "Failed to create record.";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex DateLayout();

    [Fact]
    public async Task Create_ValidBody_Is200WithGeneratedIdAndDates()
    {
        await using var server = await TestServer.StartAsync();
        var collection = await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");

        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", TestCollections.Json("""{"title":"hi","unknown":1}"""));

        Assert.Equal(200, response.Status);
        Assert.Matches("^[a-z0-9]{15}$", response.Json.Str("id"));
        Assert.Equal(collection.Str("id"), response.Json.Str("collectionId"));
        Assert.Equal("posts", response.Json.Str("collectionName"));
        Assert.Equal("hi", response.Json.Str("title"));
        Assert.Matches(DateLayout(), response.Json.Str("created"));
        Assert.Matches(DateLayout(), response.Json.Str("updated"));
        Assert.False(response.Json!.AsObject().ContainsKey("unknown"));
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Create_ValidSuppliedId_IsKept()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts");
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", TestCollections.Json("""{"id":"abcdefghij12345"}"""));
        Assert.Equal(200, response.Status);
        Assert.Equal("abcdefghij12345", response.Json.Str("id"));
    }

    [Theory]
    [InlineData("short", "validation_min_text_constraint")]
    [InlineData("abcdefghij123456", "validation_max_text_constraint")]
    [InlineData("ABCDEFGHIJ12345", "validation_invalid_format")]
    [InlineData("abcdefg/ij12345", "validation_invalid_format")]
    [InlineData("abcdefg.ij12345", "validation_invalid_format")]
    public async Task Create_InvalidSuppliedId_Is400(string id, string code)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts");
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", new JsonObject { ["id"] = id });
        response.AssertFieldError(Failed, "id", code);
    }

    [Fact]
    public async Task Create_DuplicateId_IsNotUnique()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts");
        await server.CreateRecordAsync("posts", """{"id":"abcdefghij12345"}""");
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", TestCollections.Json("""{"id":"abcdefghij12345"}"""));
        response.AssertFieldError(Failed, "id", "validation_not_unique");
    }

    private sealed record FieldCase(string Name, string FieldJson, string BodyJson, string Code);

    // One field named "f" per case; the body sets it to a value its options refuse.
    private static readonly FieldCase[] FieldCases =
    [
        new("text required", """{"type":"text","required":true}""", """{}""", "validation_required"),
        new("text min", """{"type":"text","min":3}""", """{"f":"ab"}""", "validation_min_text_constraint"),
        new("text max", """{"type":"text","max":3}""", """{"f":"abcd"}""", "validation_max_text_constraint"),
        new("text default max 5000", """{"type":"text"}""", $$"""{"f":"{{new string('x', 5001)}}"}""", "validation_max_text_constraint"),
        new("text pattern", """{"type":"text","pattern":"^[a-z]+$"}""", """{"f":"ab1"}""", "validation_invalid_format"),
        new("editor required", """{"type":"editor","required":true}""", """{"f":""}""", "validation_required"),
        new("number min", """{"type":"number","min":5}""", """{"f":3}""", "validation_min_number_constraint"),
        new("number max", """{"type":"number","max":10}""", """{"f":11}""", "validation_max_number_constraint"),
        new("number onlyInt", """{"type":"number","onlyInt":true}""", """{"f":1.5}""", "validation_only_int_constraint"),
        new("number required counts 0 as missing", """{"type":"number","required":true}""", """{"f":0}""", "validation_required"),
        new("bool required must be true", """{"type":"bool","required":true}""", """{"f":false}""", "validation_required"),
        new("email format", """{"type":"email"}""", """{"f":"not-an-email"}""", "validation_is_email"),
        new("email onlyDomains", """{"type":"email","onlyDomains":["example.com"]}""", """{"f":"a@other.com"}""", "validation_email_domain_not_allowed"),
        new("email exceptDomains", """{"type":"email","exceptDomains":["example.com"]}""", """{"f":"a@example.com"}""", "validation_email_domain_not_allowed"),
        new("email required", """{"type":"email","required":true}""", """{"f":""}""", "validation_required"),
        new("url format", """{"type":"url"}""", """{"f":"not a url"}""", "validation_invalid_url"),
        new("url onlyDomains", """{"type":"url","onlyDomains":["example.com"]}""", """{"f":"https://other.com/x"}""", "validation_url_domain_not_allowed"),
        new("url exceptDomains", """{"type":"url","exceptDomains":["example.com"]}""", """{"f":"https://example.com/x"}""", "validation_url_domain_not_allowed"),
        new("date min", """{"type":"date","min":"2024-01-01 00:00:00.000Z"}""", """{"f":"2023-06-01 10:00:00.000Z"}""", "validation_min_greater_equal_than_required"),
        new("date max", """{"type":"date","max":"2024-01-01 00:00:00.000Z"}""", """{"f":"2024-06-01T10:00:00Z"}""", "validation_max_less_equal_than_required"),
        new("date required", """{"type":"date","required":true}""", """{"f":""}""", "validation_required"),
        new("select unknown value", """{"type":"select","values":["a","b"]}""", """{"f":"c"}""", "validation_invalid_value"),
        new("select maxSelect", """{"type":"select","values":["a","b","c"],"maxSelect":2}""", """{"f":["a","b","c"]}""", "validation_too_many_values"),
        new("select required", """{"type":"select","values":["a"],"required":true}""", """{}""", "validation_required"),
        new("relation missing ids", """{"type":"relation","collectionId":"SELF","maxSelect":3}""", """{"f":["aaaaaaaaaaaaaaa"]}""", "validation_missing_rel_records"),
        new("relation too many", """{"type":"relation","collectionId":"SELF","maxSelect":2}""", """{"f":["aaaaaaaaaaaaaaa","bbbbbbbbbbbbbbb","ccccccccccccccc"]}""", "validation_too_many_values"),
        new("relation required", """{"type":"relation","collectionId":"SELF","required":true}""", """{}""", "validation_required"),
        new("json maxSize", """{"type":"json","maxSize":10}""", """{"f":{"long":"aaaaaaaaaaaaaaaaaaaa"}}""", "validation_json_size_limit"),
        new("json required", """{"type":"json","required":true}""", """{"f":""}""", "validation_required"),
        new("geoPoint latitude", """{"type":"geoPoint"}""", """{"f":{"lon":10,"lat":91}}""", "validation_invalid_latitude"),
        new("geoPoint longitude", """{"type":"geoPoint"}""", """{"f":{"lon":-181,"lat":0}}""", "validation_invalid_longitude"),
    ];

    public static TheoryData<string> FieldCaseNames() => new(FieldCases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(FieldCaseNames))]
    public async Task Create_InvalidFieldValue_IsFieldError(string name)
    {
        var @case = FieldCases.Single(c => c.Name == name);
        await using var server = await TestServer.StartAsync();
        // Relation cases point at the collection itself; its id is derived from its type and name.
        var field = TestCollections.Json(@case.FieldJson.Replace("SELF", CollectionIds.ForCollection("base", "things")));
        field["name"] = "f";
        await server.CreatePublicAsync("things", new JsonArray(field).ToJsonString());

        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/things/records", TestCollections.Json(@case.BodyJson));

        response.AssertFieldError(Failed, "f", @case.Code);
        var list = await server.AsSuperuser(HttpMethod.Get, "/api/collections/things/records");
        Assert.Equal(0, list.Json!["totalItems"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("\"123\"", "123")]
    [InlineData("\"-1.5\"", "-1.5")]
    [InlineData("\"true\"", "true")]
    [InlineData("\"false\"", "false")]
    [InlineData("\"null\"", "null")]
    [InlineData("\"[1,2]\"", "[1,2]")]
    [InlineData("\"{\\\"a\\\":1}\"", "{\"a\":1}")]
    [InlineData("\"\\\"quoted\\\"\"", "\"quoted\"")]
    [InlineData("\"abc\"", "\"abc\"")]
    [InlineData("\"1abc\"", "\"1abc\"")]
    [InlineData("\"\"", "\"\"")]
    [InlineData("{\"x\":[1,\"2\"]}", "{\"x\":[1,\"2\"]}")]
    [InlineData("7", "7")]
    public async Task Create_JsonField_NormalizesStrings(string input, string stored)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("things", """[{"name":"data","type":"json"}]""");
        var created = await server.SendAsync(HttpMethod.Post, "/api/collections/things/records", TestCollections.Json($$"""{"data":{{input}}}"""));
        Assert.True(created.Status == 200, created.Text);

        var view = await server.SendAsync(HttpMethod.Get, $"/api/collections/things/records/{created.Json.Str("id")}");

        Assert.Equal(stored, view.Json!["data"]?.ToJsonString() ?? "null");
        Assert.Equal(stored, created.Json!["data"]?.ToJsonString() ?? "null");
    }

    [Fact]
    public async Task Create_JsonFieldNeverSet_IsNull()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("things", """[{"name":"data","type":"json"},{"name":"t","type":"text"}]""");
        var created = await server.SendAsync(HttpMethod.Post, "/api/collections/things/records", TestCollections.Json("""{"t":"x"}"""));
        Assert.Equal(200, created.Status);
        Assert.True(created.Json!.AsObject().ContainsKey("data"));
        Assert.Null(created.Json["data"]);
    }

    [Fact]
    public async Task Create_ValidValuesOfEveryType_AreNormalized()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("things", """
            [{"name":"t","type":"text"},{"name":"n","type":"number"},{"name":"b","type":"bool"},{"name":"e","type":"email"},
             {"name":"u","type":"url"},{"name":"d","type":"date"},{"name":"s","type":"select","values":["a","b"]},
             {"name":"m","type":"select","values":["a","b","c"],"maxSelect":3},{"name":"g","type":"geoPoint"}]
            """);
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/things/records", TestCollections.Json("""
            {"t":12,"n":"7","b":"true","e":"a@example.com","u":"https://example.com/x","d":"2024-05-06T07:08:09.123Z",
             "s":["a","b"],"m":["c","a","c"],"g":{"lon":12.5,"lat":-45}}
            """));

        Assert.True(response.Status == 200, response.Text);
        var r = response.Json!;
        Assert.Equal("12", r.Str("t"));
        Assert.Equal(7, r["n"]!.GetValue<double>());
        Assert.True(r["b"]!.GetValue<bool>());
        Assert.Equal("2024-05-06 07:08:09.123Z", r.Str("d"));
        Assert.Equal("b", r.Str("s")); // a single select keeps the last value given
        Assert.Equal("""["c","a"]""", r["m"]!.ToJsonString());
        Assert.Equal("""{"lon":12.5,"lat":-45}""", r["g"]!.ToJsonString());
    }

    [Fact]
    public async Task Create_AutodateInput_IsIgnored()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"title","type":"text"}]""");
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records",
            TestCollections.Json("""{"title":"x","created":"2000-01-01 00:00:00.000Z","updated":"2000-01-01 00:00:00.000Z"}"""));
        Assert.Equal(200, response.Status);
        Assert.DoesNotContain("2000-01-01", response.Json.Str("created"));
        Assert.DoesNotContain("2000-01-01", response.Json.Str("updated"));
    }

    [Fact]
    public async Task Create_UniqueIndexViolation_IsNotUniqueOnThatField()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreatePublicAsync("posts", """[{"name":"slug","type":"text"}]""", indexesJson: """["CREATE UNIQUE INDEX idx_posts_slug ON posts (slug)"]""");
        await server.CreateRecordAsync("posts", """{"slug":"hello"}""");

        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", TestCollections.Json("""{"slug":"hello"}"""));

        response.AssertFieldError(Failed, "slug", "validation_not_unique");
        Assert.Equal("Value must be unique.", response.Json!["data"]!["slug"].Str("message"));
    }

    [Fact]
    public async Task Create_RelationToExistingRecord_Is200()
    {
        await using var server = await TestServer.StartAsync();
        var authors = await server.CreatePublicAsync("authors", """[{"name":"name","type":"text"}]""");
        await server.CreatePublicAsync("posts", $$"""[{"name":"author","type":"relation","collectionId":"{{authors.Str("id")}}"}]""");
        var author = await server.CreateRecordAsync("authors", """{"name":"ann"}""");

        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/records", new JsonObject { ["author"] = author.Str("id") });

        Assert.Equal(200, response.Status);
        Assert.Equal(author.Str("id"), response.Json.Str("author"));
    }

    [Fact]
    public async Task Create_UnknownCollection_Is404()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/nope/records", TestCollections.Json("{}"));
        response.AssertError(404, "Missing or invalid collection context.");
    }
}
