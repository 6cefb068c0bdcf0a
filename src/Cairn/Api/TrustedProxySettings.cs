namespace Cairn.Api;

/// <summary>
/// <c>settings.trustedProxy</c>: PocketBase's <c>{headers, useLeftmostIP}</c> plus Cairn's <see cref="Proxies"/>. The headers
/// are believed only when the TCP peer is one of <see cref="Proxies"/>: anyone can send them, and a client free to name its own
/// address would walk past every per-IP counter (see <see cref="ClientIpResolver"/>).
/// </summary>
public sealed record TrustedProxySettings
{
    public static readonly IReadOnlyList<string> DefaultHeaders = ["X-Forwarded-For", "X-Real-IP"];

    /// <summary>The headers that may name the client, tried in order; empty: none is read and the peer is the client.</summary>
    public IReadOnlyList<string> Headers { get; init; } = DefaultHeaders;

    /// <summary>
    /// Take the left-most address of a header list (written by the first proxy, or by the client itself) instead of the
    /// right-most one no trusted proxy wrote. Only for proxies that replace the header rather than append to it.
    /// </summary>
    public bool UseLeftmostIP { get; init; }

    /// <summary>Cairn's extension: the proxies (IP addresses or CIDR ranges) whose headers are believed.</summary>
    public IReadOnlyList<string> Proxies { get; init; } = [];
}
