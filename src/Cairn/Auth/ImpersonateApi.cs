using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Auth;

/// <summary>
/// <code>
/// POST /api/collections/{collection}/impersonate/{id}   {duration?} (expand, fields)
/// </code>
/// A superuser obtains a token of any auth record, for support ("see what this user sees") or as a
/// long-lived API key. The token is not refreshable (auth-refresh hands it back unchanged), so it ends at
/// its expiry or when the record's tokenKey or the collection's secret is rotated. No authRule and no MFA:
/// the superuser has already proved who they are.
/// </summary>
public static class ImpersonateApi
{
    /// <summary>The longest duration a token may be given, as for the collection's own token settings (about three years).</summary>
    public const long MaxDurationSeconds = 94670856;

    public static IEndpointRouteBuilder MapImpersonateApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/collections/{collection}/impersonate/{id}", Impersonate);
        return app;
    }

    private static async Task<IResult> Impersonate(string collection, string id, HttpContext context, CollectionRegistry registry,
        IDatabase db, RecordStore store, TokenService tokens, SignIn signIn)
    {
        var caller = RequestAuth.Of(context);
        if (caller.IsGuest) throw ApiException.Unauthorized("The request requires valid record authorization token.");
        if (!caller.IsSuperuser) throw ApiException.Forbidden("The authorized record is not allowed to perform this action.");
        var c = AuthRoute.AuthCollection(registry, collection);
        var record = await db.ReadAsync(connection => store.FindById(connection, null, c, id), context.RequestAborted)
            ?? throw ApiException.NotFound();

        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var duration = ReadDuration(body["duration"]);
        var token = tokens.Issue(record, TokenService.Auth, duration == 0 ? null : TimeSpan.FromSeconds(duration), refreshable: false);
        return await signIn.ResponseAsync(context, record, token, caller);
    }

    // Whole seconds; missing, null and 0 mean the collection's auth token duration.
    private static long ReadDuration(JsonNode? value)
    {
        if (value is null) return 0;
        if (value.GetValueKind() != JsonValueKind.Number || !decimal.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) || number != decimal.Truncate(number)
            || number is < long.MinValue or > long.MaxValue)
            throw ApiException.BadRequest("An error occurred while loading the submitted data.");
        var seconds = (long)number;
        var errors = new ValidationErrors();
        if (seconds < 0) errors.Add("duration", "validation_min_greater_equal_than_required", "Must be no less than 0.", new JsonObject { ["threshold"] = 0 });
        else if (seconds > MaxDurationSeconds)
            errors.Add("duration", "validation_max_less_equal_than_required", $"Must be no greater than {MaxDurationSeconds}.", new JsonObject { ["threshold"] = MaxDurationSeconds });
        errors.ThrowIfAny("An error occurred while validating the submitted data.");
        return seconds;
    }
}
