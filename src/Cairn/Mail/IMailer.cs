namespace Cairn.Mail;

/// <summary>Sends mail: through SMTP when configured, otherwise into a folder of the data directory.</summary>
public interface IMailer
{
    Task SendAsync(MailMessage message, CancellationToken cancellationToken = default);
}
