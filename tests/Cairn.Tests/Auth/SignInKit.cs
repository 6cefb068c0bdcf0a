using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Cairn.Mail;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Tests.Auth;

/// <summary>
/// A server with a <c>users</c> collection, a hand-moved clock and a mailer that hands mails to the test, for the
/// one-time code, MFA and TOTP scenarios. <c>me@example.com</c> / <c>password123</c> exists from the start.
/// </summary>
internal sealed class SignInKit : IAsyncDisposable
{
    public const string Email = "me@example.com", Password = "password123";

    private SignInKit(TestServer server, ManualClock clock, CapturingMailer mail)
    {
        Server = server;
        Clock = clock;
        Mail = mail;
    }

    public TestServer Server { get; }
    public ManualClock Clock { get; }
    public CapturingMailer Mail { get; }

    /// <summary>Starts the server; <paramref name="otp"/> and <paramref name="mfa"/> are the collection's option objects.</summary>
    public static async Task<SignInKit> StartAsync(string otp = """{"enabled":true}""", string mfa = """{"enabled":false}""", bool verified = true)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var mail = new CapturingMailer();
        var server = await TestServer.StartAsync(services: s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<IMailer>(mail);
        });
        await server.CreateUsersAsync();
        var patch = await server.AsSuperuser(HttpMethod.Patch, "/api/collections/users",
            new JsonObject { ["otp"] = JsonNode.Parse(otp), ["mfa"] = JsonNode.Parse(mfa) });
        Assert.True(patch.Status == 200, patch.Text);
        await server.CreateRecordAsync("users",
            $$"""{"email":"{{Email}}","password":"{{Password}}","passwordConfirm":"{{Password}}","verified":{{(verified ? "true" : "false")}}}""");
        return new SignInKit(server, clock, mail);
    }

    public Task<ApiResponse> PostAsync(string path, string json, string? token = null) =>
        Server.SendAsync(HttpMethod.Post, path, TestCollections.Json(json), token);

    public Task<ApiResponse> PasswordAsync(string query = "", string? extra = null) =>
        PostAsync("/api/collections/users/auth-with-password" + query,
            $$"""{"identity":"{{Email}}","password":"{{Password}}"{{(extra is null ? "" : "," + extra)}}}""");

    public Task<ApiResponse> RequestOtpAsync(string email = Email, string collection = "users") =>
        PostAsync($"/api/collections/{collection}/request-otp", $$"""{"email":"{{email}}"}""");

    public Task<ApiResponse> AuthWithOtpAsync(string otpId, string code, string query = "", string? extra = null, string collection = "users") =>
        PostAsync($"/api/collections/{collection}/auth-with-otp" + query,
            $$"""{"otpId":"{{otpId}}","password":"{{code}}"{{(extra is null ? "" : "," + extra)}}}""");

    /// <summary>Requests a code for <paramref name="email"/> and reads it from the mail; returns the id and the code.</summary>
    public async Task<(string OtpId, string Code)> OtpAsync(string email = Email, string collection = "users")
    {
        var response = await RequestOtpAsync(email, collection);
        Assert.True(response.Status == 200, response.Text);
        var message = await Mail.NextAsync();
        Assert.Equal(email, message.To);
        return (response.Json.Str("otpId"), CapturingMailer.Code(message));
    }

    /// <summary>Signs in with the password and returns the <c>mfaId</c> of the 401 challenge.</summary>
    public async Task<string> MfaIdAsync()
    {
        var first = await PasswordAsync();
        Assert.True(first.Status == 401, first.Text);
        return first.Json.Str("mfaId");
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>Keeps every mail and hands them to the test in order; waits are bounded, so a missing mail fails instead of hanging.</summary>
internal sealed partial class CapturingMailer : IMailer
{
    private readonly Channel<MailMessage> _pending = Channel.CreateUnbounded<MailMessage>();
    private int _sent;

    public int Sent => Volatile.Read(ref _sent);

    public Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _sent);
        _pending.Writer.TryWrite(message);
        return Task.CompletedTask;
    }

    public async Task<MailMessage> NextAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return await _pending.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>The one-time code in a mail built from the default template.</summary>
    public static string Code(MailMessage message) => Digits().Match(FolderMailer.PlainText(message.Html)).Value;

    [GeneratedRegex(@"\b\d{4,}\b")]
    private static partial Regex Digits();
}
