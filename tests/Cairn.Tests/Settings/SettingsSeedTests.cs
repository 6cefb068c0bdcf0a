using Cairn.Mail;
using Cairn.Settings;

namespace Cairn.Tests.Settings;

/// <summary>The settings the flags describe, and which flags a stored document overrides (named in one line at start).</summary>
public sealed class SettingsSeedTests
{
    private static readonly CairnOptions Flags = new()
    {
        AppName = "Acme", AppUrl = "https://acme.example.com/", TrustedProxies = ["10.0.0.0/8"], LogsMaxDays = 9,
        Smtp = SmtpOptions.TryParse("smtps://user:secret-pass@mail.acme.test", null, out _)! with { FromAddress = "hi@acme.test", FromName = "Acme Team" },
    };

    [Fact]
    public void FromOptions_CarriesEveryFlagIntoItsSection()
    {
        var settings = SettingsSeed.FromOptions(Flags);

        Assert.Equal(("Acme", "https://acme.example.com"), (settings.Meta.AppName, settings.Meta.AppUrl));
        Assert.Equal(("Acme Team", "hi@acme.test"), (settings.Meta.SenderName, settings.Meta.SenderAddress));
        Assert.Equal((true, "mail.acme.test", 465, SmtpSecurity.Implicit, "secret-pass"),
            (settings.Smtp.Enabled, settings.Smtp.Host, settings.Smtp.Port, settings.Smtp.Security, settings.Smtp.Password));
        Assert.Equal(["10.0.0.0/8"], settings.TrustedProxy.Proxies);
        Assert.Equal(9, settings.Logs.MaxDays);
        Assert.False(settings.S3.Enabled);
        Assert.DoesNotContain("secret-pass", settings.Smtp.ToString());
    }

    [Fact]
    public void OverriddenFlags_NameEachFlagWhoseValueTheStoredDocumentReplaces()
    {
        var flags = SettingsSeed.FromOptions(Flags);
        var stored = flags with
        {
            Meta = flags.Meta with { AppUrl = "https://other.example.com" },
            Smtp = flags.Smtp with { Port = 2525 },
            Logs = flags.Logs with { LogIP = false }, // not a flag
            RateLimits = flags.RateLimits with { Enabled = true },
        };

        Assert.Equal(["--app-url", "--smtp", "--rate-limits"], SettingsSeed.OverriddenFlags(flags, stored));
        Assert.Empty(SettingsSeed.OverriddenFlags(flags, flags with { }));
    }
}
