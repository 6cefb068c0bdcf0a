namespace Cairn.Tests.Collections;

/// <summary><c>GET /api/collections/meta/scaffolds</c>: the default model of each type, with empty id and name.</summary>
public sealed class ScaffoldsTests
{
    public static TheoryData<ApiScenario> Scenarios() =>
    [
        new ApiScenario("Scaffolds_Keys_AreBaseAuthView", HttpMethod.Get, "/api/collections/meta/scaffolds")
        {
            Values = new() { ["#"] = 3, ["base.type"] = "base", ["auth.type"] = "auth", ["view.type"] = "view" },
        },
        new ApiScenario("Scaffolds_Base_HasOnlyTheIdField", HttpMethod.Get, "/api/collections/meta/scaffolds")
        {
            Values = new()
            {
                ["base.id"] = "", ["base.name"] = "", ["base.system"] = false, ["base.listRule"] = null, ["base.deleteRule"] = null,
                ["base.fields.#"] = 1, ["base.fields.0.name"] = "id", ["base.fields.0.id"] = "text3208210256", ["base.fields.0.primaryKey"] = true,
                ["base.fields.0.min"] = 15, ["base.fields.0.max"] = 15, ["base.fields.0.pattern"] = "^[a-z0-9]+$",
                ["base.fields.0.autogeneratePattern"] = "[a-z0-9]{15}", ["base.indexes.#"] = 0,
            },
        },
        new ApiScenario("Scaffolds_Auth_HasAuthFieldsOptionsAndNoSecrets", HttpMethod.Get, "/api/collections/meta/scaffolds")
        {
            Values = new()
            {
                ["auth.id"] = "", ["auth.name"] = "", ["auth.fields.#"] = 6,
                ["auth.fields.1.name"] = "password", ["auth.fields.1.hidden"] = true, ["auth.fields.1.min"] = 8,
                ["auth.fields.2.name"] = "tokenKey", ["auth.fields.2.hidden"] = true,
                ["auth.fields.3.name"] = "email", ["auth.fields.3.required"] = true,
                ["auth.fields.4.name"] = "emailVisibility", ["auth.fields.5.name"] = "verified",
                ["auth.authRule"] = "", ["auth.manageRule"] = null,
                ["auth.passwordAuth.enabled"] = true, ["auth.passwordAuth.identityFields.0"] = "email",
                ["auth.mfa.enabled"] = false, ["auth.mfa.duration"] = 600,
                ["auth.otp.duration"] = 180, ["auth.otp.length"] = 8, ["auth.authAlert.enabled"] = true,
                ["auth.authToken.duration"] = 432000, ["auth.passwordResetToken.duration"] = 1800, ["auth.emailChangeToken.duration"] = 1800,
                ["auth.verificationToken.duration"] = 86400, ["auth.fileToken.duration"] = 180, ["auth.indexes.#"] = 2,
            },
            NotContains = ["\"secret\"", "clientSecret"],
        },
        new ApiScenario("Scaffolds_View_HasNoFieldsAndAnEmptyQuery", HttpMethod.Get, "/api/collections/meta/scaffolds")
        {
            Values = new() { ["view.id"] = "", ["view.name"] = "", ["view.fields.#"] = 0, ["view.viewQuery"] = "" },
        },
        new ApiScenario("Scaffolds_FieldsPicker_Applies", HttpMethod.Get, "/api/collections/meta/scaffolds?fields=base.type")
        {
            Values = new() { ["#"] = 1, ["base.#"] = 1, ["base.type"] = "base" },
        },
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public Task Scaffolds_Scenario(ApiScenario scenario) => scenario.RunAsync();
}
