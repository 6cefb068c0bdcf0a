using System.Text;
using Cairn.Files;

namespace Cairn.Tests.Files;

/// <summary>Types come from the bytes: markup disguised as an image is still markup.</summary>
public sealed class ContentSnifferTests
{
    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0 }, "image/png")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0 }, "image/jpeg")]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a' }, "image/gif")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B', (byte)'P' }, "image/webp")]
    [InlineData(new byte[] { (byte)'%', (byte)'P', (byte)'D', (byte)'F', (byte)'-', (byte)'1' }, "application/pdf")]
    [InlineData(new byte[] { 0, 1, 2, 3, 0xFE }, "application/octet-stream")]
    public void Signatures(byte[] header, string type) => Assert.Equal(type, ContentSniffer.Sniff(header));

    [Theory]
    [InlineData("<!DOCTYPE html><html><body>hi</body></html>", "text/html")]
    [InlineData("  <script>alert(1)</script>", "text/html")]
    [InlineData("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>", "image/svg+xml")]
    [InlineData("<svg onload=alert(1)>", "image/svg+xml")]
    [InlineData("{\"a\":1}", "application/json")]
    [InlineData("just some words", "text/plain")]
    public void Markup_IsRecognised(string text, string type) => Assert.Equal(type, ContentSniffer.Sniff(Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData("image/png", true)]
    [InlineData("video/mp4", true)]
    [InlineData("image/svg+xml", false)]
    [InlineData("text/html", false)]
    [InlineData("application/octet-stream", false)]
    public void OnlySafeTypes_AreShownInline(string type, bool inline) => Assert.Equal(inline, ContentSniffer.IsInline(type));
}
