using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Cairn.Tests.Auth.OAuth2;

/// <summary>
/// A real OpenID Connect server (OpenIddict, degraded mode: no database, ephemeral keys) on a random loopback
/// port. It knows one confidential client and signs in whichever test user the authorization request names
/// in <c>login_hint</c>, with no login page, so a test drives the authorization-code + PKCE flow over HTTP.
/// <see cref="IdTokenTweak"/> lets a test tamper with the next id_tokens (another audience or issuer) while
/// still signing them with the server's own key, as a malicious or misconfigured provider would.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "cairn-app", ClientSecret = "cairn-app-secret-0123456789";

    public sealed record User(string Subject, string Email, bool EmailVerified, string Name = "Test User");

    private readonly ConcurrentDictionary<string, User> _users = new(StringComparer.Ordinal);
    private WebApplication _app = null!;
    private readonly HttpClient _browser = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The issuer as the discovery document states it (with its trailing slash).</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>Changes the claims of the id_tokens issued from now on; the token is re-signed with the server's key.</summary>
    public Action<JsonObject>? IdTokenTweak { get; set; }

    /// <summary>Signs the tweaked id_tokens with another key than the one the discovery document publishes.</summary>
    public SigningCredentials? SignWith { get; set; }

    /// <summary>How many token requests reached the server.</summary>
    public int TokenRequests => _tokenRequests;
    private int _tokenRequests;

    public void AddUser(string login, User user) => _users[login] = user;

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var idp = new TestIdentityProvider();
        // As CairnApp does: no configuration file watcher on the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddOpenIddict().AddServer(options =>
        {
            options.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
            options.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            options.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.Profile);
            options.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
            options.DisableAccessTokenEncryption();
            options.EnableDegradedMode();
            options.DisableTokenStorage();
            options.DisableAuthorizationStorage();
            options.UseAspNetCore().DisableTransportSecurityRequirement();

            // Degraded mode leaves client and redirect checks to the host: one client, any loopback redirect URI.
            options.AddEventHandler<ValidateAuthorizationRequestContext>(b => b.UseInlineHandler(context =>
            {
                if (context.ClientId != ClientId) context.Reject(Errors.InvalidClient, "Unknown client.");
                else if (!Uri.TryCreate(context.RedirectUri, UriKind.Absolute, out var redirect) || !redirect.IsLoopback)
                    context.Reject(Errors.InvalidRequest, "Unregistered redirect_uri.");
                return default;
            }));
            options.AddEventHandler<ValidateTokenRequestContext>(b => b.UseInlineHandler(context =>
            {
                Interlocked.Increment(ref idp._tokenRequests);
                if (context.ClientId != ClientId || context.ClientSecret != ClientSecret) context.Reject(Errors.InvalidClient, "Invalid client credentials.");
                return default;
            }));
            options.AddEventHandler<HandleAuthorizationRequestContext>(b => b.UseInlineHandler(context =>
            {
                if (context.Request.LoginHint is not { } login || !idp._users.TryGetValue(login, out var user))
                {
                    context.Reject(Errors.AccessDenied, "Unknown test user.");
                    return default;
                }
                var identity = new ClaimsIdentity("test", Claims.Name, Claims.Role);
                identity.AddClaim(new Claim(Claims.Subject, user.Subject));
                identity.AddClaim(new Claim(Claims.Name, user.Name));
                identity.AddClaim(new Claim(Claims.Email, user.Email));
                identity.AddClaim(new Claim(Claims.EmailVerified, user.EmailVerified ? "true" : "false", ClaimValueTypes.Boolean));
                foreach (var claim in identity.Claims) claim.SetDestinations(Destinations.IdentityToken, Destinations.AccessToken);
                var principal = new ClaimsPrincipal(identity);
                principal.SetScopes(context.Request.GetScopes());
                context.Principal = principal;
                return default;
            }));
            options.AddEventHandler<ApplyTokenResponseContext>(b => b.UseInlineHandler(context =>
            {
                if (idp.IdTokenTweak is { } tweak && context.Response.IdToken is { } idToken)
                {
                    var credentials = idp.SignWith ?? context.Options.SigningCredentials.First();
                    var payload = JsonNode.Parse(Base64UrlEncoder.Decode(new JsonWebToken(idToken).EncodedPayload))!.AsObject();
                    tweak(payload);
                    context.Response.IdToken = new JsonWebTokenHandler().CreateToken(payload.ToJsonString(), credentials);
                }
                return default;
            }));
        });
        idp._app = builder.Build();
        await idp._app.StartAsync(TestContext.Current.CancellationToken);
        var address = idp._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        idp.Issuer = await idp.ReadIssuerAsync(address);
        return idp;
    }

    // The first request builds the server's keys and discovery document, slow on a loaded machine: it gets a few tries.
    private async Task<string> ReadIssuerAsync(string address)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var discovery = await _browser.GetAsync(address + "/.well-known/openid-configuration", TestContext.Current.CancellationToken);
                discovery.EnsureSuccessStatusCode();
                return JsonNode.Parse(await discovery.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["issuer"]!.GetValue<string>();
            }
            catch (TaskCanceledException) when (attempt < 3 && !TestContext.Current.CancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>
    /// Plays the browser: follows Cairn's <c>authURL</c> plus the redirect URI for the user <paramref name="login"/>
    /// and returns the code from the redirect, after checking that the <c>state</c> came back unchanged (the client's job).
    /// </summary>
    public async Task<string> AuthorizeAsync(string authURL, string redirectURL, string login, string expectedState)
    {
        var url = authURL + Uri.EscapeDataString(redirectURL) + "&login_hint=" + Uri.EscapeDataString(login);
        using var response = await _browser.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode is 302 or 303, $"authorize answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        var location = response.Headers.Location!;
        Assert.StartsWith(redirectURL, location.ToString());
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(expectedState, query["state"].ToString());
        Assert.True(query.ContainsKey("code"), $"no code in {location}");
        return query["code"].ToString();
    }

    /// <summary>A key of nobody's: a token signed with it must be refused.</summary>
    public static SigningCredentials ForeignKey() => new(new RsaSecurityKey(RSA.Create(2048)) { KeyId = "foreign" }, SecurityAlgorithms.RsaSha256);

    public async ValueTask DisposeAsync()
    {
        _browser.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
