using System.Text.Json.Nodes;

namespace Cairn.Tests.Records;

/// <summary>Records of auth collections: passwords, <c>oldPassword</c>, hidden secrets, email visibility and tokenKey rotation (POCKETBASE_API.md 0.3, 1.1, 4).</summary>
public sealed class AuthRecordsApiTests
{
    private const string Users = "/api/collections/users/records";

    [Theory]
    [InlineData("""{"email":"a@example.com"}""", "password", "validation_required")]
    [InlineData("""{"email":"a@example.com","password":"password123"}""", "passwordConfirm", "validation_required")]
    [InlineData("""{"email":"a@example.com","password":"password123","passwordConfirm":"password124"}""", "passwordConfirm", "validation_values_mismatch")]
    [InlineData("""{"email":"a@example.com","password":"short","passwordConfirm":"short"}""", "password", "validation_min_text_constraint")]
    [InlineData("""{"password":"password123","passwordConfirm":"password123"}""", "email", "validation_required")]
    [InlineData("""{"email":"nope","password":"password123","passwordConfirm":"password123"}""", "email", "validation_is_email")]
    [InlineData("""{"email":"a@example.com","password":"password123","passwordConfirm":"password123","verified":true}""", "verified", "validation_values_mismatch")]
    public async Task Create_InvalidSignUp_IsFieldError(string body, string field, string code)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var response = await server.SendAsync(HttpMethod.Post, Users, TestCollections.Json(body));
        response.AssertFieldError("Failed to create record.", field, code);
    }

    [Fact]
    public async Task Create_ValidSignUp_NeverOutputsPasswordOrTokenKey()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var response = await server.SendAsync(HttpMethod.Post, Users,
            TestCollections.Json("""{"email":"a@example.com","password":"password123","passwordConfirm":"password123"}"""));

        Assert.True(response.Status == 200, response.Text);
        var keys = response.Json!.AsObject().Select(p => p.Key).ToList();
        Assert.DoesNotContain("password", keys);
        Assert.DoesNotContain("passwordConfirm", keys);
        Assert.DoesNotContain("tokenKey", keys);
        Assert.DoesNotContain("email", keys); // a guest sees the email only with emailVisibility
        Assert.False(response.Json["verified"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Create_DuplicateEmail_IsNotUnique()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        await server.CreateUserAsync("a@example.com");
        var response = await server.SendAsync(HttpMethod.Post, Users,
            TestCollections.Json("""{"email":"a@example.com","password":"password123","passwordConfirm":"password123"}"""));
        response.AssertFieldError("Failed to create record.", "email", "validation_not_unique");
    }

    [Fact]
    public async Task Superuser_SeesEmailAndHiddenFieldsButNeverSecrets()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (user, _) = await server.CreateUserAsync("a@example.com");
        var response = await server.AsSuperuser(HttpMethod.Get, $"{Users}/{user.Str("id")}");
        Assert.Equal("a@example.com", response.Json.Str("email"));
        Assert.False(response.Json!.AsObject().ContainsKey("password"));
        Assert.False(response.Json.AsObject().ContainsKey("tokenKey"));
    }

    [Fact]
    public async Task Email_VisibleToGuests_OnlyWithEmailVisibility()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        await server.CreateUserAsync("hidden@example.com");
        await server.CreateUserAsync("shown@example.com", emailVisibility: true);

        var list = await server.SendAsync(HttpMethod.Get, $"{Users}?sort=@rowid");

        var items = list.Json!["items"]!.AsArray();
        Assert.False(items[0]!.AsObject().ContainsKey("email"));
        Assert.Equal("shown@example.com", items[1].Str("email"));
    }

    [Fact]
    public async Task Email_VisibleToTheOwner_NotToOtherUsers()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, myToken) = await server.CreateUserAsync("me@example.com");
        var (_, otherToken) = await server.CreateUserAsync("other@example.com");

        var own = await server.SendAsync(HttpMethod.Get, $"{Users}/{me.Str("id")}", token: myToken);
        var other = await server.SendAsync(HttpMethod.Get, $"{Users}/{me.Str("id")}", token: otherToken);

        Assert.Equal("me@example.com", own.Json.Str("email"));
        Assert.False(other.Json!.AsObject().ContainsKey("email"));
    }

    [Fact]
    public async Task PasswordChange_ByUserWithoutOldPassword_IsRequired()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var response = await server.SendAsync(HttpMethod.Patch, $"{Users}/{me.Str("id")}",
            TestCollections.Json("""{"password":"newpassword1","passwordConfirm":"newpassword1"}"""), token);
        response.AssertFieldError("Failed to update record.", "oldPassword", "validation_required");
    }

    [Fact]
    public async Task PasswordChange_ByUserWithWrongOldPassword_IsInvalidOldPassword()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var response = await server.SendAsync(HttpMethod.Patch, $"{Users}/{me.Str("id")}",
            TestCollections.Json("""{"password":"newpassword1","passwordConfirm":"newpassword1","oldPassword":"wrong-password"}"""), token);
        response.AssertFieldError("Failed to update record.", "oldPassword", "validation_invalid_old_password");
    }

    [Fact]
    public async Task PasswordChange_WithMismatchedConfirm_IsValuesMismatch()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var response = await server.SendAsync(HttpMethod.Patch, $"{Users}/{me.Str("id")}",
            TestCollections.Json("""{"password":"newpassword1","passwordConfirm":"newpassword2","oldPassword":"password123"}"""), token);
        response.AssertFieldError("Failed to update record.", "passwordConfirm", "validation_values_mismatch");
    }

    [Fact]
    public async Task PasswordChange_ByUser_RotatesTokenKeyAndRevokesOldTokens()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, oldToken) = await server.CreateUserAsync("me@example.com");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: oldToken)).Status);

        var change = await server.SendAsync(HttpMethod.Patch, $"{Users}/{me.Str("id")}",
            TestCollections.Json("""{"password":"newpassword1","passwordConfirm":"newpassword1","oldPassword":"password123"}"""), oldToken);
        Assert.True(change.Status == 200, change.Text);
        Assert.False(change.Json!.AsObject().ContainsKey("password"));

        // The old token is now a guest's: 401 where auth is required, public routes still answer.
        (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: oldToken)).AssertError(401);
        var asGuest = await server.SendAsync(HttpMethod.Get, $"{Users}/{me.Str("id")}", token: oldToken);
        Assert.False(asGuest.Json!.AsObject().ContainsKey("email"));

        var oldLogin = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"me@example.com","password":"password123"}"""));
        oldLogin.AssertError(400, "Failed to authenticate.");
        var newLogin = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"me@example.com","password":"newpassword1"}"""));
        Assert.Equal(200, newLogin.Status);
    }

    [Fact]
    public async Task PasswordChange_RevokedToken_IsGuestOnLockedCollection403()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"secrets"}"""));
        var (me, oldToken) = await server.CreateUserAsync("me@example.com");
        var change = await server.AsSuperuser(HttpMethod.Patch, $"{Users}/{me.Str("id")}",
            TestCollections.Json("""{"password":"newpassword1","passwordConfirm":"newpassword1"}"""));
        Assert.True(change.Status == 200, change.Text);

        (await server.SendAsync(HttpMethod.Get, "/api/collections/secrets/records", token: oldToken)).AssertError(403);
        (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: oldToken)).AssertError(401);
    }

    [Fact]
    public async Task PasswordChange_BySuperuser_NeedsNoOldPassword()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, _) = await server.CreateUserAsync("me@example.com");
        var response = await server.AsSuperuser(HttpMethod.Patch, $"{Users}/{me.Str("id")}",
            TestCollections.Json("""{"password":"newpassword1","passwordConfirm":"newpassword1"}"""));
        Assert.True(response.Status == 200, response.Text);
        var login = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password", TestCollections.Json("""{"identity":"me@example.com","password":"newpassword1"}"""));
        Assert.Equal(200, login.Status);
    }

    [Fact]
    public async Task Update_OtherFields_KeepsTokensValid()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var response = await server.SendAsync(HttpMethod.Patch, $"{Users}/{me.Str("id")}", TestCollections.Json("""{"emailVisibility":true}"""), token);
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token)).Status);
    }

    [Fact]
    public async Task Update_EmailByUser_IsRefused()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var response = await server.SendAsync(HttpMethod.Patch, $"{Users}/{me.Str("id")}", new JsonObject { ["email"] = "new@example.com" }, token);
        response.AssertFieldError("Failed to update record.", "email", "validation_values_mismatch");
    }

    [Fact]
    public async Task TokenKey_SentByUser_IsIgnored()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUsersAsync();
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var response = await server.SendAsync(HttpMethod.Patch, $"{Users}/{me.Str("id")}",
            new JsonObject { ["tokenKey"] = new string('x', 50) }, token);
        Assert.Equal(200, response.Status);
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token)).Status);
    }
}
