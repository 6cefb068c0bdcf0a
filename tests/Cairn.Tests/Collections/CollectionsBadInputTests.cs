using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// Malformed or mistyped input to the collections routes is a 400 in the error shape (0.2), never a 500,
/// and never a half-applied change.
/// </summary>
public sealed class CollectionsBadInputTests
{
    private static ApiScenario Raw(string name, HttpMethod method, string url, string body, string contentType = "application/json") =>
        new(name, method, url) { RawBody = body, ContentType = contentType, Status = 400, Setup = SeedAsync };

    private static ApiScenario Create(string name, string body, string path, string code = "validation_invalid_value") =>
        new(name, HttpMethod.Post, "/api/collections")
        {
            Body = Obj(body),
            Status = 400,
            Errors = new() { [path] = code },
            Verify = async (server, _) => Assert.Equal(global::Cairn.Collections.SystemCollections.Required().Count(),
                (await server.AsSuperuser(HttpMethod.Get, "/api/collections")).Json!["totalItems"]!.GetValue<int>()), // the system collections only
        };

    private static ApiScenario Update(string name, string body, string path, string code = "validation_invalid_value") =>
        new(name, HttpMethod.Patch, "/api/collections/members")
        {
            Body = Obj(body),
            Status = 400,
            Errors = new() { [path] = code },
            Setup = SeedAsync,
            Verify = async (server, _) =>
            {
                // Unchanged, and still usable for sign-in.
                var members = await server.CollectionAsync("members");
                Assert.Equal("", members["authRule"]!.GetValue<string>());
                Assert.True(members["passwordAuth"]!["enabled"]!.GetValue<bool>());
                var login = await server.SendAsync(HttpMethod.Post, "/api/collections/members/auth-with-password", Obj("""{"identity":"m@example.com","password":"12345678"}"""));
                Assert.Equal(200, login.Status);
            },
        };

    private static async Task SeedAsync(TestServer server)
    {
        await server.CreateCollectionAsync(Obj("""{"name":"members","type":"auth"}"""));
        await server.CreateRecordAsync("members", Obj("""{"email":"m@example.com","password":"12345678","passwordConfirm":"12345678"}"""));
    }

