using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Mail;
using Cairn.Settings;

namespace Cairn.Tests.Settings;

/// <summary>The document both ways: a round trip keeps every value, a PATCH merges over it, secrets follow their own rules.</summary>
public sealed class SettingsJsonTests
{
    private static readonly AppSettings Current = SettingsSeed.FromOptions(new CairnOptions
    {
        Smtp = new SmtpOptions { Host = "mail.example.com", Password = "stored-pass", Security = SmtpSecurity.StartTls },
    });

    private static AppSettings Patched(string patch)
    {
        var document = SettingsJson.ToJson(Current, secrets: true);
        var body = JsonNode.Parse(patch)!.AsObject();
        SettingsJson.Merge(document, body);
        SettingsJson.MergeTlsFlag(document, body);
        var errors = new ValidationErrors();
        var settings = SettingsJson.Parse(document, Current, errors);
        Assert.False(errors.Any, errors.ToJson().ToJsonString());
        return settings;
    }

    [Fact]
    public void RoundTrip_KeepsEveryValue()
    {
        var errors = new ValidationErrors();
        var parsed = SettingsJson.Parse(SettingsJson.ToJson(Current, secrets: true), new AppSettings(), errors);

        Assert.False(errors.Any);
        Assert.Equal(SettingsJson.ToJson(Current, secrets: true).ToJsonString(), SettingsJson.ToJson(parsed, secrets: true).ToJsonString());
    }

    [Theory]
    [InlineData("""{"smtp":{"password":""}}""")]
    [InlineData("""{"smtp":{"password":null}}""")]
    [InlineData("""{"smtp":{"host":"other.example.com"}}""")]
    public void AnEmptyOrMissingSecret_KeepsTheCurrentOne(string patch) => Assert.Equal("stored-pass", Patched(patch).Smtp.Password);

    [Fact]
    public void ANewSecret_ReplacesIt() => Assert.Equal("new-pass", Patched("""{"smtp":{"password":"new-pass"}}""").Smtp.Password);

    [Theory]
    [InlineData("""{"smtp":{"tls":true}}""", SmtpSecurity.Implicit)]
    [InlineData("""{"smtp":{"tls":false}}""", SmtpSecurity.StartTls)]
    [InlineData("""{"smtp":{"tls":true,"security":"none"}}""", SmtpSecurity.None)]
    public void PocketBasesTlsFlag_MovesBetweenImplicitAndStartTls_UnlessSecurityIsSent(string patch, SmtpSecurity expected) =>
        Assert.Equal(expected, Patched(patch).Smtp.Security);

    [Fact]
    public void Lists_AreReplacedWhole_AndUnknownKeysIgnored()
    {
        var settings = Patched("""{"trustedProxy":{"headers":["CF-Connecting-IP"]},"meta":{"color":"red"},"other":1}""");

        Assert.Equal(["CF-Connecting-IP"], settings.TrustedProxy.Headers);
        Assert.Equal(Current.Meta, settings.Meta);
    }

    [Fact]
    public void PublicDocument_HasNoSecrets() =>
        Assert.DoesNotContain("stored-pass", SettingsJson.ToJson(Current, secrets: false).ToJsonString());
}
