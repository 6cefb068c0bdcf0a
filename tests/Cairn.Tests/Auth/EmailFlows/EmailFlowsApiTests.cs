using System.Text;
using System.Text.Json.Nodes;
using Cairn.Auth;
using Cairn.Mail;
using Cairn.Tests.Mail;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth.EmailFlows;

/// <summary>
/// The email flows (POCKETBASE_API.md 1.3 "Email flows"): request-verification, confirm-verification,
/// request-password-reset, confirm-password-reset, request-email-change and confirm-email-change. Mails are read
/// from the data folder's <c>mails</c> folder, where they go when no SMTP server is configured.
/// </summary>
public sealed class EmailFlowsApiTests
{
    private const string Users = "/api/collections/users";
    private const string Invalid = "An error occurred while validating the submitted data.";

    /// <summary>A mailer that always fails, as an unreachable SMTP server does.</summary>
    private sealed class BrokenMailer : IMailer
    {
        public int Calls;
        public Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            throw new IOException("connection refused");
        }
    }

    private static async Task<TestServer> StartAsync(ManualClock? clock = null, Func<CairnOptions, CairnOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var server = await TestServer.StartAsync(configure, s =>
        {
            if (clock is not null) s.AddSingleton<TimeProvider>(clock);
            services?.Invoke(s);
        });
        await server.CreateUsersAsync();
        return server;
    }

    private static Task<ApiResponse> PostAsync(TestServer server, string route, string json, string? token = null) =>
        server.SendAsync(HttpMethod.Post, $"{Users}/{route}", TestCollections.Json(json), token);

    private static async Task<JsonNode> UserAsync(TestServer server, string id) =>
        (await server.AsSuperuser(HttpMethod.Get, $"{Users}/records/{id}")).Json!;

    private static Task<ApiResponse> SignInAsync(TestServer server, string identity, string password) =>
        server.SendAsync(HttpMethod.Post, $"{Users}/auth-with-password", new JsonObject { ["identity"] = identity, ["password"] = password });

    // ---- request-verification ----------------------------------------------------------------------------

    [Fact]
    public async Task RequestVerification_KnownAndUnknownEmail_AnswerTheSameAndOnlyTheKnownGetsAMail()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("me@example.com");

        var known = await PostAsync(server, "request-verification", """{"email":"me@example.com"}""");
        var unknown = await PostAsync(server, "request-verification", """{"email":"nobody@example.com"}""");

        Assert.Equal(204, known.Status);
        Assert.Equal(204, unknown.Status);
        Assert.Equal(known.Text, unknown.Text);
        Assert.Equal("", known.Text);
        Assert.Equal(known.ContentHeaders.Select(h => h.Key).Order(), unknown.ContentHeaders.Select(h => h.Key).Order());
        Assert.Equal(known.Headers.Select(h => h.Key).Order(), unknown.Headers.Select(h => h.Key).Order());
        var mail = Assert.Single(await server.MailsAsync());
        Assert.Equal("me@example.com", mail.To);
        Assert.Equal("Verify your Cairn email", mail.Subject);
        Assert.StartsWith("http://127.0.0.1:0/_/#/auth/confirm-verification/", mail.Link);
    }

    [Theory]
    [InlineData("""{}""", "validation_required")]
    [InlineData("""{"email":""}""", "validation_required")]
    [InlineData("""{"email":"not-an-email"}""", "validation_is_email")]
    public async Task RequestVerification_BadEmail_Is400WithFieldError(string body, string code)
    {
        await using var server = await StartAsync();
        var response = await PostAsync(server, "request-verification", body);
        response.AssertFieldError(Invalid, "email", code);
    }

    [Fact]
    public async Task RequestVerification_Superusers_Is400()
    {
        await using var server = await StartAsync();
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/request-verification",
            TestCollections.Json($$"""{"email":"{{TestServer.SuperuserEmail}}"}"""));
        response.AssertError(400, "All superusers are verified by default.");
    }

    [Fact]
    public async Task RequestVerification_BaseCollection_Is404()
    {
        await using var server = await StartAsync();
        await server.CreatePublicAsync("posts");
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/posts/request-verification", TestCollections.Json("""{"email":"a@example.com"}"""));
        response.AssertError(404, "Missing or invalid auth collection context.");
    }

    [Fact]
    public async Task RequestVerification_ResendWithinTwoMinutes_SendsNothingNewUntilTheWindowPasses()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock);
        await server.CreateUserAsync("me@example.com");

        Assert.Equal(204, (await PostAsync(server, "request-verification", """{"email":"me@example.com"}""")).Status);
        clock.Now += TimeSpan.FromSeconds(119);
        Assert.Equal(204, (await PostAsync(server, "request-verification", """{"email":"me@example.com"}""")).Status);
        Assert.Single(await server.MailsAsync());

        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Equal(204, (await PostAsync(server, "request-verification", """{"email":"me@example.com"}""")).Status);
        Assert.Equal(2, (await server.MailsAsync()).Count);
    }

    [Fact]
    public async Task RequestVerification_AlreadyVerified_SendsNoMail()
    {
        await using var server = await StartAsync();
        await server.CreateRecordAsync("users", """{"email":"me@example.com","password":"password123","passwordConfirm":"password123","verified":true}""");
        Assert.Equal(204, (await PostAsync(server, "request-verification", """{"email":"me@example.com"}""")).Status);
        Assert.Empty(await server.MailsAsync());
    }

    [Fact]
    public async Task RequestVerification_MailFails_StillAnswers204()
    {
        var mailer = new BrokenMailer();
        await using var server = await StartAsync(services: s => s.AddSingleton<IMailer>(mailer));
        await server.CreateUserAsync("me@example.com");

        var response = await PostAsync(server, "request-verification", """{"email":"me@example.com"}""");

        Assert.Equal(204, response.Status);
        await server.Service<MailOutbox>().WhenIdleAsync();
        Assert.Equal(1, mailer.Calls);
    }

    // ---- confirm-verification ----------------------------------------------------------------------------

    [Fact]
    public async Task ConfirmVerification_TokenFromTheMail_VerifiesAndASecondUseChangesNothing()
    {
        await using var server = await StartAsync();
        var (user, _) = await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-verification", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;

        Assert.Equal(204, (await PostAsync(server, "confirm-verification", $$"""{"token":"{{token}}"}""")).Status);
        Assert.True((await UserAsync(server, user.Str("id")))["verified"]!.GetValue<bool>());

        // PocketBase answers a used verification token with 204 again: its work is done, nothing changes.
        var version = (await server.AsSuperuser(HttpMethod.Get, $"{Users}/records/{user.Str("id")}")).Header("ETag");
        Assert.Equal(204, (await PostAsync(server, "confirm-verification", $$"""{"token":"{{token}}"}""")).Status);
        Assert.Equal(version, (await server.AsSuperuser(HttpMethod.Get, $"{Users}/records/{user.Str("id")}")).Header("ETag"));
    }

    [Fact]
    public async Task ConfirmVerification_ExpiredByOneSecond_IsInvalidButValidOneSecondBefore()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock);
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-verification", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;
        var start = clock.Now;

        clock.Now = start + TimeSpan.FromSeconds(86400 + 1);
        (await PostAsync(server, "confirm-verification", $$"""{"token":"{{token}}"}""")).AssertFieldError(Invalid, "token", "validation_invalid_token");

        clock.Now = start + TimeSpan.FromSeconds(86400 - 1);
        Assert.Equal(204, (await PostAsync(server, "confirm-verification", $$"""{"token":"{{token}}"}""")).Status);
    }

    [Fact]
    public async Task ConfirmVerification_PasswordResetToken_IsInvalid()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        var resetToken = Assert.Single(await server.MailsAsync()).Token;

        var response = await PostAsync(server, "confirm-verification", $$"""{"token":"{{resetToken}}"}""");

        response.AssertFieldError(Invalid, "token", "validation_invalid_token");
    }

    [Theory]
    [InlineData("""{}""", "validation_required")]
    [InlineData("""{"token":"not.a.jwt"}""", "validation_invalid_token_claims")]
    public async Task ConfirmVerification_MissingOrMalformedToken_Is400(string body, string code)
    {
        await using var server = await StartAsync();
        (await PostAsync(server, "confirm-verification", body)).AssertFieldError(Invalid, "token", code);
    }

    [Fact]
    public async Task ConfirmVerification_AuthToken_HasNoEmailClaimAndIsRefused()
    {
        await using var server = await StartAsync();
        var (_, authToken) = await server.CreateUserAsync("me@example.com");
        (await PostAsync(server, "confirm-verification", $$"""{"token":"{{authToken}}"}""")).AssertFieldError(Invalid, "token", "validation_invalid_token_claims");
    }

    [Fact]
    public async Task ConfirmVerification_TokenOfAnotherAuthCollection_Is400()
    {
        await using var server = await StartAsync();
        await server.CreateCollectionAsync(new JsonObject { ["name"] = "members", ["type"] = "auth", ["createRule"] = "" });
        await server.CreateRecordAsync("members", """{"email":"m@example.com","password":"password123","passwordConfirm":"password123"}""");
        await server.SendAsync(HttpMethod.Post, "/api/collections/members/request-verification", TestCollections.Json("""{"email":"m@example.com"}"""));
        var token = Assert.Single(await server.MailsAsync()).Token;

        var response = await PostAsync(server, "confirm-verification", $$"""{"token":"{{token}}"}""");

        response.AssertFieldError(Invalid, "token", "validation_token_collection_mismatch");
    }

    [Fact]
    public async Task ConfirmVerification_PasswordAuthOff_AlsoSetsARandomPasswordWhichRevokesTokens()
    {
        await using var server = await StartAsync();
        var (_, authToken) = await server.CreateUserAsync("me@example.com");
        Assert.Equal(200, (await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users",
            TestCollections.Json("""{"passwordAuth":{"enabled":false,"identityFields":["email"]}}"""))).Status);
        await PostAsync(server, "request-verification", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, $"{Users}/auth-refresh", token: authToken)).Status);

        Assert.Equal(204, (await PostAsync(server, "confirm-verification", $$"""{"token":"{{token}}"}""")).Status);

        // the random password rotated the tokenKey, so tokens issued before are dead
        (await server.SendAsync(HttpMethod.Post, $"{Users}/auth-refresh", token: authToken)).AssertError(401);
    }

    // ---- request-password-reset / confirm-password-reset ---------------------------------------------------

    [Fact]
    public async Task RequestPasswordReset_KnownAndUnknownEmail_AnswerTheSame()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("me@example.com");

        var known = await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        var unknown = await PostAsync(server, "request-password-reset", """{"email":"nobody@example.com"}""");

        Assert.Equal((204, ""), (known.Status, known.Text));
        Assert.Equal((204, ""), (unknown.Status, unknown.Text));
        var mail = Assert.Single(await server.MailsAsync());
        Assert.Equal("Reset your Cairn password", mail.Subject);
        Assert.StartsWith("http://127.0.0.1:0/_/#/auth/confirm-password-reset/", mail.Link);
    }

    [Fact]
    public async Task RequestPasswordReset_PasswordAuthOff_Is400()
    {
        await using var server = await StartAsync();
        await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users", TestCollections.Json("""{"passwordAuth":{"enabled":false}}"""));
        var response = await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        response.AssertError(400, "The collection is not configured to allow password authentication.");
    }

    [Fact]
    public async Task RequestPasswordReset_ResendWithinTwoMinutes_SendsNothingNew()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock);
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        clock.Now += TimeSpan.FromSeconds(60);
        Assert.Equal(204, (await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""")).Status);
        Assert.Single(await server.MailsAsync());
    }

    [Fact]
    public async Task ConfirmPasswordReset_Valid_SetsPasswordVerifiesAndRevokesOldTokens()
    {
        await using var server = await StartAsync();
        var (user, oldToken) = await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;

        var response = await PostAsync(server, "confirm-password-reset", $$"""{"token":"{{token}}","password":"new-password-1","passwordConfirm":"new-password-1"}""");

        Assert.Equal(204, response.Status);
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "new-password-1")).Status);
        (await SignInAsync(server, "me@example.com", "password123")).AssertError(400);
        (await server.SendAsync(HttpMethod.Post, $"{Users}/auth-refresh", token: oldToken)).AssertError(401);
        Assert.True((await UserAsync(server, user.Str("id")))["verified"]!.GetValue<bool>());
        // single use: the new password rotated the tokenKey that signed the reset token
        (await PostAsync(server, "confirm-password-reset", $$"""{"token":"{{token}}","password":"new-password-2","passwordConfirm":"new-password-2"}"""))
            .AssertFieldError(Invalid, "token", "validation_invalid_token");
    }

    [Fact]
    public async Task ConfirmPasswordReset_SameTokenTwiceAtOnce_OnlyOneWins()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;

        var answers = await Task.WhenAll(
            PostAsync(server, "confirm-password-reset", $$"""{"token":"{{token}}","password":"first-password","passwordConfirm":"first-password"}"""),
            PostAsync(server, "confirm-password-reset", $$"""{"token":"{{token}}","password":"second-password","passwordConfirm":"second-password"}"""));

        Assert.Equal([204, 400], answers.Select(a => a.Status).Order());
        var winner = answers[0].Status == 204 ? "first-password" : "second-password";
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", winner)).Status);
    }

    [Fact]
    public async Task ConfirmPasswordReset_AuthTokenUsedAsResetToken_IsInvalid()
    {
        await using var server = await StartAsync();
        var (_, authToken) = await server.CreateUserAsync("me@example.com");
        var response = await PostAsync(server, "confirm-password-reset", $$"""{"token":"{{authToken}}","password":"new-password-1","passwordConfirm":"new-password-1"}""");
        response.AssertFieldError(Invalid, "token", "validation_invalid_token");
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123")).Status);
    }

    [Theory]
    [InlineData("new-password-1", "other-password", "passwordConfirm", "validation_values_mismatch")]
    [InlineData("", "", "password", "validation_required")]
    [InlineData("new-password-1", "", "passwordConfirm", "validation_required")]
    public async Task ConfirmPasswordReset_BadPasswords_AreFieldErrors(string password, string confirm, string field, string code)
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;

        var response = await PostAsync(server, "confirm-password-reset", $$"""{"token":"{{token}}","password":"{{password}}","passwordConfirm":"{{confirm}}"}""");

        response.AssertFieldError(Invalid, field, code);
    }

    [Fact]
    public async Task ConfirmPasswordReset_TooShortForTheField_IsAFieldError()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;

        var response = await PostAsync(server, "confirm-password-reset", $$"""{"token":"{{token}}","password":"short","passwordConfirm":"short"}""");

        response.AssertFieldError(Invalid, "password", "validation_length_out_of_range");
        Assert.Equal(200, (await SignInAsync(server, "me@example.com", "password123")).Status);
    }

    [Fact]
    public async Task ConfirmPasswordReset_ExpiredByOneSecond_IsInvalid()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(clock);
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-password-reset", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;

        clock.Now += TimeSpan.FromSeconds(1800 + 1);

        (await PostAsync(server, "confirm-password-reset", $$"""{"token":"{{token}}","password":"new-password-1","passwordConfirm":"new-password-1"}"""))
            .AssertFieldError(Invalid, "token", "validation_invalid_token");
    }

    // ---- request-email-change / confirm-email-change -------------------------------------------------------

    [Fact]
    public async Task RequestEmailChange_Guest_Is401()
    {
        await using var server = await StartAsync();
        (await PostAsync(server, "request-email-change", """{"newEmail":"new@example.com"}""")).AssertError(401);
    }

    [Fact]
    public async Task RequestEmailChange_TokenOfAnotherCollection_Is403()
    {
        await using var server = await StartAsync();
        (await PostAsync(server, "request-email-change", """{"newEmail":"new@example.com"}""", server.SuperuserToken)).AssertError(403);
    }

    [Fact]
    public async Task RequestEmailChange_Superusers_Is400()
    {
        await using var server = await StartAsync();
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/request-email-change",
            TestCollections.Json("""{"newEmail":"new@example.com"}"""), server.SuperuserToken);
        response.AssertError(400, "All superusers can change their emails directly.");
    }

    [Theory]
    [InlineData("", "validation_required")]
    [InlineData("nope", "validation_is_email")]
    [InlineData("me@example.com", "validation_not_in_invalid")]
    [InlineData("taken@example.com", "validation_invalid_new_email")]
    public async Task RequestEmailChange_BadNewEmail_IsAFieldError(string newEmail, string code)
    {
        await using var server = await StartAsync();
        var (_, token) = await server.CreateUserAsync("me@example.com");
        await server.CreateUserAsync("taken@example.com");
        var response = await PostAsync(server, "request-email-change", $$"""{"newEmail":"{{newEmail}}"}""", token);
        response.AssertFieldError(Invalid, "newEmail", code);
    }

    [Fact]
    public async Task EmailChange_RequestThenConfirm_ChangesEmailVerifiesAndRevokesTokens()
    {
        await using var server = await StartAsync();
        var (user, authToken) = await server.CreateUserAsync("me@example.com");

        Assert.Equal(204, (await PostAsync(server, "request-email-change", """{"newEmail":"new@example.com"}""", authToken)).Status);
        var mail = Assert.Single(await server.MailsAsync());
        Assert.Equal("new@example.com", mail.To); // the new address proves it can read the link
        Assert.Equal("Confirm your Cairn new email address", mail.Subject);

        var response = await PostAsync(server, "confirm-email-change", $$"""{"token":"{{mail.Token}}","password":"password123"}""");

        Assert.Equal(204, response.Status);
        var record = await UserAsync(server, user.Str("id"));
        Assert.Equal("new@example.com", record.Str("email"));
        Assert.True(record["verified"]!.GetValue<bool>());
        (await server.SendAsync(HttpMethod.Post, $"{Users}/auth-refresh", token: authToken)).AssertError(401);
        Assert.Equal(200, (await SignInAsync(server, "new@example.com", "password123")).Status);
        (await PostAsync(server, "confirm-email-change", $$"""{"token":"{{mail.Token}}","password":"password123"}""")).AssertFieldError(Invalid, "token", "validation_invalid_token");
    }

    [Fact]
    public async Task ConfirmEmailChange_WrongPassword_IsAFieldErrorAndChangesNothing()
    {
        await using var server = await StartAsync();
        var (user, authToken) = await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-email-change", """{"newEmail":"new@example.com"}""", authToken);
        var token = Assert.Single(await server.MailsAsync()).Token;

        (await PostAsync(server, "confirm-email-change", $$"""{"token":"{{token}}","password":"wrong-password"}"""))
            .AssertFieldError(Invalid, "password", "validation_invalid_password");
        (await PostAsync(server, "confirm-email-change", $$"""{"token":"{{token}}"}"""))
            .AssertFieldError(Invalid, "password", "validation_required");
        Assert.Equal("me@example.com", (await UserAsync(server, user.Str("id"))).Str("email"));
    }

    [Fact]
    public async Task ConfirmEmailChange_NewEmailTakenMeanwhile_IsInvalid()
    {
        await using var server = await StartAsync();
        var (_, authToken) = await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-email-change", """{"newEmail":"new@example.com"}""", authToken);
        var token = Assert.Single(await server.MailsAsync()).Token;
        await server.CreateUserAsync("new@example.com");

        (await PostAsync(server, "confirm-email-change", $$"""{"token":"{{token}}","password":"password123"}"""))
            .AssertFieldError(Invalid, "token", "validation_invalid_token_email");
    }

    [Fact]
    public async Task ConfirmEmailChange_VerificationToken_HasNoNewEmailAndIsRefused()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-verification", """{"email":"me@example.com"}""");
        var token = Assert.Single(await server.MailsAsync()).Token;

        (await PostAsync(server, "confirm-email-change", $$"""{"token":"{{token}}","password":"password123"}"""))
            .AssertFieldError(Invalid, "token", "validation_invalid_token_payload");
    }

    [Fact]
    public async Task ConfirmEmailChange_Superusers_Is400()
    {
        await using var server = await StartAsync();
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/confirm-email-change", TestCollections.Json("""{"token":"x","password":"y"}"""));
        response.AssertError(400, "All superusers can change their emails directly.");
    }

    // ---- links ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task Links_ComeFromTheAppUrl_NeverFromAForgedHostHeader()
    {
        await using var server = await StartAsync(configure: o => o with { AppUrl = "https://app.example.com/", AppName = "Acme" });
        await server.CreateUserAsync("me@example.com");

        var response = await server.SendAsync(HttpMethod.Post, $"{Users}/request-password-reset", TestCollections.Json("""{"email":"me@example.com"}"""),
            configure: r =>
            {
                r.Headers.Host = "evil.example.net";
                r.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example.net");
                r.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
            });

        Assert.Equal(204, response.Status);
        var mail = Assert.Single(await server.MailsAsync());
        Assert.StartsWith("https://app.example.com/_/#/auth/confirm-password-reset/", mail.Link);
        Assert.DoesNotContain("evil", mail.Html);
        Assert.Equal("Reset your Acme password", mail.Subject);
    }

    [Fact]
    public async Task Tokens_CarryTheClaimsOfTheirKind()
    {
        await using var server = await StartAsync();
        var (user, authToken) = await server.CreateUserAsync("me@example.com");
        await PostAsync(server, "request-email-change", """{"newEmail":"new@example.com"}""", authToken);
        var payload = Payload(Assert.Single(await server.MailsAsync()).Token);

        Assert.Equal(TokenService.EmailChange, payload.Str("type"));
        Assert.Equal(user.Str("id"), payload.Str("id"));
        Assert.Equal("me@example.com", payload.Str("email"));
        Assert.Equal("new@example.com", payload.Str("newEmail"));
    }

    private static JsonObject Payload(string token)
    {
        var part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=');
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(part)))!.AsObject();
    }
}
