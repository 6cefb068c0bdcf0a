using System.Security.Claims;
using System.Text.Encodings.Web;
using Cairn.Auth.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Auth;

/// <summary>
/// Reads <c>Authorization: [Bearer ]&lt;token&gt;</c>. A missing, invalid or expired token is not an
/// error here: the request simply continues as a guest, and only routes that need auth answer 401/403
/// (the PocketBase SDK sends its stored token even to public routes). Without an <c>Authorization</c>
/// header a <c>cairn_session</c> cookie is tried instead; with one, the header alone decides (bearer wins,
/// even when it is invalid), so a client that sends a token never acts through ambient cookies.
/// </summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens, SessionStore sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "CairnToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString().Trim();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) header = header[7..].Trim();
        if (header.Length == 0 && !Request.Headers.ContainsKey("Authorization"))
            return await sessions.AuthenticateAsync(Context) is { } owner ? Success(new RequestAuth(owner)) : AuthenticateResult.NoResult();
        if (header.Length == 0) return AuthenticateResult.NoResult();

        var validated = await tokens.ValidateAsync(header, TokenService.Auth, Context.RequestAborted);
        if (validated is not var (record, jwt)) return AuthenticateResult.NoResult();
        return Success(new RequestAuth(record, header, TokenService.IsRefreshable(jwt)));
    }

    private AuthenticateResult Success(RequestAuth auth)
    {
        var record = auth.Record!;
        Context.Features.Set(auth);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, record.Id), new Claim("collectionId", record.Collection.Id)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
