using System.Text.Json.Nodes;
using Cairn.Api;
using Microsoft.Extensions.Logging;

namespace Cairn.Settings;

/// <summary>
/// Loads the settings at start and changes them at run time. Precedence: the flags (<see cref="SettingsSeed"/>) until a
/// superuser first saves settings; from then on the stored document wins over the flags at every start, and one line
/// names the flags it overrides. A secret that came from a flag or the environment (SMTP password, S3 secret) is never
/// written to the database: the stored document holds a secret only once one is PATCHed.
/// </summary>
public sealed partial class SettingsService(SettingsStore store, LiveSettings live, CairnOptions options, ILogger<SettingsService> logger)
{
    private readonly SemaphoreSlim _writer = new(1, 1);
    private StoredSecrets _stored = new(null, null);

    /// <summary>Which secrets the stored document holds; null ones come from the flags and stay out of the database.</summary>
    private sealed record StoredSecrets(string? SmtpPassword, string? S3Secret);

    public AppSettings Current => live.Current;

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await store.InitializeAsync(cancellationToken);
        if (await store.LoadAsync(cancellationToken) is not { } stored) return; // the flags' settings are already in force
        var flags = SettingsSeed.FromOptions(options);
        var document = SettingsJson.ToJson(flags, secrets: true);
        SettingsJson.Merge(document, stored);
        var errors = new ValidationErrors();
        var settings = SettingsJson.Parse(document, flags, errors);
        if (!errors.Any) SettingsValidator.Validate(settings, errors);
        // Validated when saved; a document edited by hand that no longer is stops the start (one line from the CLI) rather than half-applying.
        if (errors.Any) throw new Cli.CliException($"The stored settings (_params) are not valid; fix or delete the row: {errors.ToJson().ToJsonString()}");
        _stored = new StoredSecrets(Secret(stored, "smtp", "password"), Secret(stored, "s3", "secret"));
        if (SettingsSeed.OverriddenFlags(flags, settings) is { Count: > 0 } overridden) FlagsOverridden(logger, string.Join(", ", overridden));
        live.Apply(settings);
    }

    /// <summary>
    /// Merges <paramref name="patch"/> over the current settings, validates, stores (durably) and applies them, in that
    /// order; throws a 400 <see cref="ApiException"/> with the field errors and changes nothing when they are not valid.
    /// </summary>
    public async Task<AppSettings> UpdateAsync(JsonObject patch, CancellationToken cancellationToken = default)
    {
        // One change at a time: two concurrent PATCHes would otherwise each merge over the same old document and lose one.
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var current = live.Current;
            var document = SettingsJson.ToJson(current, secrets: true);
            SettingsJson.Merge(document, patch);
            SettingsJson.MergeTlsFlag(document, patch);
            var errors = new ValidationErrors();
            var settings = SettingsJson.Parse(document, current, errors);
            if (!errors.Any) SettingsValidator.Validate(settings, errors);
            errors.ThrowIfAny("An error occurred while validating the submitted data.");

            var stored = new StoredSecrets(
                Secret(patch, "smtp", "password") ?? _stored.SmtpPassword,
                Secret(patch, "s3", "secret") ?? _stored.S3Secret);
            var saved = SettingsJson.ToJson(settings, secrets: false);
            if (stored.SmtpPassword is { } password) saved["smtp"]!["password"] = password;
            if (stored.S3Secret is { } secret) saved["s3"]!["secret"] = secret;
            await store.SaveAsync(saved, cancellationToken);
            _stored = stored;
            live.Apply(settings);
            Changed(logger);
            return settings;
        }
        finally
        {
            _writer.Release();
        }
    }

    private static string? Secret(JsonObject document, string section, string key) =>
        document[section]?[key] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored settings (saved through PATCH /api/settings) override these start-up flags: {Flags}.")]
    private static partial void FlagsOverridden(ILogger logger, string flags);

    // Which values changed is not logged: some of them are secrets.
    [LoggerMessage(Level = LogLevel.Information, Message = "Settings changed and applied.")]
    private static partial void Changed(ILogger logger);
}
