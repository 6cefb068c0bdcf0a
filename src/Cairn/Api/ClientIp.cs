using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Api;

/// <summary>
/// The address a request really comes from: the TCP peer, unless the peer is one of the trusted proxies, in which case
/// the first of the configured headers it sent (default <c>X-Forwarded-For</c>, then <c>X-Real-IP</c>) names the client.
/// Anyone can send those headers, so they are believed only from a trusted peer; otherwise a client could pick a fresh
/// address per request and walk past every per-IP counter (lockout, rate limits). The proxies and headers can change at
/// run time (<c>settings.trustedProxy</c>): each change swaps in a new parsed snapshot, so no request reads half of one.
/// </summary>
public sealed class ClientIpResolver
{
    private volatile Snapshot _snapshot;

    public ClientIpResolver(IEnumerable<string> trustedProxies) => _snapshot = Parse(new TrustedProxySettings { Proxies = [.. trustedProxies] });

    public ClientIpResolver(TrustedProxySettings settings) => _snapshot = Parse(settings);

    /// <summary>Replaces the proxies and headers; the settings must have been validated (every proxy parses).</summary>
    public void Configure(TrustedProxySettings settings) => _snapshot = Parse(settings);

    private sealed record Snapshot(IReadOnlyList<IPNetwork> Trusted, IReadOnlyList<string> Headers, bool UseLeftmostIP)
    {
        public bool IsTrusted(IPAddress address) => Trusted.Any(n => n.Contains(address));
    }

    private static Snapshot Parse(TrustedProxySettings settings)
    {
        var trusted = new List<IPNetwork>();
        foreach (var text in settings.Proxies)
            trusted.Add(TryParseNetwork(text, out var network) ? network : throw new ArgumentException($"\"{text}\" is not an IP address or CIDR range."));
        return new Snapshot(trusted, settings.Headers, settings.UseLeftmostIP);
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

    /// <summary>Whether <paramref name="text"/> is an address inside one of <paramref name="networks"/> (IP lists of the settings).</summary>
    public static bool IsInAny(string text, IEnumerable<IPNetwork> networks) =>
        IPAddress.TryParse(text, out var address) && networks.Any(n => n.Contains(Normalize(address)));

    public bool IsTrusted(IPAddress address) => _snapshot.IsTrusted(address);

    /// <summary>The client's address, or null when the connection has none (an in-process test host).</summary>
    public IPAddress? Resolve(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } peer) return null;
        var config = _snapshot;
        var client = Normalize(peer);
        if (!config.IsTrusted(client)) return client;
        foreach (var header in config.Headers)
        {
            var entries = context.Request.Headers[header].SelectMany(v => (v ?? "").Split(',')).Where(e => e.Trim().Length > 0).ToList();
            if (entries.Count > 0) return FromList(entries, client, config);
        }
        return client;
    }

    // Each proxy appends the address it received the request from, so the list is read from the right: past every
    // trusted hop, the first address is the client. Entries further left were written by the client itself and prove
    // nothing, unless the operator says the proxy replaces the header (useLeftmostIP): then the left-most one is taken,
    // still only past the trusted hops and only because a trusted peer delivered the header.
    private static IPAddress FromList(List<string> entries, IPAddress peer, Snapshot config)
    {
        var client = peer;
        var i = entries.Count - 1;
        for (; i >= 0; i--)
        {
            if (!TryParseAddress(entries[i], out var hop)) return client; // a trusted proxy wrote garbage: keep the last sure address
            client = hop;
            if (!config.IsTrusted(hop)) break;
        }
        if (config.UseLeftmostIP)
            for (var j = 0; j < i; j++)
                if (TryParseAddress(entries[j], out var leftmost)) return leftmost;
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
