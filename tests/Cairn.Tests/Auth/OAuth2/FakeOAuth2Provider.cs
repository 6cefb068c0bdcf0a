using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Tests.Auth.OAuth2;

/// <summary>
/// A plain OAuth2 provider on loopback (a small Kestrel app): <c>/token</c> redeems <see cref="Code"/> only with
/// the right client credentials, redirect URI and PKCE verifier, and <c>/user</c> (plus <c>/user/emails</c>)
/// serve whatever JSON the test sets, so a built-in provider's user mapping is tested over real HTTP.
/// </summary>
public sealed class FakeOAuth2Provider : IAsyncDisposable
{
    public const string Code = "good-code", AccessToken = "fake-access-token", ClientId = "fake-client", ClientSecret = "fake-secret";

    private WebApplication _app = null!;

    public string Url { get; private set; } = "";
    public JsonNode User { get; set; } = new JsonObject();
    public JsonNode Emails { get; set; } = new JsonArray();

    /// <summary>The verifier whose challenge the (imaginary) authorization request carried.</summary>
    public string ExpectedVerifier { get; set; } = "";
    public string ExpectedRedirect { get; set; } = "";

    /// <summary>Makes the token endpoint hang for this long, to show that a stuck provider cannot hold a request.</summary>
    public TimeSpan TokenDelay { get; set; }

    public static async Task<FakeOAuth2Provider> StartAsync()
    {
        var fake = new FakeOAuth2Provider();
        // As CairnApp does: no configuration file watcher on the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        fake._app = builder.Build();
        fake._app.MapPost("/token", (Delegate)fake.TokenAsync);
        fake._app.MapGet("/user", (HttpContext c) => fake.Authorized(c) ? Results.Text(fake.User.ToJsonString(), "application/json") : Results.Unauthorized());
        fake._app.MapGet("/user/emails", (HttpContext c) => fake.Authorized(c) ? Results.Text(fake.Emails.ToJsonString(), "application/json") : Results.Unauthorized());
        await fake._app.StartAsync(TestContext.Current.CancellationToken);
        fake.Url = fake._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        if (TokenDelay > TimeSpan.Zero) await Task.Delay(TokenDelay, context.RequestAborted);
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var ok = form["grant_type"] == "authorization_code" && form["code"] == Code && form["client_id"] == ClientId && form["client_secret"] == ClientSecret
                 && form["redirect_uri"] == ExpectedRedirect && form["code_verifier"] == ExpectedVerifier;
        return ok
            ? Results.Json(new { access_token = AccessToken, token_type = "bearer", refresh_token = "fake-refresh", expires_in = 3600 })
            : Results.Json(new { error = "invalid_grant" }, statusCode: 400);
    }

    private bool Authorized(HttpContext context) => context.Request.Headers.Authorization == "Bearer " + AccessToken;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
