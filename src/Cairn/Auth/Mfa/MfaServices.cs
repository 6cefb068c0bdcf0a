using Cairn.Auth.Otp;
using Cairn.Auth.Totp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cairn.Auth.Mfa;

/// <summary>Registers one-time codes, MFA and TOTP; their routes are <see cref="OtpApi"/> and <see cref="TotpApi"/>.</summary>
public static class MfaServices
{
    public static IServiceCollection AddMfa(this IServiceCollection services)
    {
        services.TryAddSingleton<AttemptCounter>();
        services.TryAddSingleton<OwnedRows>();
        services.AddSingleton<MfaGate>();
        services.AddSingleton<TotpStore>();
        services.AddSingleton<TotpAttempts>();
        services.AddSingleton<OneTimeCodes>();
        return services;
    }
}
