using System.Text.Json.Nodes;
using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// Every field type of POCKETBASE_API.md 3.2 round-trips its options through create and view, gets the
/// id <c>&lt;type&gt;&lt;crc32(name)&gt;</c>, and fills in the options a body leaves out with their defaults.
/// </summary>
public sealed class FieldTypesTests
{
    // type, options sent (besides name and type), the full option set expected back; a type's second row leaves options out
    private static readonly (string Type, string Sent, string Expected)[] Types =
    [
        ("text", """{"min":2,"max":50,"pattern":"^[a-z ]+$","autogeneratePattern":"[a-z]{5}","required":true,"presentable":true,"help":"A title"}""",
                 """{"min":2,"max":50,"pattern":"^[a-z ]+$","autogeneratePattern":"[a-z]{5}","primaryKey":false,"required":true,"presentable":true,"help":"A title","hidden":false,"system":false}"""),
        ("editor", """{"maxSize":1000,"convertURLs":true}""", """{"maxSize":1000,"convertURLs":true,"required":false}"""),
        ("number", """{"min":-5,"max":10.5,"onlyInt":true,"hidden":true}""", """{"min":-5,"max":10.5,"onlyInt":true,"hidden":true}"""),
        ("number", """{}""", """{"min":null,"max":null,"onlyInt":false}"""),
        ("bool", """{"required":true}""", """{"required":true}"""),
        ("email", """{"onlyDomains":["example.com","example.org"]}""", """{"onlyDomains":["example.com","example.org"],"exceptDomains":null}"""),
        ("url", """{"exceptDomains":["bad.example"]}""", """{"exceptDomains":["bad.example"],"onlyDomains":null}"""),
        ("date", """{"min":"2024-01-01 00:00:00.000Z","max":"2030-12-31 23:59:59.999Z"}""", """{"min":"2024-01-01 00:00:00.000Z","max":"2030-12-31 23:59:59.999Z"}"""),
        ("autodate", """{"onCreate":false,"onUpdate":true}""", """{"onCreate":false,"onUpdate":true}"""),
        ("select", """{"values":["draft","published","archived"],"maxSelect":2}""", """{"values":["draft","published","archived"],"maxSelect":2,"required":false}"""),
        ("select", """{"values":["a"]}""", """{"values":["a"],"maxSelect":1}"""),
        ("file", """{"maxSelect":3,"maxSize":1048576,"mimeTypes":["image/png","image/jpeg"],"thumbs":["100x100","50x50t","0x200"],"protected":true}""",
                 """{"maxSelect":3,"maxSize":1048576,"mimeTypes":["image/png","image/jpeg"],"thumbs":["100x100","50x50t","0x200"],"protected":true}"""),
        ("relation", """{"collectionId":"pbc_3142635823","cascadeDelete":true,"minSelect":1,"maxSelect":5}""",
                     """{"collectionId":"pbc_3142635823","cascadeDelete":true,"minSelect":1,"maxSelect":5}"""),
        ("json", """{"maxSize":2048}""", """{"maxSize":2048}"""),
        ("geoPoint", """{"presentable":true}""", """{"presentable":true}"""),
        ("password", """{"min":10,"max":50,"pattern":"^\\S+$","cost":12}""", """{"min":10,"max":50,"pattern":"^\\S+$","cost":12}"""),
    ];

    public static TheoryData<ApiScenario> Scenarios()
    {
        var data = new TheoryData<ApiScenario>();
        var seen = new HashSet<string>();
        foreach (var (type, sent, expected) in Types)
        {
            var field = Obj(sent);
            field["name"] = "f_" + type;
            field["type"] = type;
            var values = new Dictionary<string, object?> { ["fields.1.id"] = FieldId(type, "f_" + type), ["fields.1.type"] = type };
            foreach (var (key, value) in Obj(expected)) values["fields.1." + key] = value?.DeepClone();
            data.Add(new ApiScenario($"Create_{type}{(seen.Add(type) ? "" : "Defaults")}_OptionsRoundTrip", HttpMethod.Post, "/api/collections")
            {
                Body = new JsonObject { ["name"] = "things", ["fields"] = new JsonArray(field) },
                Values = values,
                Verify = async (server, response) =>
                {
                    // What a later read returns is what the create answered.
                    var stored = await server.CollectionAsync("things");
                    Assert.Equal(response.Json!["fields"]!.ToJsonString(), stored["fields"]!.ToJsonString());
                    Assert.Contains("f_" + type, await server.ColumnsAsync("things"));
                },
            });
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Create_FieldType_OptionsRoundTrip(ApiScenario scenario) => scenario.RunAsync();

    [Fact]
    public async Task Autodate_HasNoRequiredKey()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.CreateCollectionAsync(Obj("""{"name":"posts"}"""));
        var autodate = created["fields"]!.AsArray().First(f => f!["type"]!.GetValue<string>() == "autodate")!.AsObject();
        Assert.False(autodate.ContainsKey("required"));
    }

    [Fact]
    public async Task Update_FieldOptions_RoundTrip()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"status","type":"select","values":["a","b"]},{"name":"n","type":"number"}]}"""));
        var response = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/posts",
            Obj("""{"fields":[{"name":"status","type":"select","values":["a","b","c"],"help":"pick"},{"name":"n","type":"number","min":1,"max":null}]}"""));
        Assert.True(response.Status == 200, response.Text);
        var stored = await server.CollectionAsync("posts");
        Assert.Equal("""["a","b","c"]""", stored["fields"]![1]!["values"]!.ToJsonString());
        Assert.Equal("pick", stored["fields"]![1]!["help"]!.GetValue<string>());
        Assert.Equal(FieldId("select", "status"), stored["fields"]![1]!["id"]!.GetValue<string>());
        Assert.Equal(1, stored["fields"]![2]!["min"]!.GetValue<int>());
        Assert.Null(stored["fields"]![2]!["max"]);
    }
}
