using Cairn.Auth.BruteForce;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cairn.Auth.Otp;

/// <summary>
/// One-time codes by email (POCKETBASE_API.md 1.3):
/// <code>
/// POST /api/collections/{collection}/request-otp    {email}            200 {"otpId"}, also for an unknown email
/// POST /api/collections/{collection}/auth-with-otp  {otpId, password}  the auth response (or the MFA 401 {"mfaId"})
/// </code>
/// </summary>
public static class OtpApi
{
    public static IEndpointRouteBuilder MapOtpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/collections/{collection}/request-otp", RequestOtp).LimitedAsCredential();
        app.MapPost("/api/collections/{collection}/auth-with-otp", AuthWithOtp).LimitedAsCredential();
        return app;
    }

    private static Collection OtpCollection(CollectionRegistry registry, string idOrName)
    {
        var c = AuthRoute.AuthCollection(registry, idOrName);
        return OtpSettings.Of(c).Enabled ? c : throw ApiException.Forbidden("The collection is not configured to allow OTP authentication.");
    }

    private static async Task<IResult> RequestOtp(string collection, HttpContext context, CollectionRegistry registry, OneTimeCodes codes)
    {
        var c = OtpCollection(registry, collection);
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var email = FieldValues.ToText(body["email"]).Trim();
        var errors = new ValidationErrors();
        if (email.Length == 0) errors.Add("email", "validation_required", "Cannot be blank.");
        else if (!RecordValidator.IsEmail(email)) errors.Add("email", "validation_is_email", "Must be a valid email address.");
        errors.ThrowIfAny("An error occurred while validating the submitted data.");
        var otpId = await codes.RequestAsync(c, email, context.RequestAborted);
        return new PickedJson(new JsonObject { ["otpId"] = otpId });
    }

    private static async Task<IResult> AuthWithOtp(string collection, HttpContext context, CollectionRegistry registry, OneTimeCodes codes, SignIn signIn)
    {
        var c = OtpCollection(registry, collection);
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var otpId = FieldValues.ToText(body["otpId"]).Trim();
        var password = FieldValues.ToText(body["password"]);
        var errors = new ValidationErrors();
        if (otpId.Length == 0) errors.Add("otpId", "validation_required", "Cannot be blank.");
        if (password.Length == 0) errors.Add("password", "validation_required", "Cannot be blank.");
        errors.ThrowIfAny("Failed to authenticate.");
        var record = await codes.RedeemAsync(c, otpId, password, context.RequestAborted);
        return await signIn.CompleteAsync(context, c, record, SignIn.Otp);
    }
}
