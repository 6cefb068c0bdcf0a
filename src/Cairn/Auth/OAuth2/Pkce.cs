using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// PKCE (RFC 7636, S256) and the random values of an authorization request. The OpenID Connect nonce is
/// derived from the code verifier, so the server can check it on the way back without keeping any state:
/// only the client that started the flow knows the verifier, and the nonce reveals nothing of it.
/// </summary>
public static class Pkce
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string RandomString(int length) => RandomNumberGenerator.GetString(Alphabet, length);

    /// <summary>A code verifier of 43 characters, the minimum of RFC 7636 4.1 and what PocketBase sends.</summary>
    public static string NewVerifier() => RandomString(43);

    public static string Challenge(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static string Nonce(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes("cairn-oidc-nonce:" + verifier)));
}
