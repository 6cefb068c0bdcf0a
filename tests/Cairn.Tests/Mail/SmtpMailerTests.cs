using System.Text.Json.Nodes;
using Cairn.Mail;
using Cairn.Tests.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cairn.Tests.Mail;

/// <summary>The SMTP mailer against a real SMTP server on loopback (<see cref="SmtpSink"/>), and how <c>--smtp</c> is parsed.</summary>
public sealed class SmtpMailerTests
{
    [Fact]
    public async Task SendAsync_DeliversSubjectRecipientSenderAndBothBodies()
    {
        await using var sink = new SmtpSink();
        var mailer = new SmtpMailer(new SmtpOptions
        {
            Host = "127.0.0.1", Port = sink.Port, Security = SmtpSecurity.None,
            Username = "mailer", Password = "s3cret:pass", FromAddress = "noreply@acme.test", FromName = "Acme",
        }, NullLogger<SmtpMailer>.Instance);

        await mailer.SendAsync(new MailMessage("me@example.com", "Hello\r\nBcc: evil@example.com", "<p>Open <a href=\"https://app.test/x\">this</a></p>"),
            TestContext.Current.CancellationToken);

        var delivery = await sink.NextAsync();
        Assert.Equal("noreply@acme.test", delivery.From);
        Assert.Equal(["me@example.com"], delivery.Recipients);
        Assert.Equal(("mailer", "s3cret:pass"), (delivery.User, delivery.Password));
        Assert.Equal("Hello Bcc: evil@example.com", delivery.Message.Subject); // a line break cannot add a header
        Assert.Empty(delivery.Message.Bcc);
        Assert.Equal("Acme", delivery.Message.From.Mailboxes.Single().Name);
        Assert.Contains("href=\"https://app.test/x\"", delivery.Message.HtmlBody);
        Assert.Equal("Open this (https://app.test/x)", delivery.Message.TextBody!.Trim()); // a text-only reader still sees the link
    }

    [Fact]
    public async Task SendAsync_NoServerListening_Throws()
    {
        int port;
        await using (var sink = new SmtpSink()) port = sink.Port;
        var mailer = new SmtpMailer(new SmtpOptions { Host = "127.0.0.1", Port = port, Security = SmtpSecurity.None }, NullLogger<SmtpMailer>.Instance);
        await Assert.ThrowsAnyAsync<Exception>(() => mailer.SendAsync(new MailMessage("me@example.com", "s", "<p>b</p>"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Server_WithSmtpConfigured_SendsTheResetMailWithItsLinkThroughSmtp()
    {
        await using var sink = new SmtpSink();
        await using var server = await TestServer.StartAsync(o => o with
        {
            AppUrl = "https://app.example.com",
            Smtp = new SmtpOptions { Host = "127.0.0.1", Port = sink.Port, Security = SmtpSecurity.None, FromAddress = "noreply@example.com" },
        });
        await server.CreateUsersAsync();
        await server.CreateUserAsync("me@example.com");

        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/users/request-password-reset", TestCollections.Json("""{"email":"me@example.com"}"""));

        Assert.Equal(204, response.Status);
        var delivery = await sink.NextAsync();
        Assert.Equal(["me@example.com"], delivery.Recipients);
        Assert.Equal("Reset your Cairn password", delivery.Message.Subject);
        Assert.Contains("https://app.example.com/_/#/auth/confirm-password-reset/ey", delivery.Message.HtmlBody);
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "mails")));
    }

    [Fact]
    public void TryParse_SmtpUrl_ReadsCredentialsHostPortAndStartTls()
    {
        var smtp = SmtpOptions.TryParse("smtp://user%40acme:p%3Ass@mail.acme.test:2525", null, out var problem);
        Assert.Null(problem);
        Assert.Equal(("mail.acme.test", 2525, "user@acme", "p:ss", SmtpSecurity.StartTls),
            (smtp!.Host, smtp.Port, smtp.Username, smtp.Password, smtp.Security));
    }

    [Theory]
    [InlineData("smtps://mail.acme.test", null, 465, SmtpSecurity.Implicit)]
    [InlineData("smtp://mail.acme.test", null, 587, SmtpSecurity.StartTls)]
    [InlineData("smtp://localhost:25", "none", 25, SmtpSecurity.None)]
    [InlineData("smtp://mail.acme.test:465", "implicit", 465, SmtpSecurity.Implicit)]
    public void TryParse_SchemeAndTlsFlag_DecideSecurityAndDefaultPort(string url, string? tls, int port, SmtpSecurity security)
    {
        var smtp = SmtpOptions.TryParse(url, tls, out _);
        Assert.Equal((port, security), (smtp!.Port, smtp.Security));
    }

    [Theory]
    [InlineData("mail.acme.test:587", null)]
    [InlineData("http://mail.acme.test", null)]
    [InlineData("smtp://mail.acme.test", "ssl")]
    public void TryParse_NotAnSmtpUrl_GivesAProblem(string url, string? tls)
    {
        Assert.Null(SmtpOptions.TryParse(url, tls, out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void ToString_NeverPrintsThePassword()
    {
        var options = new CairnOptions { Smtp = SmtpOptions.TryParse("smtp://user:hunter2-secret@mail.acme.test", null, out _) };
        Assert.DoesNotContain("hunter2-secret", options.ToString());
        Assert.Contains("mail.acme.test", options.ToString());
    }

    [Theory]
    [InlineData("ftp://app.example.com")]
    [InlineData("/relative")]
    public void Validate_AppUrlThatIsNotHttp_IsRefused(string url)
    {
        Assert.Contains("--app-url", new CairnOptions { AppUrl = url }.Validate());
    }

    [Fact]
    public void PublicUrl_DefaultsToTheListenAddress()
    {
        Assert.Equal("http://127.0.0.1:8090", new CairnOptions().PublicUrl);
        Assert.Equal("https://app.example.com", new CairnOptions { AppUrl = "https://app.example.com/" }.PublicUrl);
    }

    private static JsonObject Unused() => new();
}
