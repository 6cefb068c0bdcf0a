using System.Net;
using Cairn.Api;
using Microsoft.AspNetCore.Http;

namespace Cairn.Tests.Api;

/// <summary>
/// Which address a request comes from: the TCP peer, unless the peer is a configured trusted proxy; then
/// the right-most untrusted entry of <c>X-Forwarded-For</c>, or <c>X-Real-IP</c> without one.
/// </summary>
public sealed class ClientIpTests
{
    private static string? Resolve(string peer, string[] trusted, string? forwardedFor = null, string? realIp = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        if (forwardedFor is not null) context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        if (realIp is not null) context.Request.Headers["X-Real-IP"] = realIp;
        return new ClientIpResolver(trusted).Resolve(context)?.ToString();
    }

    [Theory]
    [InlineData("203.0.113.9", null, null, "203.0.113.9")]
    [InlineData("203.0.113.9", "1.2.3.4", null, "203.0.113.9")]
    [InlineData("203.0.113.9", null, "1.2.3.4", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "1.2.3.4", null, "203.0.113.9")]
    public void UntrustedPeer_IsTheClient_WhateverItsHeadersSay(string peer, string? forwardedFor, string? realIp, string expected) =>
        Assert.Equal(expected, Resolve(peer, [], forwardedFor, realIp));

    [Theory]
    [InlineData("10.0.0.5", "203.0.113.1", null, "203.0.113.1")]
    [InlineData("10.0.0.5", "6.6.6.6, 203.0.113.1", null, "203.0.113.1")] // the left entry was written by the client
    [InlineData("10.0.0.5", "203.0.113.1, 10.0.0.7", null, "203.0.113.1")] // two trusted hops
    [InlineData("10.0.0.5", "203.0.113.1:5123", null, "203.0.113.1")]
    [InlineData("10.0.0.5", "[2001:db8::1]:443", null, "2001:db8::1")]
    [InlineData("10.0.0.5", null, "203.0.113.2", "203.0.113.2")]
    [InlineData("10.0.0.5", "203.0.113.1", "203.0.113.2", "203.0.113.1")] // X-Forwarded-For wins
    [InlineData("10.0.0.5", "not-an-ip", null, "10.0.0.5")]
    [InlineData("10.0.0.5", null, "garbage", "10.0.0.5")]
    [InlineData("10.0.0.5", "10.0.0.6, 10.0.0.7", null, "10.0.0.6")] // only proxies: the farthest one
    [InlineData("::ffff:10.0.0.5", "203.0.113.1", null, "203.0.113.1")]
    public void TrustedPeer_ItsHeadersNameTheClient(string peer, string? forwardedFor, string? realIp, string expected) =>
        Assert.Equal(expected, Resolve(peer, ["10.0.0.0/8"], forwardedFor, realIp));

    [Fact]
    public void SingleAddress_IsTrustedExactly()
    {
        Assert.Equal("203.0.113.1", Resolve("127.0.0.1", ["127.0.0.1"], "203.0.113.1"));
        Assert.Equal("127.0.0.2", Resolve("127.0.0.2", ["127.0.0.1"], "203.0.113.1"));
        Assert.Equal("203.0.113.1", Resolve("::1", ["::1"], "203.0.113.1"));
    }

    [Fact]
    public void NoPeer_IsNull() => Assert.Null(new ClientIpResolver([]).Resolve(new DefaultHttpContext()));

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("::1", true)]
    [InlineData("10.0.0.1/8", false)] // host bits set: a typo worth refusing
    [InlineData("10.0.0.0/33", false)]
    [InlineData("localhost", false)]
    [InlineData("", false)]
    public void TrustedProxy_MustBeAnAddressOrRange(string value, bool valid)
    {
        Assert.Equal(valid, ClientIpResolver.TryParseNetwork(value, out _));
        var problem = new CairnOptions { TrustedProxies = [value] }.Validate();
        if (valid) Assert.Null(problem);
        else Assert.StartsWith("--trusted-proxy", problem);
    }

    private static string? ResolveWith(TrustedProxySettings settings, string peer, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        foreach (var (name, value) in headers) context.Request.Headers[name] = value;
        return new ClientIpResolver(settings).Resolve(context)?.ToString();
    }

    [Fact]
    public void Headers_AreTriedInTheConfiguredOrder_AndOnlyThoseAreRead()
    {
        var realIpFirst = new TrustedProxySettings { Proxies = ["10.0.0.0/8"], Headers = ["X-Real-IP", "X-Forwarded-For"] };
        var cloudflare = new TrustedProxySettings { Proxies = ["10.0.0.0/8"], Headers = ["CF-Connecting-IP"] };
        var none = new TrustedProxySettings { Proxies = ["10.0.0.0/8"], Headers = [] };
        (string, string) xff = ("X-Forwarded-For", "203.0.113.1"), real = ("X-Real-IP", "203.0.113.2"), cf = ("CF-Connecting-IP", "203.0.113.3");

        Assert.Equal("203.0.113.2", ResolveWith(realIpFirst, "10.0.0.5", xff, real));
        Assert.Equal("203.0.113.1", ResolveWith(realIpFirst, "10.0.0.5", xff));
        Assert.Equal("203.0.113.3", ResolveWith(cloudflare, "10.0.0.5", xff, real, cf));
        Assert.Equal("10.0.0.5", ResolveWith(cloudflare, "10.0.0.5", xff, real));
        Assert.Equal("10.0.0.5", ResolveWith(none, "10.0.0.5", xff, real));
    }

    [Theory]
    [InlineData("6.6.6.6, 203.0.113.1", "6.6.6.6")]
    [InlineData("6.6.6.6, 203.0.113.1, 10.0.0.7", "6.6.6.6")]
    [InlineData("garbage, 203.0.113.1", "203.0.113.1")]
    [InlineData("203.0.113.1", "203.0.113.1")]
    public void UseLeftmostIP_TakesTheLeftMostAddress_PastTheTrustedHops(string forwardedFor, string expected) =>
        Assert.Equal(expected, ResolveWith(new TrustedProxySettings { Proxies = ["10.0.0.0/8"], UseLeftmostIP = true }, "10.0.0.5", ("X-Forwarded-For", forwardedFor)));

    [Fact]
    public void UseLeftmostIP_NeverBelievesAnUntrustedPeer() =>
        Assert.Equal("203.0.113.9", ResolveWith(new TrustedProxySettings { Proxies = ["10.0.0.0/8"], UseLeftmostIP = true }, "203.0.113.9", ("X-Forwarded-For", "6.6.6.6")));

    [Fact]
    public void Configure_ReplacesTheProxies_ForTheNextRequest()
    {
        var resolver = new ClientIpResolver([]);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.5");
        context.Request.Headers["X-Forwarded-For"] = "203.0.113.1";

        var before = resolver.Resolve(context)?.ToString();
        resolver.Configure(new TrustedProxySettings { Proxies = ["10.0.0.5"] });

        Assert.Equal(("10.0.0.5", "203.0.113.1"), (before, resolver.Resolve(context)?.ToString()));
    }
}
