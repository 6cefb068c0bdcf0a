using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Tests.Records;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace Cairn.Tests.Auth.OAuth2;

/// <summary>The <c>oauth2</c> part of <c>GET auth-methods</c> (POCKETBASE_API.md 1.3), with the legacy keys PocketBase still sends.</summary>
public sealed class OAuth2AuthMethodsTests
{
    private static JsonObject Provider(string name, string? issuer = null, bool? pkce = null)
    {
        var json = new JsonObject { ["name"] = name, ["clientId"] = "client-" + name, ["clientSecret"] = "secret-" + name };
        if (issuer is not null) json["extra"] = new JsonObject { ["issuer"] = issuer };
        if (pkce is not null) json["pkce"] = pkce;
        return json;
    }

    private static async Task<TestServer> StartAsync(bool enabled, params JsonObject[] providers)
    {
        var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(new JsonObject
        {
            ["name"] = "users", ["type"] = "auth",
            ["passwordAuth"] = new JsonObject { ["enabled"] = true, ["identityFields"] = new JsonArray("email") },
            ["oauth2"] = new JsonObject { ["enabled"] = enabled, ["providers"] = new JsonArray(providers) },
        });
        return server;
    }

    private static async Task<JsonObject> MethodsAsync(TestServer server)
    {
        var response = await server.SendAsync(HttpMethod.Get, "/api/collections/users/auth-methods");
        Assert.True(response.Status == 200, response.Text);
        return response.Json!.AsObject();
    }

    [Fact]
    public async Task Providers_CarryStatePkceAndAnAuthURLEndingWithRedirectUri()
    {
        await using var server = await StartAsync(true, Provider("github"), Provider("google"));

        var methods = await MethodsAsync(server);

        Assert.True(methods["oauth2"]!["enabled"]!.GetValue<bool>());
        var providers = methods["oauth2"]!["providers"]!.AsArray();
        Assert.Equal(["github", "google"], providers.Select(p => p.Str("name")));
        var github = providers[0]!;
        Assert.Equal("GitHub", github.Str("displayName"));
        Assert.Equal(30, github.Str("state").Length);
        Assert.Equal(43, github.Str("codeVerifier").Length);
        Assert.Equal(Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(github.Str("codeVerifier")))), github.Str("codeChallenge"));
        Assert.Equal("S256", github.Str("codeChallengeMethod"));
        Assert.StartsWith("<svg", github.Str("logo"));
        var authURL = github.Str("authURL");
        Assert.Equal(authURL, github.Str("authUrl"));
        Assert.StartsWith("https://github.com/login/oauth/authorize?", authURL);
        Assert.EndsWith("&redirect_uri=", authURL);
        var query = QueryHelpers.ParseQuery(new Uri(authURL).Query);
        Assert.Equal("client-github", query["client_id"].ToString());
        Assert.Equal(github.Str("state"), query["state"].ToString());
        Assert.Equal(github.Str("codeChallenge"), query["code_challenge"].ToString());
        Assert.Equal("code", query["response_type"].ToString());
        Assert.DoesNotContain("secret-github", methods.ToJsonString());
    }

    [Fact]
    public async Task EachCall_GetsFreshStateAndVerifier()
    {
        await using var server = await StartAsync(true, Provider("google"));

        var first = (await MethodsAsync(server))["oauth2"]!["providers"]![0]!;
        var second = (await MethodsAsync(server))["oauth2"]!["providers"]![0]!;

        Assert.NotEqual(first.Str("state"), second.Str("state"));
        Assert.NotEqual(first.Str("codeVerifier"), second.Str("codeVerifier"));
    }

    [Fact]
    public async Task PkceOff_GivesEmptyPkceFields()
    {
        await using var server = await StartAsync(true, Provider("discord", pkce: false));

        var discord = (await MethodsAsync(server))["oauth2"]!["providers"]![0]!;

        Assert.Equal("", discord.Str("codeVerifier"));
        Assert.Equal("", discord.Str("codeChallenge"));
        Assert.Equal("", discord.Str("codeChallengeMethod"));
        Assert.DoesNotContain("code_challenge", discord.Str("authURL"));
    }

    [Fact]
    public async Task Apple_AsksForFormPost()
    {
        await using var server = await StartAsync(true, Provider("apple"));

        var apple = (await MethodsAsync(server))["oauth2"]!["providers"]![0]!;

        Assert.Equal("form_post", QueryHelpers.ParseQuery(new Uri(apple.Str("authURL")).Query)["response_mode"].ToString());
    }

    [Fact]
    public async Task Oidc_TakesItsEndpointsFromDiscovery_AndSendsANonce()
    {
        await using var idp = await TestIdentityProvider.StartAsync();
        await using var server = await StartAsync(true, Provider("oidc", idp.Issuer));

        var oidc = (await MethodsAsync(server))["oauth2"]!["providers"]![0]!;

        Assert.StartsWith(idp.Issuer + "connect/authorize?", oidc.Str("authURL"));
        Assert.Contains("scope=openid", oidc.Str("authURL"));
        Assert.False(string.IsNullOrEmpty(QueryHelpers.ParseQuery(new Uri(oidc.Str("authURL")).Query)["nonce"].ToString()));
    }

    [Fact]
    public async Task Oidc_WithAnUnreachableIssuer_IsLeftOut()
    {
        await using var server = await StartAsync(true, Provider("oidc", "http://127.0.0.1:9/"), Provider("google"));

        var providers = (await MethodsAsync(server))["oauth2"]!["providers"]!.AsArray();

        Assert.Equal(["google"], providers.Select(p => p.Str("name")));
    }

    [Fact]
    public async Task Disabled_ListsNoProviders()
    {
        await using var server = await StartAsync(false, Provider("google"));

        var methods = await MethodsAsync(server);

        Assert.False(methods["oauth2"]!["enabled"]!.GetValue<bool>());
        Assert.Empty(methods["oauth2"]!["providers"]!.AsArray());
        Assert.Empty(methods["authProviders"]!.AsArray());
    }

    [Fact]
    public async Task LegacyKeys_AreReturned()
    {
        await using var server = await StartAsync(true, Provider("google"));

        var methods = await MethodsAsync(server);

        Assert.Equal("google", methods["authProviders"]![0]!.Str("name"));
        Assert.True(methods["emailPassword"]!.GetValue<bool>());
        Assert.False(methods["usernamePassword"]!.GetValue<bool>());
    }
}
