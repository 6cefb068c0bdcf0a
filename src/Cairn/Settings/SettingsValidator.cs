using Cairn.Api;
using Cairn.Records;

namespace Cairn.Settings;

/// <summary>
/// The rules a settings document must meet before it is stored, reported as PocketBase does: nested per section and
/// field (<c>{"meta":{"appURL":{"code":"validation_is_url",…}}}</c>), list items by index (<c>superuserIPs.0</c>).
/// </summary>
public static class SettingsValidator
{
    public static void Validate(AppSettings settings, ValidationErrors errors)
    {
        errors.Nest("meta", Meta(settings.Meta));
        errors.Nest("smtp", Smtp(settings.Smtp));
        errors.Nest("s3", S3(settings.S3));
        errors.Nest("batch", Batch(settings.Batch));
        errors.Nest("rateLimits", RateLimits(settings.RateLimits));
        errors.Nest("trustedProxy", TrustedProxy(settings.TrustedProxy));
        errors.Nest("logs", new ValidationErrors()
            .AddIf(settings.Logs.MaxDays < 0, "maxDays", Min(0))
            .AddIf(settings.Logs.MaxDays > 36_500, "maxDays", Max(36_500)));
        errors.Nest("superuserIPs", Networks(settings.SuperuserIPs));
    }

    private static ValidationErrors Meta(MetaSettings meta) => new ValidationErrors()
        .AddIf(meta.AppName.Length == 0, "appName", Required)
        .AddIf(meta.AppName.Length > 255, "appName", TooLong)
        .AddIf(meta.AppUrl.Length == 0, "appURL", Required)
        .AddIf(!IsHttpUrl(meta.AppUrl), "appURL", ("validation_is_url", "Must be a valid URL."))
        .AddIf(meta.SenderName.Length > 255, "senderName", TooLong)
        .AddIf(meta.SenderAddress.Length == 0, "senderAddress", Required)
        .AddIf(!RecordValidator.IsEmail(meta.SenderAddress), "senderAddress", ("validation_is_email", "Must be a valid email address."));

    private static ValidationErrors Smtp(SmtpSettings smtp) => new ValidationErrors()
        .AddIf(smtp.Enabled && smtp.Host.Length == 0, "host", Required)
        .AddIf(smtp.Host.Length > 0 && Uri.CheckHostName(smtp.Host) == UriHostNameType.Unknown, "host", ("validation_is_host", "Must be a valid hostname."))
        .AddIf(smtp.Port is < 1 or > 65535 && (smtp.Enabled || smtp.Port != 0), "port", ("validation_out_of_range", "Must be between 1 and 65535."))
        .AddIf(smtp.AuthMethod is not ("PLAIN" or "LOGIN"), "authMethod", ("validation_in_invalid", "Must be PLAIN or LOGIN."))
        .AddIf(smtp.LocalName.Length > 0 && Uri.CheckHostName(smtp.LocalName) == UriHostNameType.Unknown, "localName", ("validation_is_host", "Must be a valid hostname."));

    private static ValidationErrors S3(S3Settings s3) => new ValidationErrors()
        .AddIf(s3.Enabled && s3.Endpoint.Length == 0, "endpoint", Required)
        .AddIf(s3.Endpoint.Length > 0 && !IsHttpUrl(s3.Endpoint), "endpoint", ("validation_is_url", "Must be a valid URL."))
        .AddIf(s3.Enabled && s3.Bucket.Length == 0, "bucket", Required)
        .AddIf(s3.Enabled && s3.Region.Length == 0, "region", Required)
        .AddIf(s3.Enabled && s3.AccessKey.Length == 0, "accessKey", Required)
        .AddIf(s3.Enabled && s3.Secret.Length == 0, "secret", Required);

    private static ValidationErrors Batch(Batch.BatchOptions batch) => new ValidationErrors()
        .AddIf(batch.MaxRequests < (batch.Enabled ? 1 : 0), "maxRequests", Min(batch.Enabled ? 1 : 0))
        .AddIf(batch.Timeout <= TimeSpan.Zero && batch.Enabled, "timeout", ("validation_required", "Must be more than 0 seconds."))
        .AddIf(batch.Timeout < TimeSpan.Zero, "timeout", Min(0))
        .AddIf(batch.Timeout > TimeSpan.FromDays(1), "timeout", Max(86_400)) // a cancellation timer takes at most ~24 days
        .AddIf(batch.MaxBodySize < 0, "maxBodySize", Min(0));

    private static ValidationErrors RateLimits(RateLimiting.RateLimitSettings limits)
    {
        var rules = new ValidationErrors();
        for (var i = 0; i < limits.Rules.Count; i++)
            if (limits.Rules[i].Problem() is var (field, message))
                rules.Nest(i.ToString(), new ValidationErrors().Add(field, "validation_invalid_value", message));
        return new ValidationErrors().Nest("rules", rules).Nest("excludedIPs", Networks(limits.ExcludedIPs));
    }

    private static ValidationErrors TrustedProxy(TrustedProxySettings proxy)
    {
        var headers = new ValidationErrors();
        for (var i = 0; i < proxy.Headers.Count; i++)
            headers.AddIf(!IsHeaderName(proxy.Headers[i]), i.ToString(), ("validation_invalid_value", "Must be an HTTP header name."));
        return new ValidationErrors().Nest("headers", headers).Nest("proxies", Networks(proxy.Proxies));
    }

    private static ValidationErrors Networks(IReadOnlyList<string> values)
    {
        var errors = new ValidationErrors();
        for (var i = 0; i < values.Count; i++)
            errors.AddIf(!ClientIpResolver.TryParseNetwork(values[i], out _), i.ToString(), ("validation_invalid_value", "Must be an IP address or CIDR range."));
        return errors;
    }

    private static readonly (string, string) Required = ("validation_required", "Cannot be blank.");
    private static readonly (string, string) TooLong = ("validation_length_out_of_range", "The length must be between 1 and 255.");

    private static (string, string) Max(int max) => ("validation_max_less_equal_than_required", $"Must be no greater than {max}.");

    private static (string, string) Min(int min) => ("validation_min_greater_equal_than_required", $"Must be no less than {min}.");

    private static bool IsHttpUrl(string value) => Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Host.Length > 0;

    // RFC 9110 token characters: a name with anything else could never arrive as a header.
    private static bool IsHeaderName(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    private static ValidationErrors AddIf(this ValidationErrors errors, bool condition, string field, (string Code, string Message) error) =>
        condition ? errors.Add(field, error.Code, error.Message) : errors;
}
