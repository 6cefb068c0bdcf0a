using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Api;

/// <summary>
/// The address a request really comes from: the TCP peer, unless the peer is one of the configured trusted
/// proxies, in which case the proxy's <c>X-Forwarded-For</c> (or, without it, <c>X-Real-IP</c>) names the client.
/// Anyone can send those headers, so they are believed only from a trusted peer; otherwise a client could
/// pick a fresh address per request and walk past every per-IP counter (lockout, rate limits).
/// </summary>
public sealed class ClientIpResolver
{
    private readonly IReadOnlyList<IPNetwork> _trusted;

    public ClientIpResolver(IEnumerable<string> trustedProxies)
    {
        var trusted = new List<IPNetwork>();
        foreach (var text in trustedProxies)
            trusted.Add(TryParseNetwork(text, out var network) ? network : throw new ArgumentException($"\"{text}\" is not an IP address or CIDR range."));
        _trusted = trusted;
    }

    /// <summary>Reads <c>10.0.0.1</c>, <c>10.0.0.0/8</c>, <c>::1</c> or <c>fd00::/8</c>; a single address is a network of one.</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        text = text.Trim();
        // A range with host bits set (10.0.0.1/8) is most likely a typo for a single address: refused.
        if (text.Contains('/'))
            return IPNetwork.TryParse(text, out network) && IPAddress.TryParse(text[..text.IndexOf('/')], out var start) && start.Equals(network.BaseAddress);
        if (IPAddress.TryParse(text, out var address))
        {
            address = Normalize(address);
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        network = default;
        return false;
    }

    public bool IsTrusted(IPAddress address) => _trusted.Any(n => n.Contains(address));

    /// <summary>The client's address, or null when the connection has none (an in-process test host).</summary>
    public IPAddress? Resolve(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } peer) return null;
        var client = Normalize(peer);
        if (!IsTrusted(client)) return client;

        // Each proxy appends the address it received the request from, so the list is read from the right:
        // past every trusted hop, the first address is the client. Entries further left were written by
        // the client itself and prove nothing.
        var forwarded = context.Request.Headers["X-Forwarded-For"].SelectMany(v => (v ?? "").Split(',')).ToList();
        if (forwarded.Count == 0)
            return TryParseAddress(context.Request.Headers["X-Real-IP"].ToString(), out var real) ? real : client;
        for (var i = forwarded.Count - 1; i >= 0; i--)
        {
            if (!TryParseAddress(forwarded[i], out var hop)) return client; // a trusted proxy wrote garbage: keep the last sure address
            client = hop;
            if (!IsTrusted(hop)) return hop;
        }
        return client;
    }

    // "1.2.3.4", "1.2.3.4:5678", "::1" or "[::1]:80".
    private static bool TryParseAddress(string text, out IPAddress address)
    {
        text = text.Trim();
        if (text.StartsWith('[') && text.IndexOf(']') is > 0 and var end) text = text[1..end];
        else if (text.Count(c => c == ':') == 1) text = text[..text.IndexOf(':')];
        if (IPAddress.TryParse(text, out var parsed))
        {
            address = Normalize(parsed);
            return true;
        }
        address = IPAddress.None;
        return false;
    }

    // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d; counters and ranges use the IPv4 form.
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>The client address of a request as text, for counters and logs (<c>"unknown"</c> when there is none).</summary>
public static class ClientIp
{
    public static string Of(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(ClientIp), out var cached) && cached is string known) return known;
        var resolved = context.RequestServices.GetRequiredService<ClientIpResolver>().Resolve(context)?.ToString() ?? "unknown";
        context.Items[typeof(ClientIp)] = resolved;
        return resolved;
    }
}
