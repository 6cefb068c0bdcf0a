using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary><c>GET /api/collections/{c}</c>: by id or (case-insensitive) name; 404 in the error shape.</summary>
public sealed class ViewCollectionTests
{
    private static Task SeedAsync(TestServer server) =>
        server.CreateCollectionAsync(Obj("""{"name":"posts","fields":[{"name":"title","type":"text"}]}"""));

    private static ApiScenario View(string name, string idOrName) =>
        new(name, HttpMethod.Get, "/api/collections/" + idOrName) { Setup = SeedAsync };

    public static TheoryData<ApiScenario> Scenarios() =>
    [
        View("View_ByName_ReturnsCollection", "posts") with
        {
            Values = new() { ["id"] = CollectionId("base", "posts"), ["name"] = "posts", ["type"] = "base", ["fields.1.name"] = "title" },
        },
        View("View_ById_ReturnsCollection", CollectionId("base", "posts")) with { Values = new() { ["name"] = "posts" } },
        View("View_NameInOtherCase_ReturnsCollection", "POSTS") with { Values = new() { ["name"] = "posts" } },
        View("View_SuperusersById_HidesTokenSecrets", "pbc_3142635823") with
        {
            Values = new() { ["name"] = "_superusers", ["system"] = true, ["type"] = "auth", ["authToken.duration"] = 86400, ["authToken.#"] = 1 },
            NotContains = ["\"secret\""],
        },
        View("View_Unknown_Returns404", "missing") with
        {
            Status = 404,
            Values = new() { ["status"] = 404, ["message"] = "The requested resource wasn't found.", ["data"] = Obj("{}") },
        },
        View("View_FieldsPicker_PicksKeys", "posts?fields=name,fields.name") with
        {
            Values = new() { ["#"] = 2, ["name"] = "posts", ["fields.1"] = Obj("""{"name":"title"}""") },
        },
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task View_Scenario(ApiScenario scenario) => scenario.RunAsync();
}
