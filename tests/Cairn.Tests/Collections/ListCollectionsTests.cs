using static Cairn.Tests.Collections.CollectionFixtures;

namespace Cairn.Tests.Collections;

/// <summary><c>GET /api/collections</c>: the list envelope with page, perPage, sort, skipTotal and the fields picker.</summary>
public sealed class ListCollectionsTests
{
    // The seven system collections (_superusers first) plus three collections created in this order.
    private static async Task SeedAsync(TestServer server)
    {
        await server.CreateCollectionAsync(Obj("""{"name":"alpha"}"""));
        await server.CreateCollectionAsync(Obj("""{"name":"beta","type":"auth"}"""));
        await server.CreateCollectionAsync(Obj("""{"name":"gamma"}"""));
    }

    private static ApiScenario List(string name, string query) =>
        new(name, HttpMethod.Get, "/api/collections" + query) { Setup = SeedAsync };

    public static TheoryData<ApiScenario> Scenarios() =>
    [
        List("List_NoParameters_ReturnsEnvelopeInCreationOrder", "") with
        {
            Values = new()
            {
                ["page"] = 1, ["perPage"] = 30, ["totalItems"] = 10, ["totalPages"] = 1, ["items.#"] = 10,
                ["items.0.name"] = "_superusers", ["items.0.id"] = "pbc_3142635823", ["items.0.system"] = true,
                ["items.7.name"] = "alpha", ["items.8.name"] = "beta", ["items.9.name"] = "gamma",
            },
            NotContains = ["\"secret\""],
        },
        List("List_PageAndPerPage_ReturnsThatSlice", "?page=3&perPage=3") with
        {
            Values = new() { ["page"] = 3, ["perPage"] = 3, ["totalItems"] = 10, ["totalPages"] = 4, ["items.#"] = 3, ["items.0.name"] = "_sessions", ["items.1.name"] = "alpha", ["items.2.name"] = "beta" },
        },
        List("List_PageBeyondEnd_ReturnsNoItems", "?page=6&perPage=2") with
        {
            Values = new() { ["page"] = 6, ["totalItems"] = 10, ["totalPages"] = 5, ["items.#"] = 0 },
        },
        List("List_PerPageOverLimit_IsClampedTo1000", "?perPage=5000") with { Values = new() { ["perPage"] = 1000, ["items.#"] = 10 } },
        List("List_SkipTotal_ReportsMinusOne", "?skipTotal=1&perPage=2") with
        {
            Values = new() { ["totalItems"] = -1, ["totalPages"] = -1, ["items.#"] = 2 },
        },
        List("List_SortByNameDescending_Orders", "?sort=-name") with
        {
            Values = new() { ["items.0.name"] = "gamma", ["items.1.name"] = "beta", ["items.2.name"] = "alpha", ["items.3.name"] = "_totps", ["items.4.name"] = "_superusers", ["items.5.name"] = "_sessions" },
        },
        List("List_SortByTypeThenName_OrdersByBoth", "?sort=type,-name") with
        {
            Values = new() { ["items.0.name"] = "beta", ["items.1.name"] = "_superusers", ["items.2.name"] = "gamma", ["items.3.name"] = "alpha" },
        },
        List("List_SortBySystemDescending_PutsSystemFirst", "?sort=-system,name") with
        {
            Values = new() { ["items.0.name"] = "_authOrigins", ["items.4.name"] = "_sessions", ["items.5.name"] = "_superusers", ["items.6.name"] = "_totps", ["items.7.name"] = "alpha" },
        },
        List("List_SortByUnknownField_Returns400", "?sort=title") with { Status = 400 },
        List("List_NonNumericPage_Returns400", "?page=abc") with { Status = 400 },
        List("List_FieldsPicker_KeepsEnvelopeAndPicksItemKeys", "?fields=id,name") with
        {
            Values = new() { ["page"] = 1, ["totalItems"] = 10, ["items.0.#"] = 2, ["items.7.name"] = "alpha", ["items.7.id"] = CollectionId("base", "alpha") },
        },
        List("List_FieldsPickerNested_PicksInsideOptions", "?fields=name,passwordAuth.enabled&sort=type") with
        {
            Values = new() { ["items.0.name"] = "_superusers", ["items.0.passwordAuth"] = Obj("""{"enabled":true}"""), ["items.0.#"] = 2 },
        },
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task List_Scenario(ApiScenario scenario) => scenario.RunAsync();
}
