using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Batch;
using Cairn.Mail;
using Cairn.Observability;
using Cairn.RateLimiting;

namespace Cairn.Settings;

/// <summary>
/// The settings document in PocketBase's JSON shape (POCKETBASE_API.md 1.7), both ways. Written by hand rather than by the
/// serializer: the names are PocketBase's (<c>appURL</c>, <c>superuserIPs</c>), secrets are left out of what clients see,
/// and a value of the wrong type becomes a field error at its path instead of an exception.
/// </summary>
public static class SettingsJson
{
    /// <summary>The document; with <paramref name="secrets"/> false the SMTP password and S3 secret are left out (what clients get).</summary>
    public static JsonObject ToJson(AppSettings settings, bool secrets)
    {
        var smtp = new JsonObject
        {
            ["enabled"] = settings.Smtp.Enabled, ["host"] = settings.Smtp.Host, ["port"] = settings.Smtp.Port, ["username"] = settings.Smtp.Username,
            ["authMethod"] = settings.Smtp.AuthMethod, ["tls"] = settings.Smtp.Security == SmtpSecurity.Implicit,
            ["security"] = SecurityName(settings.Smtp.Security), ["localName"] = settings.Smtp.LocalName,
        };
        var s3 = new JsonObject
        {
            ["enabled"] = settings.S3.Enabled, ["bucket"] = settings.S3.Bucket, ["region"] = settings.S3.Region, ["endpoint"] = settings.S3.Endpoint,
            ["accessKey"] = settings.S3.AccessKey, ["forcePathStyle"] = settings.S3.ForcePathStyle,
        };
        if (secrets)
        {
            smtp["password"] = settings.Smtp.Password;
            s3["secret"] = settings.S3.Secret;
        }
        return new JsonObject
        {
            ["meta"] = new JsonObject
            {
                ["appName"] = settings.Meta.AppName, ["appURL"] = settings.Meta.AppUrl, ["senderName"] = settings.Meta.SenderName,
                ["senderAddress"] = settings.Meta.SenderAddress, ["hideControls"] = settings.Meta.HideControls,
            },
            ["smtp"] = smtp,
            ["s3"] = s3,
            ["batch"] = new JsonObject
            {
                ["enabled"] = settings.Batch.Enabled, ["maxRequests"] = settings.Batch.MaxRequests,
                ["timeout"] = settings.Batch.Timeout.TotalSeconds, ["maxBodySize"] = settings.Batch.MaxBodySize,
            },
            ["rateLimits"] = RateLimits(settings.RateLimits),
            ["trustedProxy"] = new JsonObject
            {
                ["headers"] = Strings(settings.TrustedProxy.Headers), ["useLeftmostIP"] = settings.TrustedProxy.UseLeftmostIP,
                ["proxies"] = Strings(settings.TrustedProxy.Proxies),
            },
            ["logs"] = new JsonObject
            {
                ["maxDays"] = settings.Logs.MaxDays, ["minLevel"] = settings.Logs.MinLevel, ["logIP"] = settings.Logs.LogIP, ["logAuthId"] = settings.Logs.LogAuthId,
            },
            ["superuserIPs"] = Strings(settings.SuperuserIPs),
        };
    }

    public static JsonObject RateLimits(RateLimitSettings limits) => JsonSerializer.SerializeToNode(limits, CairnJson.Options)!.AsObject();

