using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Mail;

/// <summary>Registers the mailer: SMTP while <c>settings.smtp</c> is enabled, else the mails folder of the data directory, chosen per mail.</summary>
public static class MailServices
{
    public static IServiceCollection AddCairnMail(this IServiceCollection services, CairnOptions options)
    {
        services.AddSingleton(s => new FolderMailer(Path.Combine(options.DataDir, "mails"),
            s.GetRequiredService<TimeProvider>(), s.GetRequiredService<ILogger<FolderMailer>>()));
        services.AddSingleton<IMailer, SettingsMailer>();
        services.AddSingleton<MailOutbox>();
        services.AddHostedService(s => s.GetRequiredService<MailOutbox>());
        return services;
    }
}
