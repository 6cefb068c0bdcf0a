using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Cairn.Mail;

/// <summary>
/// Sends mail through the configured SMTP server with MailKit, one connection per mail: auth mails are rare and a
/// pooled connection would need keep-alive and reconnect logic for no gain. The log names recipient and subject,
/// never the body (it holds tokens) nor the SMTP password.
/// </summary>
internal sealed partial class SmtpMailer(SmtpOptions smtp, ILogger<SmtpMailer> logger) : IMailer
{
    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        var mime = new MimeMessage { Subject = message.Subject.ReplaceLineEndings(" ") };
        mime.From.Add(new MailboxAddress(smtp.FromName, smtp.FromAddress));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Body = new BodyBuilder { HtmlBody = message.Html, TextBody = FolderMailer.PlainText(message.Html) }.ToMessageBody();

        using var client = new SmtpClient { Timeout = 30_000 };
        if (smtp.LocalName is { } localName) client.LocalDomain = localName;
        await client.ConnectAsync(smtp.Host, smtp.Port, smtp.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.Implicit => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        }, cancellationToken);
        if (smtp.Username is { Length: > 0 } user)
        {
            // The configured mechanism only, when the server offers it; otherwise MailKit's own choice among what it offers.
            if (smtp.AuthMethod is { } method && client.AuthenticationMechanisms.Contains(method))
                client.AuthenticationMechanisms.RemoveWhere(m => !string.Equals(m, method, StringComparison.OrdinalIgnoreCase));
            await client.AuthenticateAsync(user, smtp.Password ?? "", cancellationToken);
        }
        await client.SendAsync(mime, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
        Sent(logger, message.To, mime.Subject, smtp.Host, smtp.Port);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mail to {To} ({Subject}) sent through {Host}:{Port}.")]
    private static partial void Sent(ILogger logger, string to, string subject, string host, int port);
}
