using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// Reads OpenID Connect discovery documents (cached, refreshed by <see cref="ConfigurationManager{T}"/>) and
/// validates id_tokens against them: signature by the issuer's published keys (asymmetric algorithms only),
/// <c>iss</c> pinned to the configured issuer, <c>aud</c> pinned to the client id, <c>exp</c>, and the nonce.
/// </summary>
public sealed class IdTokenValidator(IHttpClientFactory httpClients)
{
    private static readonly JsonWebTokenHandler Handler = new();

    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _managers = new(StringComparer.Ordinal);

    /// <summary>The discovery document of <paramref name="issuer"/>, whose own <c>issuer</c> must be exactly the configured one (OIDC Discovery 4.3).</summary>
    public async Task<OpenIdConnectConfiguration> DiscoverAsync(string issuer, CancellationToken cancellationToken)
    {
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await Manager(issuer).GetConfigurationAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            throw new OAuth2Exception(OAuth2Exception.UserFailed, $"the discovery document of {issuer} could not be read", e);
        }
        if (!string.Equals(configuration.Issuer, issuer, StringComparison.Ordinal))
            throw new OAuth2Exception(OAuth2Exception.UserFailed, $"the discovery document of {issuer} names another issuer");
        return configuration;
    }

    /// <summary>The claims of a valid id_token; any failure is an <see cref="OAuth2Exception"/>.</summary>
    public async Task<JsonObject> ValidateAsync(string idToken, string issuer, string audience, string? expectedNonce, CancellationToken cancellationToken)
    {
        if (idToken.Length == 0) throw new OAuth2Exception(OAuth2Exception.UserFailed, "the token response has no id_token");
        var result = await ValidateOnceAsync(idToken, issuer, audience, cancellationToken);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The issuer may have rotated its keys since the document was cached: read it again, once.
            Manager(issuer).RequestRefresh();
            result = await ValidateOnceAsync(idToken, issuer, audience, cancellationToken);
        }
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
            throw new OAuth2Exception(OAuth2Exception.UserFailed, $"invalid id_token ({result.Exception?.GetType().Name ?? "unknown"})", result.Exception);
        var claims = JsonNode.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload)) as JsonObject
                     ?? throw new OAuth2Exception(OAuth2Exception.UserFailed, "the id_token payload is not an object");
        if (expectedNonce is not null)
        {
            var nonce = claims["nonce"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : "";
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(nonce), Encoding.UTF8.GetBytes(expectedNonce)))
                throw new OAuth2Exception(OAuth2Exception.UserFailed, "the id_token nonce does not match");
        }
        return claims;
    }

    private async Task<TokenValidationResult> ValidateOnceAsync(string idToken, string issuer, string audience, CancellationToken cancellationToken)
    {
        var configuration = await DiscoverAsync(issuer, cancellationToken);
        return await Handler.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = configuration.SigningKeys,
            // Asymmetric only: an HS256 token "signed" with a public key, or alg none, never passes.
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
                SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
                SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512],
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromMinutes(1),
        });
    }

    private ConfigurationManager<OpenIdConnectConfiguration> Manager(string issuer) => _managers.GetOrAdd(issuer, i =>
    {
        var metadata = i.TrimEnd('/') + "/.well-known/openid-configuration";
        // Plain HTTP only for an issuer on this machine (development and tests); anything remote must use HTTPS.
        var retriever = new HttpDocumentRetriever(httpClients.CreateClient(OAuth2Services.HttpClientName)) { RequireHttps = !OAuth2Services.IsLoopback(metadata) };
        return new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(), retriever);
    });
}
