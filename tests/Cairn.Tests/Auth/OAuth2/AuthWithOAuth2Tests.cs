using System.Text.Json.Nodes;
using Cairn.Tests.Records;

namespace Cairn.Tests.Auth.OAuth2;

/// <summary>
/// <c>auth-with-oauth2</c> against a real OpenID Connect server on loopback (<see cref="TestIdentityProvider"/>)
/// registered as the generic <c>oidc</c> provider: the authorization-code + PKCE flow end to end, the sign-in
/// order of POCKETBASE_API.md 1.3, the account-takeover protections, and every way a bad exchange is refused.
/// </summary>
public sealed class AuthWithOAuth2Tests
{
    private const string RedirectURL = "http://127.0.0.1:9/oauth2-callback";
    private const string Path = "/api/collections/users/auth-with-oauth2";

    private static async Task<(TestServer Server, TestIdentityProvider Idp)> StartAsync(string? createRule = "")
    {
        var idp = await TestIdentityProvider.StartAsync();
        var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(new JsonObject
        {
            ["name"] = "users", ["type"] = "auth",
            ["listRule"] = "id = @request.auth.id", ["viewRule"] = "id = @request.auth.id", ["createRule"] = createRule,
            ["fields"] = new JsonArray(new JsonObject { ["name"] = "name", ["type"] = "text" }),
            ["oauth2"] = new JsonObject
            {
                ["enabled"] = true,
                ["mappedFields"] = new JsonObject { ["name"] = "name" },
                ["providers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "oidc", ["clientId"] = TestIdentityProvider.ClientId, ["clientSecret"] = TestIdentityProvider.ClientSecret,
                    ["displayName"] = "Test IdP", ["extra"] = new JsonObject { ["issuer"] = idp.Issuer },
                }),
            },
        });
        return (server, idp);
    }

    /// <summary>What the SDK does: auth-methods, the browser round trip, then auth-with-oauth2 with the verifier and the same redirect URL.</summary>
    private static async Task<ApiResponse> SignInAsync(TestServer server, TestIdentityProvider idp, string login, JsonObject? createData = null, string? token = null,
        Action<JsonObject>? tamper = null)
    {
        var provider = await ProviderAsync(server);
        var code = await idp.AuthorizeAsync(provider.Str("authURL"), RedirectURL, login, provider.Str("state"));
        var body = new JsonObject
        {
            ["provider"] = "oidc", ["code"] = code, ["codeVerifier"] = provider.Str("codeVerifier"), ["redirectURL"] = RedirectURL,
        };
        if (createData is not null) body["createData"] = createData;
        tamper?.Invoke(body);
        return await server.SendAsync(HttpMethod.Post, Path, body, token);
    }

    private static async Task<JsonNode> ProviderAsync(TestServer server)
    {
        var methods = await server.SendAsync(HttpMethod.Get, "/api/collections/users/auth-methods");
        Assert.True(methods.Status == 200, methods.Text);
        return methods.Json!["oauth2"]!["providers"]![0]!;
    }

    private static async Task<JsonArray> LinksAsync(TestServer server)
    {
        var list = await server.AsSuperuser(HttpMethod.Get, "/api/collections/_externalAuths/records?sort=provider");
        Assert.Equal(200, list.Status);
        return list.Json!["items"]!.AsArray();
    }

    private static async Task<int> UserCountAsync(TestServer server) =>
        (await server.AsSuperuser(HttpMethod.Get, "/api/collections/users/records")).Json!["totalItems"]!.GetValue<int>();

    private static Task<ApiResponse> PasswordSignInAsync(TestServer server, string email, string password) =>
        server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", new JsonObject { ["identity"] = email, ["password"] = password });

    private static async Task AssertNothingCreatedAsync(TestServer server, int users = 0)
    {
        Assert.Equal(users, await UserCountAsync(server));
        Assert.Empty(await LinksAsync(server));
    }

    [Fact]
    public async Task NewUser_IsCreatedVerifiedAndLinked_WithMeta()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", EmailVerified: true, Name: "Alice"));

        var response = await SignInAsync(server, idp, "alice");

        Assert.True(response.Status == 200, response.Text);
        var record = response.Json!["record"]!;
        Assert.Equal("alice@example.com", record.Str("email"));
        Assert.True(record["verified"]!.GetValue<bool>());
        Assert.Equal("Alice", record.Str("name")); // oauth2.mappedFields.name
        var meta = response.Json["meta"]!;
        Assert.True(meta["isNew"]!.GetValue<bool>());
        Assert.Equal("alice-sub", meta.Str("id"));
        Assert.Equal("alice@example.com", meta.Str("email"));
        Assert.NotEmpty(meta.Str("accessToken"));
        Assert.Equal("alice-sub", meta["rawUser"]!.Str("sub"));
        Assert.True(meta.AsObject().ContainsKey("avatarUrl") && meta.AsObject().ContainsKey("avatarURL") && meta.AsObject().ContainsKey("expiry"));
        var link = Assert.Single(await LinksAsync(server));
        Assert.Equal("oidc", link.Str("provider"));
        Assert.Equal("alice-sub", link.Str("providerId"));
        Assert.Equal(record.Str("id"), link.Str("recordRef"));
        // The token works like any other.
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: response.Json.Str("token"))).Status);
    }

    [Fact]
    public async Task SecondSignIn_UsesTheLink()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));

        var first = await SignInAsync(server, idp, "alice");
        idp.AddUser("alice", new("alice-sub", "alice.renamed@example.com", true)); // the link, not the email, finds her
        var second = await SignInAsync(server, idp, "alice");

        Assert.True(second.Status == 200, second.Text);
        Assert.Equal(first.Json!["record"]!.Str("id"), second.Json!["record"]!.Str("id"));
        Assert.False(second.Json["meta"]!["isNew"]!.GetValue<bool>());
        Assert.Single(await LinksAsync(server));
        Assert.Equal(1, await UserCountAsync(server));
    }

    [Fact]
    public async Task ExistingVerifiedUser_WithTheVerifiedEmail_IsLinkedAndKeepsPassword()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        var bob = await server.CreateRecordAsync("users", """{"email":"bob@example.com","password":"password123","passwordConfirm":"password123","verified":true}""");
        idp.AddUser("bob", new("bob-sub", "bob@example.com", true));

        var response = await SignInAsync(server, idp, "bob");

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(bob.Str("id"), response.Json!["record"]!.Str("id"));
        Assert.False(response.Json["meta"]!["isNew"]!.GetValue<bool>());
        Assert.Equal(bob.Str("id"), Assert.Single(await LinksAsync(server)).Str("recordRef"));
        Assert.Equal(200, (await PasswordSignInAsync(server, "bob@example.com", "password123")).Status);
    }

    [Fact]
    public async Task Takeover_PreRegisteredUnverifiedAccount_IsClaimed_PasswordResetAndForeignLinksRemoved()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        // The attacker registers the victim's address first (unverified), links an identity of their own to it, and keeps a token.
        var (squatted, attackerToken) = await server.CreateUserAsync("victim@example.com", "attacker-pass");
        await server.CreateRecordAsync("_externalAuths",
            $$"""{"collectionRef":"{{squatted.Str("collectionId")}}","recordRef":"{{squatted.Str("id")}}","provider":"github","providerId":"attacker-gh"}""");
        idp.AddUser("victim", new("victim-sub", "victim@example.com", EmailVerified: true));

        var response = await SignInAsync(server, idp, "victim");

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(squatted.Str("id"), response.Json!["record"]!.Str("id"));
        Assert.True(response.Json["record"]!["verified"]!.GetValue<bool>());
        (await PasswordSignInAsync(server, "victim@example.com", "attacker-pass")).AssertError(400, "Failed to authenticate.");
        Assert.Equal(401, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: attackerToken)).Status);
        var link = Assert.Single(await LinksAsync(server));
        Assert.Equal("oidc", link.Str("provider"));
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: response.Json.Str("token"))).Status);
    }

    [Fact]
    public async Task UnverifiedProviderEmail_NeverLinksToTheAccountWithThatEmail()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        var carol = await server.CreateRecordAsync("users", """{"email":"carol@example.com","password":"password123","passwordConfirm":"password123","verified":true}""");
        idp.AddUser("mallory", new("mallory-sub", "carol@example.com", EmailVerified: false));

        var response = await SignInAsync(server, idp, "mallory");

        response.AssertError(400);
        Assert.NotEqual(carol.Str("id"), response.Json!["record"]?["id"]?.GetValue<string>());
        await AssertNothingCreatedAsync(server, users: 1);
        Assert.Equal(200, (await PasswordSignInAsync(server, "carol@example.com", "password123")).Status);
    }

    [Fact]
    public async Task UnverifiedProviderEmail_NewAccount_IsCreatedUnverified()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("dan", new("dan-sub", "dan@example.com", EmailVerified: false));

        var response = await SignInAsync(server, idp, "dan");

        Assert.True(response.Status == 200, response.Text);
        Assert.False(response.Json!["record"]!["verified"]!.GetValue<bool>());
        Assert.Single(await LinksAsync(server));
    }

    [Fact]
    public async Task SignedInCaller_LinksTheProviderToTheirOwnAccount()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        var (erin, token) = await server.CreateUserAsync("erin@example.com");
        idp.AddUser("erin", new("erin-sub", "erin.work@example.com", true));

        var response = await SignInAsync(server, idp, "erin", token: token);

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(erin.Str("id"), response.Json!["record"]!.Str("id"));
        Assert.Equal(erin.Str("id"), Assert.Single(await LinksAsync(server)).Str("recordRef"));
        // Still unverified (the emails differ), so nothing was claimed: her own password still works.
        Assert.Equal(200, (await PasswordSignInAsync(server, "erin@example.com", "password123")).Status);
    }

    [Fact]
    public async Task CreateData_AndCreateRule_ApplyToNewAccounts()
    {
        var (server, idp) = await StartAsync(createRule: "@request.context = 'oauth2' && @request.body.name != 'blocked'");
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("fay", new("fay-sub", "fay@example.com", true, Name: "Fay"));
        idp.AddUser("gus", new("gus-sub", "gus@example.com", true, Name: "Gus"));

        var created = await SignInAsync(server, idp, "fay", createData: new JsonObject { ["name"] = "Fay From Data" });
        var refused = await SignInAsync(server, idp, "gus", createData: new JsonObject { ["name"] = "blocked" });

        Assert.True(created.Status == 200, created.Text);
        Assert.Equal("Fay From Data", created.Json!["record"]!.Str("name")); // createData wins over the mapped field
        refused.AssertError(400, "Failed to create record.");
        Assert.Equal(1, await UserCountAsync(server));
        Assert.Single(await LinksAsync(server));
    }

    public static TheoryData<string> TamperedIdTokens => ["wrong audience", "wrong issuer", "foreign key", "wrong nonce", "no nonce", "expired"];

    [Theory]
    [MemberData(nameof(TamperedIdTokens))]
    public async Task TamperedIdToken_Returns400_AndCreatesNothing(string tampering)
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));
        idp.IdTokenTweak = claims =>
        {
            switch (tampering)
            {
                case "wrong audience": claims["aud"] = "another-app"; break;
                case "wrong issuer": claims["iss"] = "http://127.0.0.1:1/"; break;
                case "wrong nonce": claims["nonce"] = "not-the-nonce"; break;
                case "no nonce": claims.Remove("nonce"); break;
                case "expired": claims["exp"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(); break;
            }
        };
        if (tampering == "foreign key") idp.SignWith = TestIdentityProvider.ForeignKey();

        var response = await SignInAsync(server, idp, "alice");

        response.AssertError(400, "Failed to fetch OAuth2 user.");
        await AssertNothingCreatedAsync(server);
    }

    [Fact]
    public async Task UntamperedReSignedIdToken_IsAccepted()
    {
        // The control for the theory above: re-signing alone changes nothing.
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));
        idp.IdTokenTweak = _ => { };

        Assert.Equal(200, (await SignInAsync(server, idp, "alice")).Status);
    }

    [Fact]
    public async Task WrongRedirectURL_Returns400_AndCreatesNothing()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));

        var response = await SignInAsync(server, idp, "alice", tamper: b => b["redirectURL"] = "http://127.0.0.1:9/elsewhere");

        response.AssertError(400, "Failed to fetch OAuth2 token.");
        await AssertNothingCreatedAsync(server);
    }

    [Fact]
    public async Task MissingCodeVerifier_Returns400_WithoutCallingTheProvider()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));

        var response = await SignInAsync(server, idp, "alice", tamper: b => b.Remove("codeVerifier"));

        response.AssertFieldError("Failed to authenticate.", "codeVerifier", "validation_required");
        Assert.Equal(0, idp.TokenRequests);
        await AssertNothingCreatedAsync(server);
    }

    [Fact]
    public async Task WrongCodeVerifier_Returns400_AndCreatesNothing()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));

        var response = await SignInAsync(server, idp, "alice", tamper: b => b["codeVerifier"] = new string('x', 43));

        response.AssertError(400, "Failed to fetch OAuth2 token.");
        await AssertNothingCreatedAsync(server);
    }

    [Fact]
    public async Task BadCode_Returns400_AndCreatesNothing()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));

        var response = await SignInAsync(server, idp, "alice", tamper: b => b["code"] = "not-a-code");

        response.AssertError(400, "Failed to fetch OAuth2 token.");
        await AssertNothingCreatedAsync(server);
    }

    [Fact]
    public async Task UnknownProvider_Returns400_WithFieldError()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;

        var response = await server.SendAsync(HttpMethod.Post, Path, TestCollections.Json(
            """{"provider":"github","code":"x","codeVerifier":"y","redirectURL":"http://127.0.0.1:9/"}"""));

        response.AssertFieldError("Failed to authenticate.", "provider", "validation_invalid_provider");
    }

    [Fact]
    public async Task MissingFields_Return400_WithFieldErrors()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;

        var response = await server.SendAsync(HttpMethod.Post, Path, new JsonObject());

        response.AssertError(400, "Failed to authenticate.");
        foreach (var field in new[] { "provider", "code", "redirectURL" })
            Assert.Equal("validation_required", response.Json!["data"]![field]!.Str("code"));
    }

    [Fact]
    public async Task OAuth2Disabled_Returns403()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", TestCollections.Json("""{"oauth2":{"enabled":false}}"""))).Status);

        var response = await server.SendAsync(HttpMethod.Post, Path, TestCollections.Json(
            """{"provider":"oidc","code":"x","codeVerifier":"y","redirectURL":"http://127.0.0.1:9/"}"""));

        response.AssertError(403);
    }

    [Fact]
    public async Task ExternalAuths_OwnerListsAndUnlinks_OthersCannot()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        idp.AddUser("alice", new("alice-sub", "alice@example.com", true));
        var alice = await SignInAsync(server, idp, "alice");
        var aliceId = alice.Json!["record"]!.Str("id");
        var aliceToken = alice.Json.Str("token");
        var (_, otherToken) = await server.CreateUserAsync("other@example.com");
        var list = $"/api/collections/_externalAuths/records?filter={Uri.EscapeDataString($"recordRef = \"{aliceId}\"")}";

        // listExternalAuths: a getFullList filtered by recordRef.
        var own = await server.SendAsync(HttpMethod.Get, list, token: aliceToken);
        var foreign = await server.SendAsync(HttpMethod.Get, list, token: otherToken);
        Assert.Single(own.Json!["items"]!.AsArray());
        Assert.Empty(foreign.Json!["items"]!.AsArray());

        // unlinkExternalAuth: a delete of that record, allowed to its owner only.
        var linkId = own.Json["items"]![0]!.Str("id");
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/_externalAuths/records/{linkId}", token: otherToken)).Status);
        Assert.Equal(204, (await server.SendAsync(HttpMethod.Delete, $"/api/collections/_externalAuths/records/{linkId}", token: aliceToken)).Status);
        Assert.Empty(await LinksAsync(server));
    }
    [Fact]
    public async Task Superusers_AreNeverCreatedThroughOAuth2()
    {
        var (server, idp) = await StartAsync();
        await using var _ = server;
        await using var __ = idp;
        var enable = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/_superusers", new JsonObject
        {
            ["oauth2"] = new JsonObject
            {
                ["enabled"] = true,
                ["providers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "oidc", ["clientId"] = TestIdentityProvider.ClientId, ["clientSecret"] = TestIdentityProvider.ClientSecret,
                    ["extra"] = new JsonObject { ["issuer"] = idp.Issuer },
                }),
            },
        });
        Assert.True(enable.Status == 200, enable.Text);
        idp.AddUser("intruder", new("intruder-sub", "intruder@example.com", true));
        var methods = await server.SendAsync(HttpMethod.Get, "/api/collections/_superusers/auth-methods");
        var provider = methods.Json!["oauth2"]!["providers"]![0]!;
        var code = await idp.AuthorizeAsync(provider.Str("authURL"), RedirectURL, "intruder", provider.Str("state"));

        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/auth-with-oauth2", new JsonObject
        {
            ["provider"] = "oidc", ["code"] = code, ["codeVerifier"] = provider.Str("codeVerifier"), ["redirectURL"] = RedirectURL,
        });

        response.AssertError(400, "Superusers cannot be created through OAuth2.");
        var superusers = await server.AsSuperuser(HttpMethod.Get, "/api/collections/_superusers/records");
        Assert.Equal(1, superusers.Json!["totalItems"]!.GetValue<int>());
        Assert.Empty(await LinksAsync(server));
    }
}
