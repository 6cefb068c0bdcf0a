using Cairn.Settings;
using Microsoft.Extensions.Logging;

namespace Cairn.Mail;

/// <summary>
/// The mailer that follows <c>settings.smtp</c>: each mail goes through the SMTP server configured at the moment it is
/// sent, or into the mails folder while SMTP is off, so a change applies to the next mail without a restart. SMTP
/// already opens one connection per mail (<see cref="SmtpMailer"/>), so choosing per mail costs nothing more.
/// </summary>
internal sealed class SettingsMailer(LiveSettings settings, FolderMailer folder, ILoggerFactory loggers) : IMailer
{
    public Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        var current = settings.Current;
        return current.Smtp.Enabled
            ? new SmtpMailer(current.Smtp.ToOptions(current.Meta), loggers.CreateLogger<SmtpMailer>()).SendAsync(message, cancellationToken)
            : folder.SendAsync(message, cancellationToken);
    }
}
