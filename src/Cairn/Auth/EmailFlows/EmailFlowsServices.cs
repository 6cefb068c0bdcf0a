using Cairn.Auth.Alerts;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Auth.EmailFlows;

/// <summary>Registers the email flows and login alerts (the mailer itself is <see cref="Mail.MailServices.AddCairnMail"/>).</summary>
public static class EmailFlowsServices
{
    public static IServiceCollection AddEmailFlows(this IServiceCollection services)
    {
        services.AddSingleton<ResendGuard>();
        services.AddSingleton<AuthMails>();
        services.AddSingleton<LoginAlerts>();
        return services;
    }
}
