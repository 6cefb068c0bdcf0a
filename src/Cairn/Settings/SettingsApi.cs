using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Auth.EmailFlows;
using Cairn.Collections;
using Cairn.Mail;
using Cairn.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Cairn.Settings;

/// <summary>
/// The settings for superusers (POCKETBASE_API.md 1.7); secrets (<c>smtp.password</c>, <c>s3.secret</c>) are never returned:
/// <code>
/// GET   /api/settings              the whole document
/// PATCH /api/settings              partial deep merge, validated, stored, applied; the whole document back
/// POST  /api/settings/test/email   {email, template, collection} → 204 once the current mailer has taken the mail
/// POST  /api/settings/test/s3      {filesystem: "storage"} → 204 once a probe object was written, read and deleted
/// </code>
/// </summary>
public static partial class SettingsApi
{
    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder app)
    {
        var settings = app.MapGroup("/api/settings").AddEndpointFilter((context, next) =>
        {
            RuleGuard.RequireSuperuser(RequestAuth.Of(context.HttpContext));
            return next(context);
        });
        settings.MapGet("", (SettingsService service) => Document(service.Current));
        settings.MapPatch("", Update);
        settings.MapPost("/test/email", TestEmail);
        settings.MapPost("/test/s3", TestS3);
        return app;
    }

    private static IResult Document(AppSettings settings) => new PickedJson(SettingsJson.ToJson(settings, secrets: false));

    private static async Task<IResult> Update(HttpContext context, SettingsService service)
    {
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        return Document(await service.UpdateAsync(body, context.RequestAborted));
    }

    private static async Task<IResult> TestEmail(HttpContext context, CollectionRegistry registry, AuthMails mails, IMailer mailer, ILoggerFactory loggers)
    {
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var email = Text(body, "email");
        var template = Text(body, "template");
        var collectionName = Text(body, "collection") is { Length: > 0 } name ? name : Collection.SuperusersId;
        var errors = new ValidationErrors();
        if (email.Length == 0) errors.Add("email", "validation_required", "Cannot be blank.");
        else if (!RecordValidator.IsEmail(email)) errors.Add("email", "validation_is_email", "Must be a valid email address.");
        if (template.Length == 0) errors.Add("template", "validation_required", "Cannot be blank.");
        else if (!AuthMails.Templates.ContainsKey(template)) errors.Add("template", "validation_in_invalid", "Must be a valid value.");
        var collection = registry.Find(collectionName);
        if (collection is not { IsAuth: true }) errors.Add("collection", "validation_invalid_value", "Must be an auth collection.");
        errors.ThrowIfAny("An error occurred while validating the submitted data.");
        try
        {
            await mailer.SendAsync(mails.Sample(collection!, template, email), context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception may name the server, never the password: logged for the operator, the client gets a plain 400.
            TestMailFailed(loggers.CreateLogger(typeof(SettingsApi)), e.GetType().Name, e.Message);
            throw ApiException.BadRequest("Failed to send the test email.");
        }
        return Results.NoContent();
    }

    // The bucket of the settings in force, tried for real: a probe object is written, read back and deleted.
    private static async Task<IResult> TestS3(HttpContext context, SettingsService service, ILoggerFactory loggers)
    {
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var filesystem = Text(body, "filesystem");
        if (filesystem != "storage")
            new ValidationErrors().Add("filesystem", "validation_in_invalid", "Must be \"storage\" (Cairn has no backups yet).")
                .ThrowIfAny("An error occurred while validating the submitted data.");
        if (service.Current.S3.ToOptions() is not { } options) throw ApiException.BadRequest("S3 storage filesystem is not enabled.");
        using var store = new Files.S3.S3BlobStore(options);
        var key = $"__cairn_s3_test/{Guid.NewGuid():N}.txt";
        try
        {
            await store.WriteAsync(key, new MemoryStream("cairn s3 test"u8.ToArray()), context.RequestAborted);
            await using (var read = await store.OpenReadAsync(key, cancellationToken: context.RequestAborted))
                if (read is null) throw new IOException("the probe object was written but cannot be read back");
            await store.DeleteAsync(key, context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            TestS3Failed(loggers.CreateLogger(typeof(SettingsApi)), e.GetType().Name, e.Message);
            throw ApiException.BadRequest($"Failed to initialize the S3 storage: {e.GetType().Name}.");
        }
        return Results.NoContent();
    }

    private static string Text(JsonObject body, string key) => body[key] is JsonValue v && v.TryGetValue<string>(out var text) ? text.Trim() : "";

    [LoggerMessage(Level = LogLevel.Warning, Message = "The S3 test failed: {Error}: {Reason}")]
    private static partial void TestS3Failed(ILogger logger, string error, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The test mail could not be sent: {Error}: {Reason}")]
    private static partial void TestMailFailed(ILogger logger, string error, string reason);
}