    public static TheoryData<ApiScenario> Scenarios() =>
    [
        Raw("Create_MalformedJson_Returns400", HttpMethod.Post, "/api/collections", """{"name":"posts",""") with { Values = new() { ["data"] = Obj("{}") } },
        Raw("Create_JsonArrayBody_Returns400", HttpMethod.Post, "/api/collections", """[{"name":"posts"}]""") with { Values = new() { ["data"] = Obj("{}") } },
        Raw("Create_JsonStringBody_Returns400", HttpMethod.Post, "/api/collections", "\"posts\""),
        Raw("Create_PlainTextBody_Returns400", HttpMethod.Post, "/api/collections", "name=posts", "text/plain"),
        Raw("Create_TooDeepJson_Returns400", HttpMethod.Post, "/api/collections", "{\"name\":" + new string('[', 100) + new string(']', 100) + "}"),
        Raw("Update_MalformedJson_Returns400", HttpMethod.Patch, "/api/collections/members", "{\"name\":"),
        Raw("Update_JsonArrayBody_Returns400", HttpMethod.Patch, "/api/collections/members", "[]"),
        Raw("Import_MalformedJson_Returns400", HttpMethod.Put, "/api/collections/import", "{\"collections\":[{]}"),
        Raw("Import_JsonArrayBody_Returns400", HttpMethod.Put, "/api/collections/import", """[{"name":"posts"}]"""),
        Raw("Import_EmptyBody_Returns400", HttpMethod.Put, "/api/collections/import", ""),
        new ApiScenario("Create_EmptyBody_Returns400NameRequired", HttpMethod.Post, "/api/collections") { Status = 400, Errors = new() { ["name"] = "validation_required" } },
        new ApiScenario("Create_JsonNullBody_Returns400NameRequired", HttpMethod.Post, "/api/collections") { RawBody = "null", Status = 400, Errors = new() { ["name"] = "validation_required" } },
        new ApiScenario("Create_FormBody_IsReadLikeJson", HttpMethod.Post, "/api/collections")
        {
            RawBody = "name=posts&listRule=", ContentType = "application/x-www-form-urlencoded",
            Values = new() { ["name"] = "posts", ["listRule"] = "" },
        },

        Create("Create_MaxSelectNotANumber_Returns400", """{"name":"posts","fields":[{"name":"tags","type":"select","values":["a"],"maxSelect":"x"}]}""", "fields.1.maxSelect"),
        Create("Create_NumberMinNotANumber_Returns400", """{"name":"posts","fields":[{"name":"n","type":"number","min":"1"}]}""", "fields.1.min"),
        Create("Create_SelectValuesNotStrings_Returns400", """{"name":"posts","fields":[{"name":"tags","type":"select","values":[1,2]}]}""", "fields.1.values"),
        Create("Create_ValuesNotAList_Returns400", """{"name":"posts","fields":[{"name":"tags","type":"select","values":"a,b"}]}""", "fields.1.values"),
        Create("Create_RequiredNotABool_Returns400", """{"name":"posts","fields":[{"name":"title","type":"text","required":"yes"}]}""", "fields.1.required"),
        Create("Create_FieldNameNotAString_Returns400", """{"name":"posts","fields":[{"name":5,"type":"text"}]}""", "fields.1.name"),
        Create("Create_PatternNotAString_Returns400", """{"name":"posts","fields":[{"name":"title","type":"text","pattern":true}]}""", "fields.1.pattern"),
        Create("Create_FieldsNotAList_Returns400", """{"name":"posts","fields":{"name":"title"}}""", "fields"),
        Create("Create_FieldNotAnObject_Returns400", """{"name":"posts","fields":["title"]}""", "fields.1"),
        Create("Create_IndexesNotAList_Returns400", """{"name":"posts","indexes":"CREATE INDEX x ON posts (id)"}""", "indexes"),
        Create("Create_IndexNotAString_Returns400", """{"name":"posts","indexes":[5]}""", "indexes.0", "validation_invalid_index_expression"),
        Create("Create_RuleNotAString_Returns400", """{"name":"posts","listRule":5}""", "listRule"),
        Create("Create_NameNotAString_Returns400", """{"name":5}""", "name", "validation_required"),
        Create("Create_AuthRuleNotAString_Returns400", """{"name":"posts","type":"auth","authRule":5}""", "authRule"),
        Create("Create_ManageRuleNotAString_Returns400", """{"name":"posts","type":"auth","manageRule":["x"]}""", "manageRule"),
        Create("Create_PasswordAuthNotAnObject_Returns400", """{"name":"posts","type":"auth","passwordAuth":"x"}""", "passwordAuth"),
        Create("Create_PasswordAuthEnabledNotABool_Returns400", """{"name":"posts","type":"auth","passwordAuth":{"enabled":"yes"}}""", "passwordAuth.enabled"),
        Create("Create_IdentityFieldsNotStrings_Returns400", """{"name":"posts","type":"auth","passwordAuth":{"identityFields":[1]}}""", "passwordAuth.identityFields"),
        Create("Create_TokenDurationNotANumber_Returns400", """{"name":"posts","type":"auth","authToken":{"duration":"x"}}""", "authToken.duration"),
        Create("Create_TokenOptionNotAnObject_Returns400", """{"name":"posts","type":"auth","authToken":5}""", "authToken"),
        Create("Create_MfaNotAnObject_Returns400", """{"name":"posts","type":"auth","mfa":true}""", "mfa"),
        Create("Create_OtpLengthNotANumber_Returns400", """{"name":"posts","type":"auth","otp":{"length":"8"}}""", "otp.length"),
        Create("Create_TemplateBodyNotAString_Returns400", """{"name":"posts","type":"auth","verificationTemplate":{"body":5}}""", "verificationTemplate.body"),
        Create("Create_OAuth2ProvidersNotAList_Returns400", """{"name":"posts","type":"auth","oauth2":{"providers":{}}}""", "oauth2.providers"),

        Update("Update_AuthRuleNotAString_Returns400", """{"authRule":5}""", "authRule"),
        Update("Update_PasswordAuthNotAnObject_Returns400", """{"passwordAuth":"x"}""", "passwordAuth"),
        Update("Update_PasswordAuthEnabledNotABool_Returns400", """{"passwordAuth":{"enabled":1}}""", "passwordAuth.enabled"),
        Update("Update_TokenDurationNull_Returns400", """{"authToken":{"duration":null}}""", "authToken.duration"),
        Update("Update_MaxSelectNotANumber_Returns400", """{"fields":[{"name":"roles","type":"select","values":["a"],"maxSelect":"x"}]}""", "fields.6.maxSelect"),
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task BadInput_Returns400(ApiScenario scenario) => scenario.RunAsync();
}
