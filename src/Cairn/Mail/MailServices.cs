using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Mail;

/// <summary>Registers the mailer: SMTP when <see cref="CairnOptions.Smtp"/> is set, else the mails folder of the data directory.</summary>
public static class MailServices
{
    public static IServiceCollection AddCairnMail(this IServiceCollection services, CairnOptions options)
    {
        if (options.Smtp is { } smtp)
            services.AddSingleton<IMailer>(s => new SmtpMailer(smtp, s.GetRequiredService<ILogger<SmtpMailer>>()));
        else
            services.AddSingleton<IMailer>(s => new FolderMailer(Path.Combine(options.DataDir, "mails"),
                s.GetRequiredService<TimeProvider>(), s.GetRequiredService<ILogger<FolderMailer>>()));
        services.AddSingleton<MailOutbox>();
        services.AddHostedService(s => s.GetRequiredService<MailOutbox>());
        return services;
    }
}
