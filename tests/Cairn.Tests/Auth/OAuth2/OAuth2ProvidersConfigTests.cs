using System.Text.Json.Nodes;
using Cairn.Collections;
using Cairn.Tests.Records;

namespace Cairn.Tests.Auth.OAuth2;

/// <summary>A collection's <c>oauth2.providers</c> list: what is refused when it is saved, and how the client secret is kept and hidden.</summary>
public sealed class OAuth2ProvidersConfigTests
{
    private static Task<ApiResponse> CreateAsync(TestServer server, string providersJson) =>
        server.AsSuperuser(HttpMethod.Post, "/api/collections", TestCollections.Json(
            $$$"""{"name":"members","type":"auth","oauth2":{"enabled":true,"providers":{{{providersJson}}}}}"""));

    private static string? Code(ApiResponse response, int index, string field) =>
        response.Json!["data"]?["oauth2"]?["providers"]?[index.ToString()]?[field]?["code"]?.GetValue<string>();

    [Fact]
    public async Task UnknownProviderName_IsAFieldError()
    {
        await using var server = await TestServer.StartAsync();

        var response = await CreateAsync(server, """[{"name":"myspace","clientId":"x","clientSecret":"y"}]""");

        response.AssertError(400);
        Assert.Equal("validation_invalid_provider", Code(response, 0, "name"));
    }

    [Fact]
    public async Task DuplicateProviderAndMissingClientId_AreFieldErrors()
    {
        await using var server = await TestServer.StartAsync();

        var response = await CreateAsync(server, """[{"name":"google","clientId":"x"},{"name":"google","clientId":""}]""");

        response.AssertError(400);
        Assert.Equal("validation_duplicated_provider", Code(response, 1, "name"));
        Assert.Equal("validation_required", Code(response, 1, "clientId"));
    }

    [Theory]
    [InlineData("""[{"name":"oidc","clientId":"x"}]""")]
    [InlineData("""[{"name":"oidc","clientId":"x","extra":{"issuer":"http://idp.example.com/"}}]""")]
    [InlineData("""[{"name":"oidc","clientId":"x","extra":{"issuer":"not a url"}}]""")]
    public async Task OidcWithoutAnHttpsIssuer_IsRefused(string providers)
    {
        await using var server = await TestServer.StartAsync();

        var response = await CreateAsync(server, providers);

        response.AssertError(400);
        Assert.Equal("validation_invalid_url", response.Json!["data"]!["oauth2"]!["providers"]!["0"]!["extra"]!["issuer"]!.Str("code"));
    }

    [Fact]
    public async Task PlainHttpEndpoint_OffLoopback_IsRefused()
    {
        await using var server = await TestServer.StartAsync();

        var response = await CreateAsync(server, """[{"name":"google","clientId":"x","tokenURL":"http://tokens.example.com/token"}]""");

        Assert.Equal("validation_invalid_url", Code(response, 0, "tokenURL"));
    }

    [Fact]
    public async Task ClientSecret_IsNeverOutput_AndSurvivesAnUpdateThatLeavesItOut()
    {
        await using var server = await TestServer.StartAsync();
        var created = await CreateAsync(server, """[{"name":"google","clientId":"x","clientSecret":"top-secret-value"}]""");
        Assert.True(created.Status == 200, created.Text);
        Assert.DoesNotContain("top-secret-value", created.Text);

        // A client saves back what it read: the provider without its secret.
        var providers = created.Json!["oauth2"]!["providers"]!.DeepClone();
        providers[0]!["displayName"] = "Sign in with Google";
        var updated = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/members",
            new JsonObject { ["oauth2"] = new JsonObject { ["providers"] = providers } });

        Assert.True(updated.Status == 200, updated.Text);
        Assert.DoesNotContain("top-secret-value", updated.Text);
        var stored = server.Service<CollectionRegistry>().Find("members")!.ToJson(includeSecrets: true);
        Assert.Equal("top-secret-value", stored["oauth2"]!["providers"]![0]!.Str("clientSecret"));
        Assert.Equal("Sign in with Google", stored["oauth2"]!["providers"]![0]!.Str("displayName"));
    }
}
