using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cairn.Auth;

/// <summary>
/// Reads <c>Authorization: [Bearer ]&lt;token&gt;</c>. A missing, invalid or expired token is not an
/// error here: the request simply continues as a guest, and only routes that need auth answer 401/403
/// (the PocketBase SDK sends its stored token even to public routes).
/// </summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "CairnToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString().Trim();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) header = header[7..].Trim();
        if (header.Length == 0) return AuthenticateResult.NoResult();

        var validated = await tokens.ValidateAsync(header, TokenService.Auth, Context.RequestAborted);
        if (validated is not var (record, jwt)) return AuthenticateResult.NoResult();

        Context.Features.Set(new RequestAuth(record, header, TokenService.IsRefreshable(jwt)));
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, record.Id), new Claim("collectionId", record.Collection.Id)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
