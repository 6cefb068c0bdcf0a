using Cairn.Api;
using Cairn.Mail;
using Cairn.Observability;

namespace Cairn.Settings;

/// <summary>
/// The settings the start-up flags describe: what a data folder uses until a superuser first saves settings, and the
/// base a stored document is read over (a section or key it lacks keeps the flag's value).
/// </summary>
public static class SettingsSeed
{
    public static AppSettings FromOptions(CairnOptions options)
    {
        var smtp = options.Smtp;
        return new AppSettings
        {
            Meta = new MetaSettings
            {
                AppName = options.AppName,
                AppUrl = options.PublicUrl,
                SenderName = smtp?.FromName is { Length: > 0 } name ? name : options.AppName,
                SenderAddress = smtp?.FromAddress ?? "noreply@example.com",
            },
            Smtp = smtp is null
                ? new SmtpSettings()
                : new SmtpSettings
                {
                    Enabled = true, Host = smtp.Host, Port = smtp.Port, Username = smtp.Username ?? "", Password = smtp.Password ?? "",
                    Security = smtp.Security, AuthMethod = smtp.AuthMethod ?? "PLAIN", LocalName = smtp.LocalName ?? "",
                },
            S3 = options.S3 is { } s3
                ? new S3Settings
                {
                    Enabled = true, Endpoint = s3.Endpoint, Bucket = s3.Bucket, Region = s3.Region, AccessKey = s3.AccessKey,
                    Secret = s3.SecretKey, ForcePathStyle = s3.ForcePathStyle,
                }
                : new S3Settings { Region = "us-east-1" },
            Batch = options.Batch,
            RateLimits = options.RateLimits,
            TrustedProxy = new TrustedProxySettings { Proxies = options.TrustedProxies },
            Logs = new LogsSettings { MaxDays = options.LogsMaxDays },
        };
    }

    /// <summary>The flags whose value <paramref name="stored"/> replaces, for the one start-up line that says so (never a value: some are secrets).</summary>
    public static IReadOnlyList<string> OverriddenFlags(AppSettings flags, AppSettings stored)
    {
        var names = new List<string>();
        if (flags.Meta.AppName != stored.Meta.AppName) names.Add("--app-name");
        if (flags.Meta.AppUrl != stored.Meta.AppUrl) names.Add("--app-url");
        if (flags.Meta.SenderAddress != stored.Meta.SenderAddress || flags.Meta.SenderName != stored.Meta.SenderName) names.Add("--smtp-from");
        if (flags.Smtp != stored.Smtp) names.Add("--smtp");
        if (flags.S3 != stored.S3) names.Add("--s3-*");
        if (!flags.TrustedProxy.Proxies.SequenceEqual(stored.TrustedProxy.Proxies)) names.Add("--trusted-proxy");
        if (flags.Logs.MaxDays != stored.Logs.MaxDays) names.Add("--logs-max-days");
        if (SettingsJson.RateLimits(flags.RateLimits).ToJsonString() != SettingsJson.RateLimits(stored.RateLimits).ToJsonString()) names.Add("--rate-limits");
        return names;
    }
}
