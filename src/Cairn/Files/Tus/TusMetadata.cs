using System.Text;

namespace Cairn.Files.Tus;

/// <summary>
/// The <c>Upload-Metadata</c> header of tus 1.0.0: comma-separated pairs of a key (no spaces or commas) and an optional
/// Base64 value. Keys Cairn reads: <c>filename</c> (the client's name for the file), and <c>collection</c> with
/// <c>field</c>, which let the server refuse an upload larger than that file field's <c>maxSize</c> before a byte is sent.
/// </summary>
public static class TusMetadata
{
    public const int MaxHeaderLength = 8 * 1024;

    /// <summary>The pairs, or null when the header is malformed (a repeated key, a bad key, invalid Base64 or UTF-8).</summary>
    public static Dictionary<string, string>? Parse(string header)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (header.Length > MaxHeaderLength) return null;
        if (header.Trim().Length == 0) return result;
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        foreach (var pair in header.Split(','))
        {
            var parts = pair.Trim().Split(' ');
            if (parts.Length > 2 || parts[0].Length == 0 || result.ContainsKey(parts[0])) return null;
            var value = "";
            if (parts.Length == 2)
            {
                var bytes = new byte[parts[1].Length];
                if (!Convert.TryFromBase64String(parts[1], bytes, out var written)) return null;
                try { value = strict.GetString(bytes, 0, written); }
                catch (DecoderFallbackException) { return null; }
            }
            result[parts[0]] = value;
        }
        return result;
    }
}
