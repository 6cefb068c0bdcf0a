using System.Text.Json.Nodes;
using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary>
/// <c>POST /api/collections</c>: the body is merged over the type's scaffold (POCKETBASE_API.md 1.6, 3.1, 3.3),
/// and every invalid model is a 400 with per-field codes that leaves no collection and no table behind.
/// </summary>
public sealed class CreateCollectionTests
{
    private static ApiScenario Create(string name, string body) =>
        new(name, HttpMethod.Post, "/api/collections") { Body = Obj(body) };

    /// <summary>A refused create: 400, the code at the path, and nothing saved under <paramref name="collection"/>.</summary>
    private static ApiScenario Invalid(string name, string body, string path, string code, string collection = "posts") =>
        Create(name, body) with
        {
            Status = 400,
            Values = new() { ["message"] = "Failed to create collection." },
            Errors = new() { [path] = code },
            Verify = async (server, _) =>
            {
                await server.AssertNoCollectionAsync(CollectionId("base", collection));
                Assert.False(await server.TableExistsAsync(collection));
            },
        };

    public static TheoryData<ApiScenario> Defaults() =>
    [
        Create("Create_BaseMinimal_AddsIdAndAutodateFields", """{"name":"posts"}""") with
        {
            Values = new()
            {
                ["id"] = CollectionId("base", "posts"), ["name"] = "posts", ["type"] = "base", ["system"] = false,
                ["listRule"] = null, ["viewRule"] = null, ["createRule"] = null, ["updateRule"] = null, ["deleteRule"] = null,
                ["fields.#"] = 3, ["indexes.#"] = 0,
                ["fields.0"] = Obj("""
                    {"id":"text3208210256","name":"id","type":"text","system":true,"hidden":false,"presentable":false,"required":true,
                     "min":15,"max":15,"pattern":"^[a-z0-9]+$","autogeneratePattern":"[a-z0-9]{15}","primaryKey":true,"help":""}
                    """),
                ["fields.1"] = Obj("""
                    {"id":"autodate2990389176","name":"created","type":"autodate","system":false,"hidden":false,"presentable":false,
                     "onCreate":true,"onUpdate":false,"help":""}
                    """),
                ["fields.2.id"] = "autodate3332085495", ["fields.2.name"] = "updated", ["fields.2.onCreate"] = true, ["fields.2.onUpdate"] = true,
            },
            Verify = async (server, response) =>
            {
                Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$", response.Json!["created"]!.GetValue<string>());
                Assert.Equal(response.Json["created"]!.GetValue<string>(), response.Json["updated"]!.GetValue<string>());
                Assert.Equal(["id", global::Cairn.Records.RecordsColumns.Version, "created", "updated"], await server.ColumnsAsync("posts"));
                Assert.Equal(response.Json.ToJsonString(), (await server.CollectionAsync("posts")).ToJsonString());
            },
        },
        Create("Create_WithoutType_IsBase", """{"name":"notes","fields":[{"name":"body","type":"editor"}]}""") with
        {
            Values = new() { ["type"] = "base", ["fields.1.name"] = "body", ["fields.1.id"] = FieldId("editor", "body"), ["fields.#"] = 4 },
        },
        Create("Create_FieldIds_AreTypePlusCrc32OfName", """{"name":"posts","fields":[{"name":"title","type":"text"},{"name":"views","type":"number"}]}""") with
        {
            Values = new() { ["fields.1.id"] = FieldId("text", "title"), ["fields.2.id"] = FieldId("number", "views") },
        },
        Create("Create_ExplicitFieldId_IsKept", """{"name":"posts","fields":[{"id":"myfield1","name":"title","type":"text"}]}""") with
        {
            Values = new() { ["fields.1.id"] = "myfield1" },
        },
        Create("Create_ExplicitCollectionId_IsKept", """{"id":"posts_custom_id","name":"posts"}""") with
        {
            Values = new() { ["id"] = "posts_custom_id" },
            Verify = async (server, _) => Assert.Equal("posts", (await server.CollectionAsync("posts_custom_id"))["name"]!.GetValue<string>()),
        },
        Create("Create_ServerOwnedKeys_AreIgnored", """{"name":"posts","system":true,"created":"2000-01-01 00:00:00.000Z"}""") with
        {
            Values = new() { ["system"] = false },
            Verify = (_, response) =>
            {
                Assert.NotEqual("2000-01-01 00:00:00.000Z", response.Json!["created"]!.GetValue<string>());
                return Task.CompletedTask;
            },
        },
        Create("Create_PublicRules_AreKept", """{"name":"posts","listRule":"","viewRule":"","createRule":"","updateRule":"","deleteRule":""}""") with
        {
            Values = new() { ["listRule"] = "", ["viewRule"] = "", ["createRule"] = "", ["updateRule"] = "", ["deleteRule"] = "" },
            Verify = async (server, _) => Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, "/api/collections/posts/records")).Status),
        },
        Create("Create_OwnFieldNamedUpdated_KeepsItAndAddsOnlyCreated", """{"name":"posts","fields":[{"name":"updated","type":"text"}]}""") with
        {
            Values = new() { ["fields.#"] = 3, ["fields.1.name"] = "updated", ["fields.1.type"] = "text", ["fields.2.name"] = "created", ["fields.2.type"] = "autodate" },
        },
        Create("Create_Auth_AddsAuthFieldsIndexesAndDefaults", """{"name":"members","type":"auth"}""") with
        {
            Values = new()
            {
                ["id"] = CollectionId("auth", "members"), ["type"] = "auth", ["fields.#"] = 8,
                ["fields.1.name"] = "password", ["fields.1.type"] = "password", ["fields.1.hidden"] = true, ["fields.1.system"] = true, ["fields.1.required"] = true, ["fields.1.min"] = 8,
                ["fields.2.name"] = "tokenKey", ["fields.2.hidden"] = true, ["fields.2.min"] = 30, ["fields.2.max"] = 60, ["fields.2.autogeneratePattern"] = "[a-zA-Z0-9]{50}",
                ["fields.3.name"] = "email", ["fields.3.type"] = "email", ["fields.3.system"] = true, ["fields.3.required"] = true,
                ["fields.4.name"] = "emailVisibility", ["fields.4.type"] = "bool", ["fields.5.name"] = "verified", ["fields.5.type"] = "bool",
                ["fields.6.name"] = "created", ["fields.7.name"] = "updated",
                ["authRule"] = "", ["manageRule"] = null, ["passwordAuth"] = Obj("""{"enabled":true,"identityFields":["email"]}"""),
                ["authToken"] = Obj("""{"duration":432000}"""), ["fileToken"] = Obj("""{"duration":180}"""),
                ["indexes"] = new JsonArray(
                    $"CREATE UNIQUE INDEX `idx_tokenKey_{CollectionId("auth", "members")}` ON `members` (`tokenKey`)",
                    $"CREATE UNIQUE INDEX `idx_email_{CollectionId("auth", "members")}` ON `members` (`email`) WHERE `email` != ''"),
            },
            NotContains = ["\"secret\"", "clientSecret"],
            Verify = async (server, _) =>
            {
                Assert.Equal([$"idx_email_{CollectionId("auth", "members")}", $"idx_tokenKey_{CollectionId("auth", "members")}"], await server.SqlIndexesAsync("members"));
                // The default options work: a record signs in with its password and the token authenticates.
                await server.CreateRecordAsync("members", Obj("""{"email":"m@example.com","password":"12345678","passwordConfirm":"12345678"}"""));
                var auth = await server.SendAsync(HttpMethod.Post, "/api/collections/members/auth-with-password", Obj("""{"identity":"m@example.com","password":"12345678"}"""));
                Assert.Equal(200, auth.Status);
                var refresh = await server.SendAsync(HttpMethod.Post, "/api/collections/members/auth-refresh", token: auth.Json!["token"]!.GetValue<string>());
                Assert.Equal(200, refresh.Status);
            },
        },
        Create("Create_AuthOptions_AreMergedOverDefaults", """{"name":"members","type":"auth","authToken":{"duration":3600},"passwordAuth":{"enabled":false},"manageRule":null}""") with
        {
            Values = new() { ["authToken.duration"] = 3600, ["passwordAuth"] = Obj("""{"enabled":false,"identityFields":["email"]}"""), ["verificationToken.duration"] = 86400 },
            NotContains = ["\"secret\""],
        },
        Create("Create_AuthWithOwnEmailIndex_DoesNotDuplicateIt", """{"name":"members","type":"auth","indexes":["CREATE UNIQUE INDEX idx_member_email ON members (email)"]}""") with
        {
            Values = new() { ["indexes.#"] = 2, ["indexes.0"] = "CREATE UNIQUE INDEX `idx_member_email` ON `members` (`email`)" },
        },
        Create("Create_UniqueIndex_IsCreatedInTheTable", """{"name":"posts","fields":[{"name":"slug","type":"text"}],"indexes":["CREATE UNIQUE INDEX idx_slug ON posts (slug)"]}""") with
        {
            Values = new() { ["indexes.0"] = "CREATE UNIQUE INDEX `idx_slug` ON `posts` (`slug`)" },
            Verify = async (server, _) =>
            {
                Assert.Equal(["idx_slug"], await server.SqlIndexesAsync("posts"));
                await server.CreateRecordAsync("posts", Obj("""{"slug":"a"}"""));
                var duplicate = await server.AsSuperuser(HttpMethod.Post, "/api/collections/posts/records", Obj("""{"slug":"a"}"""));
                Assert.Equal("validation_not_unique", duplicate.Json!["data"]!["slug"]!["code"]!.GetValue<string>());
            },
        },
        Create("Create_SelfRelation_IsAllowed", $$"""{"name":"nodes","fields":[{"name":"parent","type":"relation","collectionId":"{{CollectionId("base", "nodes")}}"}]}""") with
        {
            Values = new() { ["fields.1.collectionId"] = CollectionId("base", "nodes") },
        },
    ];

    public static TheoryData<ApiScenario> Validation() =>
    [
        Invalid("Create_BlankName_Returns400Required", """{"name":""}""", "name", "validation_required", collection: ""),
        Invalid("Create_MissingName_Returns400Required", """{}""", "name", "validation_required", collection: ""),
        Invalid("Create_NameWithSpace_Returns400InvalidName", """{"name":"my posts"}""", "name", "validation_invalid_name", collection: "my posts"),
        Invalid("Create_NameWithDash_Returns400InvalidName", """{"name":"my-posts"}""", "name", "validation_invalid_name", collection: "my-posts"),
        Invalid("Create_UnderscorePrefix_Returns400InvalidName", """{"name":"_posts"}""", "name", "validation_invalid_name", collection: "_posts"),
        Invalid("Create_SqliteReservedPrefix_Returns400InvalidName", """{"name":"sqlite_x"}""", "name", "validation_invalid_name", collection: "sqlite_x"),
        Invalid("Create_NameTooLong_Returns400", $$"""{"name":"{{new string('a', 256)}}"}""", "name", "validation_length_out_of_range", collection: new string('a', 256)),
        Create("Create_DuplicateName_Returns400WithCode", """{"name":"Posts"}""") with
        {
            Setup = server => server.CreateCollectionAsync(Obj("""{"name":"posts"}""")),
            Status = 400,
            Errors = new() { ["name"] = "validation_collection_name_exists" },
            Verify = async (server, _) => await server.AssertNoCollectionAsync(CollectionId("base", "Posts")),
        },
        Create("Create_NameOfSystemCollection_Returns400", """{"name":"_superusers","type":"auth"}""") with
        {
            Status = 400, Errors = new() { ["name"] = "validation_invalid_name" },
        },
        Create("Create_DuplicateId_Returns400WithCode", """{"id":"shared_id","name":"second"}""") with
        {
            Setup = server => server.CreateCollectionAsync(Obj("""{"id":"shared_id","name":"first"}""")),
            Status = 400,
            Errors = new() { ["id"] = "validation_collection_id_exists" },
        },
        Invalid("Create_InvalidId_Returns400", """{"id":"bad id!","name":"posts"}""", "id", "validation_invalid_id"),
        Invalid("Create_UnknownType_Returns400", """{"name":"posts","type":"table"}""", "type", "validation_invalid_value"),

        Invalid("Create_FieldNamedExpand_Returns400Reserved", """{"name":"posts","fields":[{"name":"expand","type":"text"}]}""", "fields.1.name", "validation_not_in_invalid_names"),
        Invalid("Create_FieldNamedCollectionId_Returns400Reserved", """{"name":"posts","fields":[{"name":"collectionId","type":"text"}]}""", "fields.1.name", "validation_not_in_invalid_names"),
        Invalid("Create_FieldNamedCollectionName_Returns400Reserved", """{"name":"posts","fields":[{"name":"collectionName","type":"text"}]}""", "fields.1.name", "validation_not_in_invalid_names"),
        Invalid("Create_FieldNameWithVia_Returns400Reserved", """{"name":"posts","fields":[{"name":"author_via_posts","type":"text"}]}""", "fields.1.name", "validation_not_in_invalid_names"),
        Invalid("Create_FieldNamedNull_Returns400Reserved", """{"name":"posts","fields":[{"name":"null","type":"text"}]}""", "fields.1.name", "validation_not_in_invalid_names"),
        Invalid("Create_AuthFieldNamedPasswordConfirm_Returns400Reserved", """{"name":"posts","type":"auth","fields":[{"name":"passwordConfirm","type":"text"}]}""", "fields.6.name", "validation_not_in_invalid_names"),
        Invalid("Create_AuthFieldNamedOldPassword_Returns400Reserved", """{"name":"posts","type":"auth","fields":[{"name":"oldPassword","type":"text"}]}""", "fields.6.name", "validation_not_in_invalid_names"),
        Invalid("Create_BlankFieldName_Returns400Required", """{"name":"posts","fields":[{"name":"","type":"text"}]}""", "fields.1.name", "validation_required"),
        Invalid("Create_InvalidFieldName_Returns400", """{"name":"posts","fields":[{"name":"my title","type":"text"}]}""", "fields.1.name", "validation_invalid_name"),
        Invalid("Create_DuplicateFieldNamesIgnoringCase_Returns400", """{"name":"posts","fields":[{"name":"title","type":"text"},{"name":"Title","type":"text"}]}""", "fields.2.name", "validation_duplicated_field_name"),
        Invalid("Create_DuplicateFieldIds_Returns400", """{"name":"posts","fields":[{"id":"f1","name":"a","type":"text"},{"id":"f1","name":"b","type":"text"}]}""", "fields.2.id", "validation_duplicated_field_id"),
        Invalid("Create_UnknownFieldType_Returns400", """{"name":"posts","fields":[{"name":"title","type":"color"}]}""", "fields.1.type", "validation_invalid_value"),
        Invalid("Create_BadRegexPattern_Returns400", """{"name":"posts","fields":[{"name":"title","type":"text","pattern":"([a-z"}]}""", "fields.1.pattern", "validation_invalid_regex"),
        Invalid("Create_BadAutogeneratePattern_Returns400", """{"name":"posts","fields":[{"name":"title","type":"text","autogeneratePattern":"[a-z"}]}""", "fields.1.autogeneratePattern", "validation_invalid_regex"),
        Invalid("Create_TextMinOverMax_Returns400", """{"name":"posts","fields":[{"name":"title","type":"text","min":10,"max":5}]}""", "fields.1.max", "validation_min_greater_equal_than_required"),
        Invalid("Create_PrimaryKeyOnOtherField_Returns400", """{"name":"posts","fields":[{"name":"title","type":"text","primaryKey":true}]}""", "fields.1.primaryKey", "validation_invalid_value"),
        Invalid("Create_NumberMinOverMax_Returns400", """{"name":"posts","fields":[{"name":"n","type":"number","min":10,"max":1}]}""", "fields.1.max", "validation_min_greater_equal_than_required"),
        Invalid("Create_InvalidDateMin_Returns400", """{"name":"posts","fields":[{"name":"d","type":"date","min":"yesterday"}]}""", "fields.1.min", "validation_invalid_date"),
        Invalid("Create_SelectWithoutValues_Returns400", """{"name":"posts","fields":[{"name":"status","type":"select"}]}""", "fields.1.values", "validation_required"),
        Invalid("Create_SelectDuplicateValues_Returns400", """{"name":"posts","fields":[{"name":"status","type":"select","values":["a","a"]}]}""", "fields.1.values", "validation_duplicated_values"),
        Invalid("Create_SelectMaxSelectOverValues_Returns400", """{"name":"posts","fields":[{"name":"status","type":"select","values":["a","b"],"maxSelect":3}]}""", "fields.1.maxSelect", "validation_max_less_equal_than_required"),
        Invalid("Create_RelationToMissingCollection_Returns400", """{"name":"posts","fields":[{"name":"author","type":"relation","collectionId":"pbc_missing"}]}""", "fields.1.collectionId", "validation_missing_collection"),
        Invalid("Create_RelationWithoutCollection_Returns400", """{"name":"posts","fields":[{"name":"author","type":"relation"}]}""", "fields.1.collectionId", "validation_required"),
        Invalid("Create_RelationMinOverMax_Returns400", """{"name":"posts","fields":[{"name":"tags","type":"relation","collectionId":"pbc_3142635823","minSelect":5,"maxSelect":2}]}""", "fields.1.maxSelect", "validation_min_greater_equal_than_required"),
        Invalid("Create_FileBadThumb_Returns400", """{"name":"posts","fields":[{"name":"image","type":"file","thumbs":["big"]}]}""", "fields.1.thumbs", "validation_invalid_thumb_format"),
        Invalid("Create_NegativeMaxSize_Returns400", """{"name":"posts","fields":[{"name":"data","type":"json","maxSize":-1}]}""", "fields.1.maxSize", "validation_min_greater_equal_than_required"),
        Invalid("Create_AutodateWithoutTriggers_Returns400", """{"name":"posts","fields":[{"name":"stamp","type":"autodate","onCreate":false,"onUpdate":false}]}""", "fields.1.onCreate", "validation_required"),
        Invalid("Create_PasswordMaxOver71_Returns400", """{"name":"posts","fields":[{"name":"secret","type":"password","max":100}]}""", "fields.1.max", "validation_max_less_equal_than_required"),
        Invalid("Create_PasswordBadCost_Returns400", """{"name":"posts","fields":[{"name":"secret","type":"password","cost":50}]}""", "fields.1.cost", "validation_invalid_value"),

        Invalid("Create_IndexNotSql_Returns400", """{"name":"posts","indexes":["DROP TABLE _superusers"]}""", "indexes.0", "validation_invalid_index_expression"),
        Invalid("Create_IndexWithTrailingStatement_Returns400", """{"name":"posts","fields":[{"name":"t","type":"text"}],"indexes":["CREATE INDEX idx_t ON posts (t); DROP TABLE _superusers"]}""", "indexes.0", "validation_invalid_index_expression"),
        Invalid("Create_IndexOnUnknownColumn_Returns400", """{"name":"posts","indexes":["CREATE INDEX idx_t ON posts (title)"]}""", "indexes.0", "validation_invalid_index_column"),
        Invalid("Create_DuplicateIndexNames_Returns400", """{"name":"posts","fields":[{"name":"t","type":"text"}],"indexes":["CREATE INDEX idx_t ON posts (t)","CREATE INDEX idx_t ON posts (id)"]}""", "indexes.1", "validation_duplicated_index_name"),
        Create("Create_IndexNameOfAnotherCollection_Returns400", """{"name":"posts","fields":[{"name":"t","type":"text"}],"indexes":["CREATE INDEX idx_shared ON posts (t)"]}""") with
        {
            Setup = server => server.CreateCollectionAsync(Obj("""{"name":"other","fields":[{"name":"t","type":"text"}],"indexes":["CREATE INDEX idx_shared ON other (t)"]}""")),
            Status = 400,
            Errors = new() { ["indexes.0"] = "validation_existing_index_name" },
        },

        Create("Create_RuleExpressions_AreSavedWhenTheyCompile", """{"name":"posts","fields":[{"name":"title","type":"text"}],"listRule":"id != ''","viewRule":"title ~ 'x' && @request.auth.id != ''","deleteRule":"@request.auth.id != ''"}""") with
        {
            Values = new() { ["listRule"] = "id != ''", ["deleteRule"] = "@request.auth.id != ''" },
        },
        Create("Create_AuthRuleExpression_IsSaved", """{"name":"members","type":"auth","authRule":"verified = true","manageRule":"@request.auth.id = id"}""") with
        {
            Values = new() { ["authRule"] = "verified = true", ["manageRule"] = "@request.auth.id = id" },
        },
        Invalid("Create_RuleWithUnknownField_Returns400", """{"name":"posts","listRule":"nope = 1"}""", "listRule", "validation_invalid_rule"),
        Invalid("Create_RuleWithSyntaxError_Returns400", """{"name":"posts","deleteRule":"id = "}""", "deleteRule", "validation_invalid_rule"),
        Invalid("Create_RuleWithUnknownCollection_Returns400", """{"name":"posts","viewRule":"@collection.nope.id != ''"}""", "viewRule", "validation_invalid_rule"),
        Invalid("Create_AuthRuleWithUnknownField_Returns400", """{"name":"posts","type":"auth","authRule":"nope = true"}""", "authRule", "validation_invalid_rule"),
        Invalid("Create_EmptyManageRule_Returns400", """{"name":"posts","type":"auth","manageRule":""}""", "manageRule", "validation_invalid_rule"),
        Invalid("Create_IdentityFieldWithoutUniqueIndex_Returns400", """{"name":"posts","type":"auth","fields":[{"name":"username","type":"text"}],"passwordAuth":{"identityFields":["email","username"]}}""", "passwordAuth.identityFields", "validation_missing_unique_constraint"),
        Invalid("Create_TokenDurationTooShort_Returns400", """{"name":"posts","type":"auth","authToken":{"duration":5}}""", "authToken.duration", "validation_out_of_range"),
        Invalid("Create_TokenSecretTooShort_Returns400", """{"name":"posts","type":"auth","fileToken":{"secret":"short"}}""", "fileToken.secret", "validation_length_out_of_range"),
    ];

    [Theory]
    [MemberData(nameof(Defaults))]
    public Task Create_Defaults(ApiScenario scenario) => scenario.RunAsync();

    [Theory]
    [MemberData(nameof(Validation))]
    public Task Create_Invalid_Returns400WithCode(ApiScenario scenario) => scenario.RunAsync();

    [Fact]
    public async Task Create_FromAuthScaffold_LikeTheDashboard_Succeeds()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var name in new[] { "members", "staff" })
        {
            var scaffold = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/meta/scaffolds")).Json!["auth"]!.AsObject();
            scaffold["name"] = name;
            var created = await server.AsSuperuser(HttpMethod.Post, "/api/collections", scaffold);
            Assert.True(created.Status == 200, created.Text);
            Assert.Equal(CollectionId("auth", name), created.Json!["id"]!.GetValue<string>());
            Assert.Equal(2, created.Json["indexes"]!.AsArray().Count);
            Assert.Equal(2, (await server.SqlIndexesAsync(name)).Count);
        }
    }

    [Fact]
    public async Task Create_FromBaseScaffold_LikeTheDashboard_Succeeds()
    {
        await using var server = await TestServer.StartAsync();
        var scaffold = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/meta/scaffolds")).Json!["base"]!.AsObject();
        scaffold["name"] = "posts";
        scaffold["fields"]!.AsArray().Add(Obj("""{"name":"title","type":"text"}"""));
        var created = await server.AsSuperuser(HttpMethod.Post, "/api/collections", scaffold);
        Assert.True(created.Status == 200, created.Text);
        Assert.Equal(["id", "title", "created", "updated"], created.Json!["fields"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
    }
}
