using Cairn.Auth.BruteForce;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// OAuth2 / OpenID Connect sign-in with the authorization-code flow and PKCE (POCKETBASE_API.md 1.3):
/// <code>
/// POST /api/collections/{collection}/auth-with-oauth2   {provider, code, codeVerifier, redirectURL, createData?} (expand, fields)
/// </code>
/// The providers, with a fresh <c>state</c> and PKCE pair each, are listed by <c>GET auth-methods</c>
/// (<see cref="AuthMethodsAsync"/>). The client checks <c>state</c> when the provider redirects back: the
/// server keeps no state between the two calls. The redirect URL must be the very one the authorization
/// request used; the provider compares them when it redeems the code.
/// </summary>
public static partial class OAuth2Api
{
    public static IEndpointRouteBuilder MapOAuth2Api(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/collections/{collection}/auth-with-oauth2", AuthWithOAuth2).LimitedAsCredential();
        return app;
    }

    private static async Task<IResult> AuthWithOAuth2(string collection, HttpContext context, CollectionRegistry registry, IHttpClientFactory httpClients,
        IdTokenValidator idTokens, OAuth2SignIn oauth2, SignIn signIn, TimeProvider clock, ILoggerFactory loggers)
    {
        var c = AuthRoute.AuthCollection(registry, collection);
        if (!OAuth2Providers.Enabled(c)) throw ApiException.Forbidden("The collection is not configured to allow OAuth2 authentication.");
        var body = (await RequestBody.ReadAsync(context.Request, context.RequestAborted)).Data;
        var providerName = FieldValues.ToText(body["provider"]);
        var code = FieldValues.ToText(body["code"]);
        var codeVerifier = FieldValues.ToText(body["codeVerifier"]);
        // redirectUrl is the SDK's spelling before v0.23.
        var redirectURL = FieldValues.ToText(body["redirectURL"] ?? body["redirectUrl"]);
        var createData = body["createData"] switch
        {
            null => new JsonObject(),
            JsonObject data => data,
            _ => throw ApiException.BadRequest("Failed to authenticate.", new ValidationErrors().Add("createData", "validation_invalid_value", "Must be an object.").ToJson()),
        };

        var errors = new ValidationErrors();
        var config = OAuth2Providers.Configs(c).FirstOrDefault(p => p.Name == providerName);
        if (providerName.Length == 0) errors.Add("provider", "validation_required", "Cannot be blank.");
        else if (config is null || !OAuth2Providers.IsKnown(providerName))
            errors.Add("provider", "validation_invalid_provider", $"Provider with name \"{providerName}\" is missing or is not enabled.");
        if (code.Length == 0) errors.Add("code", "validation_required", "Cannot be blank.");
        if (redirectURL.Length == 0) errors.Add("redirectURL", "validation_required", "Cannot be blank.");
        errors.ThrowIfAny("Failed to authenticate.");

        var provider = OAuth2Providers.Create(config!, httpClients.CreateClient(OAuth2Services.HttpClientName), idTokens);
        // PKCE is required wherever the provider takes it: without the verifier a stolen code would be enough.
        if (provider.UsesPkce && codeVerifier.Length == 0)
            throw ApiException.BadRequest("Failed to authenticate.", new ValidationErrors().Add("codeVerifier", "validation_required", "Cannot be blank.").ToJson());

        OAuth2User user;
        try
        {
            var token = await provider.ExchangeCodeAsync(code, codeVerifier, redirectURL, context.RequestAborted);
            user = await provider.FetchUserAsync(token, codeVerifier, context.RequestAborted);
        }
        catch (OAuth2Exception e)
        {
            LogProviderFailed(loggers.CreateLogger(typeof(OAuth2Api)), c.Name, providerName, e.Reason);
            throw ApiException.BadRequest(e.Message);
        }

        var caller = RequestAuth.Of(context);
        var outcome = await oauth2.ResolveAsync(c, providerName, user, createData, caller, RecordRules.Request(context, caller, SignIn.OAuth2), context.RequestAborted);
        return await signIn.CompleteAsync(context, c, outcome.Record, SignIn.OAuth2, Meta(user, outcome.IsNew, clock.GetUtcNow()));
    }

    private static JsonObject Meta(OAuth2User user, bool isNew, DateTimeOffset now) => new()
    {
        ["id"] = user.Id,
        ["name"] = user.Name,
        ["username"] = user.Username,
        ["email"] = user.Email,
        ["avatarURL"] = user.AvatarURL,
        ["avatarUrl"] = user.AvatarURL, // legacy spelling the older SDKs read
        ["accessToken"] = user.AccessToken,
        ["refreshToken"] = user.RefreshToken,
        ["expiry"] = user.ExpiresIn is { } expiresIn ? CairnJson.FormatDate(now + expiresIn) : "",
        ["rawUser"] = user.RawUser.DeepClone(),
        ["isNew"] = isNew,
    };

    /// <summary>
    /// The <c>oauth2</c> part of <c>auth-methods</c>: each configured provider with a fresh state, PKCE pair and
    /// authorization URL ending in <c>&amp;redirect_uri=</c>. A provider whose discovery document cannot be read
    /// is left out (and logged) rather than failing the whole list.
    /// </summary>
    public static async Task<JsonObject> AuthMethodsAsync(Collection collection, IHttpClientFactory httpClients, IdTokenValidator idTokens, ILogger logger,
        CancellationToken cancellationToken)
    {
        var enabled = OAuth2Providers.Enabled(collection);
        var list = new JsonArray();
        if (enabled)
            foreach (var config in OAuth2Providers.Configs(collection).Where(p => OAuth2Providers.IsKnown(p.Name)))
            {
                var provider = OAuth2Providers.Create(config, httpClients.CreateClient(OAuth2Services.HttpClientName), idTokens);
                var state = Pkce.RandomString(30);
                var verifier = provider.UsesPkce ? Pkce.NewVerifier() : "";
                string authURL;
                try
                {
                    authURL = await provider.AuthURLAsync(state, verifier, cancellationToken);
                }
                catch (OAuth2Exception e)
                {
                    LogProviderFailed(logger, collection.Name, config.Name, e.Reason);
                    continue;
                }
                list.Add(new JsonObject
                {
                    ["name"] = config.Name,
                    ["displayName"] = provider.DisplayName,
                    ["state"] = state,
                    ["authURL"] = authURL,
                    ["authUrl"] = authURL,
                    ["codeVerifier"] = verifier,
                    ["codeChallenge"] = provider.UsesPkce ? Pkce.Challenge(verifier) : "",
                    ["codeChallengeMethod"] = provider.UsesPkce ? "S256" : "",
                    ["logo"] = OAuth2Logos.For(config.Name),
                });
            }
        return new JsonObject { ["enabled"] = enabled, ["providers"] = list };
    }

    [LoggerMessage(EventId = 5300, Level = LogLevel.Warning, Message = "OAuth2 provider {Provider} of collection {Collection} failed: {Reason}")]
    private static partial void LogProviderFailed(ILogger logger, string collection, string provider, string reason);
}
