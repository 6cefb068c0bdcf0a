using System.Text;

namespace Cairn.Files;

/// <summary>
/// The content type of an upload from its first bytes, never from the client's <c>Content-Type</c> or file name: the
/// field's <c>mimeTypes</c> are checked against this, and files are served with it. A small signature table in the
/// spirit of the WHATWG sniffing rules (Go's <c>http.DetectContentType</c>, which PocketBase's library extends):
/// no well-kept .NET library for this is served here, and the list that matters for safety is short. Markup (HTML,
/// SVG, XML) is recognised wherever it hides, so an HTML page named <c>photo.png</c> is <c>text/html</c>, not an image.
/// </summary>
public static class ContentSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> looks at.</summary>
    public const int HeaderLength = 512;

    public const string Binary = "application/octet-stream";

    private static readonly (byte[] Magic, int Offset, string Type)[] Signatures =
    [
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], 0, "image/png"),
        ([0xFF, 0xD8, 0xFF], 0, "image/jpeg"),
        ("GIF87a"u8.ToArray(), 0, "image/gif"),
        ("GIF89a"u8.ToArray(), 0, "image/gif"),
        ("BM"u8.ToArray(), 0, "image/bmp"),
        ([0x00, 0x00, 0x01, 0x00], 0, "image/x-icon"),
        ("%PDF-"u8.ToArray(), 0, "application/pdf"),
        ([0x50, 0x4B, 0x03, 0x04], 0, "application/zip"),
        ([0x1F, 0x8B, 0x08], 0, "application/gzip"),
        ("OggS"u8.ToArray(), 0, "audio/ogg"),
        ("ID3"u8.ToArray(), 0, "audio/mpeg"),
        ("fLaC"u8.ToArray(), 0, "audio/flac"),
        ([0x1A, 0x45, 0xDF, 0xA3], 0, "video/webm"),
        ("wOFF"u8.ToArray(), 0, "font/woff"),
        ("wOF2"u8.ToArray(), 0, "font/woff2"),
    ];

    private static readonly Dictionary<string, string> Extensions = new()
    {
        ["image/png"] = "png", ["image/jpeg"] = "jpg", ["image/gif"] = "gif", ["image/webp"] = "webp", ["image/bmp"] = "bmp",
        ["image/x-icon"] = "ico", ["image/svg+xml"] = "svg", ["application/pdf"] = "pdf", ["application/zip"] = "zip",
        ["application/gzip"] = "gz", ["audio/ogg"] = "ogg", ["audio/mpeg"] = "mp3", ["audio/flac"] = "flac", ["audio/wav"] = "wav",
        ["video/webm"] = "webm", ["video/mp4"] = "mp4", ["font/woff"] = "woff", ["font/woff2"] = "woff2",
        ["text/html"] = "html", ["text/xml"] = "xml", ["application/json"] = "json", ["text/plain"] = "txt",
    };

    /// <summary>The type of content starting with <paramref name="header"/> (pass up to <see cref="HeaderLength"/> bytes).</summary>
    public static string Sniff(ReadOnlySpan<byte> header)
    {
        foreach (var (magic, offset, type) in Signatures)
            if (header.Length >= offset + magic.Length && header.Slice(offset, magic.Length).SequenceEqual(magic)) return type;
        if (header.Length >= 12 && header[..4].SequenceEqual("RIFF"u8))
        {
            if (header.Slice(8, 4).SequenceEqual("WEBP"u8)) return "image/webp";
            if (header.Slice(8, 4).SequenceEqual("WAVE"u8)) return "audio/wav";
        }
        if (header.Length >= 12 && header.Slice(4, 4).SequenceEqual("ftyp"u8)) return "video/mp4";
        return Text(header);
    }

    private static string Text(ReadOnlySpan<byte> header)
    {
        var start = 0;
        if (header.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) start = 3;
        var text = header[start..];
        foreach (var b in text)
            if (b is < 0x09 or (> 0x0D and < 0x20) and not 0x1B) return Binary; // control bytes: not text
        var prefix = Encoding.UTF8.GetString(text).TrimStart().ToLowerInvariant();
        if (prefix.Contains("<svg")) return "image/svg+xml";
        foreach (var tag in new[] { "<!doctype html", "<html", "<head", "<script", "<iframe", "<body", "<h1", "<div", "<font", "<table", "<a ", "<style", "<title", "<b>", "<br", "<p>", "<p ", "<!--", "<img" })
            if (prefix.StartsWith(tag, StringComparison.Ordinal)) return "text/html";
        if (prefix.StartsWith("<?xml", StringComparison.Ordinal)) return "text/xml";
        if (prefix.StartsWith('{') || prefix.StartsWith('[')) return "application/json";
        return "text/plain";
    }

    /// <summary>The usual extension of a type, without the dot; empty when there is none.</summary>
    public static string ExtensionOf(string type) => Extensions.GetValueOrDefault(type, "");

    /// <summary>Types a browser shows inline without risk; everything else (SVG and HTML included) is served as an attachment.</summary>
    public static bool IsInline(string type) =>
        type is "image/png" or "image/jpeg" or "image/gif" or "image/webp" or "image/x-icon" or "image/bmp" or "application/pdf"
        || type.StartsWith("video/", StringComparison.Ordinal) || type.StartsWith("audio/", StringComparison.Ordinal);
}