    /// <summary>
    /// Reads a whole document (the stored one, or the current one with a PATCH merged over it); type errors go to
    /// <paramref name="errors"/> under their path and leave the value of <paramref name="fallback"/>.
    /// </summary>
    public static AppSettings Parse(JsonObject document, AppSettings fallback, ValidationErrors errors)
    {
        var meta = SettingsSection.Of(document, "meta");
        var smtp = SettingsSection.Of(document, "smtp");
        var s3 = SettingsSection.Of(document, "s3");
        var batch = SettingsSection.Of(document, "batch");
        var limits = SettingsSection.Of(document, "rateLimits");
        var proxy = SettingsSection.Of(document, "trustedProxy");
        var logs = SettingsSection.Of(document, "logs");
        var root = SettingsSection.Of(document, null);
        var f = fallback;
        var settings = new AppSettings
        {
            Meta = new MetaSettings
            {
                AppName = meta.String("appName", f.Meta.AppName), AppUrl = meta.String("appURL", f.Meta.AppUrl).TrimEnd('/'),
                SenderName = meta.String("senderName", f.Meta.SenderName), SenderAddress = meta.String("senderAddress", f.Meta.SenderAddress),
                HideControls = meta.Bool("hideControls", f.Meta.HideControls),
            },
            Smtp = new SmtpSettings
            {
                Enabled = smtp.Bool("enabled", f.Smtp.Enabled), Host = smtp.String("host", f.Smtp.Host), Port = smtp.Int("port", f.Smtp.Port),
                Username = smtp.String("username", f.Smtp.Username), Password = smtp.String("password", f.Smtp.Password),
                AuthMethod = smtp.String("authMethod", f.Smtp.AuthMethod), LocalName = smtp.String("localName", f.Smtp.LocalName),
                Security = smtp.String("security", SecurityName(f.Smtp.Security)) switch
                {
                    "none" => SmtpSecurity.None, "implicit" => SmtpSecurity.Implicit, "starttls" => SmtpSecurity.StartTls,
                    _ => smtp.Invalid("security", "Must be none, starttls or implicit.", f.Smtp.Security),
                },
            },
            S3 = new S3Settings
            {
                Enabled = s3.Bool("enabled", f.S3.Enabled), Bucket = s3.String("bucket", f.S3.Bucket), Region = s3.String("region", f.S3.Region),
                Endpoint = s3.String("endpoint", f.S3.Endpoint), AccessKey = s3.String("accessKey", f.S3.AccessKey), Secret = s3.String("secret", f.S3.Secret),
                ForcePathStyle = s3.Bool("forcePathStyle", f.S3.ForcePathStyle),
            },
            Batch = new BatchOptions
            {
                Enabled = batch.Bool("enabled", f.Batch.Enabled), MaxRequests = batch.Int("maxRequests", f.Batch.MaxRequests),
                Timeout = TimeSpan.FromSeconds(batch.Number("timeout", f.Batch.Timeout.TotalSeconds)),
                MaxBodySize = OrDefault(batch.Long("maxBodySize", f.Batch.MaxBodySize), new BatchOptions().MaxBodySize),
            },
            RateLimits = new RateLimitSettings
            {
                Enabled = limits.Bool("enabled", f.RateLimits.Enabled), ExcludedIPs = limits.Strings("excludedIPs", f.RateLimits.ExcludedIPs),
                Rules = limits.Rules("rules", f.RateLimits.Rules),
            },
            TrustedProxy = new TrustedProxySettings
            {
                Headers = proxy.Strings("headers", f.TrustedProxy.Headers), UseLeftmostIP = proxy.Bool("useLeftmostIP", f.TrustedProxy.UseLeftmostIP),
                Proxies = proxy.Strings("proxies", f.TrustedProxy.Proxies),
            },
            Logs = new LogsSettings
            {
                MaxDays = logs.Int("maxDays", f.Logs.MaxDays), MinLevel = logs.Int("minLevel", f.Logs.MinLevel),
                LogIP = logs.Bool("logIP", f.Logs.LogIP), LogAuthId = logs.Bool("logAuthId", f.Logs.LogAuthId),
            },
            SuperuserIPs = root.Strings("superuserIPs", f.SuperuserIPs),
        };
        errors.Include(root.Errors);
        foreach (var section in new[] { meta, smtp, s3, batch, limits, proxy, logs })
        {
            if (document[section.Name!] is { } value && value is not JsonObject) errors.Add(section.Name!, "validation_invalid_value", "Must be an object.");
            errors.Nest(section.Name!, section.Errors);
        }
        return settings;
    }

    /// <summary>
    /// Merges a PATCH body over the current document (secrets included): objects key by key, anything else replaced whole.
    /// Keys the document does not have are ignored, and an empty or missing secret keeps the stored one.
    /// </summary>
    public static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (!target.ContainsKey(key)) continue;
            if (target[key] is JsonObject inner && value is JsonObject innerPatch) Merge(inner, innerPatch);
            else if (key is "password" or "secret" && IsBlank(value)) continue;
            else target[key] = value?.DeepClone();
        }
    }

    /// <summary>PocketBase's <c>tls</c> alone says implicit TLS or not; sent without <c>security</c>, it moves between implicit and STARTTLS.</summary>
    public static void MergeTlsFlag(JsonObject document, JsonObject patch)
    {
        if (patch["smtp"] is not JsonObject smtp || smtp.ContainsKey("security") || smtp["tls"] is not JsonValue tls || !tls.TryGetValue<bool>(out var implicitTls)) return;
        var current = document["smtp"]!["security"]?.GetValue<string>();
        document["smtp"]!["security"] = implicitTls ? "implicit" : current == "implicit" ? "starttls" : current;
    }

    // PocketBase's batch.maxBodySize: 0 means the default (128 MiB), not "nothing".
    private static long OrDefault(long value, long fallback) => value == 0 ? fallback : value;

    private static bool IsBlank(JsonNode? value) => value is null || value is JsonValue v && v.TryGetValue<string>(out var text) && text.Length == 0;

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static string SecurityName(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => "none",
        SmtpSecurity.Implicit => "implicit",
        _ => "starttls",
    };
}
