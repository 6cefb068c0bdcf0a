using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Auth.OAuth2;

/// <summary>
/// A provider of the authorization-code flow: its defaults, the code exchange (with the PKCE verifier) and the
/// mapping of its user to <see cref="OAuth2User"/>. The built-ins are listed in <see cref="OAuth2Providers"/>.
/// </summary>
public abstract class OAuth2Provider(OAuth2ProviderConfig config, HttpClient http)
{
    public OAuth2ProviderConfig Config { get; } = config;
    protected HttpClient Http { get; } = http;

    protected abstract string DefaultDisplayName { get; }
    protected abstract OAuth2Endpoints DefaultEndpoints { get; }
    protected abstract string Scopes { get; }
    protected virtual bool DefaultPkce => true;

    public string DisplayName => Config.DisplayName.Length > 0 ? Config.DisplayName : DefaultDisplayName;

    /// <summary>Whether the flow sends and requires a PKCE code verifier.</summary>
    public bool UsesPkce => Config.Pkce ?? DefaultPkce;

    /// <summary>The configured endpoints, each falling back to the provider's default.</summary>
    public virtual Task<OAuth2Endpoints> EndpointsAsync(CancellationToken cancellationToken) => Task.FromResult(new OAuth2Endpoints(
        Or(Config.AuthURL, DefaultEndpoints.AuthURL), Or(Config.TokenURL, DefaultEndpoints.TokenURL), Or(Config.UserInfoURL, DefaultEndpoints.UserInfoURL)));

    /// <summary>Query parameters of the authorization URL beyond the standard ones (a nonce, Apple's form_post).</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> ExtraAuthParameters(string codeVerifier) => [];

    /// <summary>The authorization URL without its redirect URI, which the client appends (it ends with <c>&amp;redirect_uri=</c>).</summary>
    public async Task<string> AuthURLAsync(string state, string codeVerifier, CancellationToken cancellationToken)
    {
        var endpoints = await EndpointsAsync(cancellationToken);
        var query = new List<KeyValuePair<string, string>>
        {
            new("client_id", Config.ClientId),
            new("response_type", "code"),
            new("scope", Scopes),
            new("state", state),
        };
        if (UsesPkce)
        {
            query.Add(new("code_challenge", Pkce.Challenge(codeVerifier)));
            query.Add(new("code_challenge_method", "S256"));
        }
        query.AddRange(ExtraAuthParameters(codeVerifier));
        var separator = endpoints.AuthURL.Contains('?') ? "&" : "?";
        return endpoints.AuthURL + separator + string.Join("&", query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))) + "&redirect_uri=";
    }

    /// <summary>Exchanges an authorization code at the token endpoint (RFC 6749 4.1.3, RFC 7636 4.5).</summary>
    public async Task<OAuth2Token> ExchangeCodeAsync(string code, string codeVerifier, string redirectURL, CancellationToken cancellationToken)
    {
        OAuth2Endpoints endpoints;
        try
        {
            endpoints = await EndpointsAsync(cancellationToken);
        }
        catch (OAuth2Exception e)
        {
            throw new OAuth2Exception(OAuth2Exception.TokenFailed, e.Reason, e);
        }
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "authorization_code"),
            new("code", code),
            new("redirect_uri", redirectURL),
            new("client_id", Config.ClientId),
            new("client_secret", Config.ClientSecret),
        };
        if (UsesPkce) form.Add(new("code_verifier", codeVerifier));
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoints.TokenURL) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var json = await SendForJsonAsync(request, OAuth2Exception.TokenFailed, cancellationToken);
        var accessToken = Text(json, "access_token");
        if (accessToken.Length == 0) throw new OAuth2Exception(OAuth2Exception.TokenFailed, "the token response has no access_token");
        TimeSpan? expiresIn = json["expires_in"] is JsonValue lifetime && lifetime.TryGetValue<double>(out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
        return new OAuth2Token(accessToken, Text(json, "refresh_token"), Text(json, "id_token"), expiresIn);
    }

    /// <summary>The user the token belongs to, as the provider describes it.</summary>
    public async Task<OAuth2User> FetchUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken)
    {
        var user = await MapUserAsync(token, codeVerifier, cancellationToken);
        if (user.Id.Length == 0) throw new OAuth2Exception(OAuth2Exception.UserFailed, "the provider returned no user id");
        return user with { AccessToken = token.AccessToken, RefreshToken = token.RefreshToken, ExpiresIn = token.ExpiresIn };
    }

    protected abstract Task<OAuth2User> MapUserAsync(OAuth2Token token, string codeVerifier, CancellationToken cancellationToken);

    /// <summary>GETs JSON with the access token as a bearer token.</summary>
    protected async Task<JsonNode> GetJsonAsync(string url, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await SendForJsonAsync(request, OAuth2Exception.UserFailed, cancellationToken) ?? new JsonObject();
    }

    protected async Task<JsonObject> GetUserInfoAsync(OAuth2Token token, CancellationToken cancellationToken)
    {
        var endpoints = await EndpointsAsync(cancellationToken);
        return await GetJsonAsync(endpoints.UserInfoURL, token.AccessToken, cancellationToken) as JsonObject
            ?? throw new OAuth2Exception(OAuth2Exception.UserFailed, "the user info is not a JSON object");
    }

    private async Task<JsonNode> SendForJsonAsync(HttpRequestMessage request, string failure, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await Http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new OAuth2Exception(failure, $"{Config.Name}: {request.RequestUri?.GetLeftPart(UriPartial.Path)} unreachable ({e.GetType().Name})", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new OAuth2Exception(failure, $"{Config.Name}: {request.RequestUri?.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode}");
            try
            {
                return JsonNode.Parse(body) ?? throw new JsonException("null");
            }
            catch (JsonException e)
            {
                throw new OAuth2Exception(failure, $"{Config.Name}: {request.RequestUri?.GetLeftPart(UriPartial.Path)} returned no JSON", e);
            }
        }
    }

    private static string Or(string value, string fallback) => value.Length > 0 ? value : fallback;

    /// <summary>A claim as text: strings as they are, numbers (GitHub and GitLab ids) in invariant form, anything else "".</summary>
    protected static string Text(JsonNode? json, string key) => json?[key] is JsonValue v
        ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            _ => "",
        }
        : "";

    /// <summary>A boolean claim, also accepting <c>"true"</c> (Apple sends <c>email_verified</c> as a string).</summary>
    protected static bool Flag(JsonNode? json, string key) => json?[key] is JsonValue v && v.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.String => string.Equals(v.GetValue<string>(), "true", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };
}
