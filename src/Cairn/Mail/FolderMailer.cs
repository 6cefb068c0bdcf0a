using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Cairn.Mail;

/// <summary>
/// With no SMTP server configured, mails are written as <c>.eml</c> files to a folder of the data directory, so
/// sign-up, reset and one-time-code flows can be tried offline. The log names the file, never the body: a
/// body holds links with tokens or one-time codes, which are secrets.
/// </summary>
public sealed partial class FolderMailer(string folder, TimeProvider clock, ILogger<FolderMailer> logger) : IMailer
{
    public string Folder => folder;

    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        var now = clock.GetUtcNow();
        var path = Path.Combine(folder, $"{now:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid():N}.eml");
        var content = $"""
            Date: {now:R}
            To: {OneLine(message.To)}
            Subject: {OneLine(message.Subject)}
            MIME-Version: 1.0
            Content-Type: text/html; charset=utf-8

            {message.Html}
            """;
        await File.WriteAllTextAsync(path, content.ReplaceLineEndings("\r\n"), cancellationToken);
        logger.LogInformation("Mail to {To} ({Subject}) written to {Path}; no SMTP server is configured.", message.To, message.Subject, path);
    }

    // A header value never spans lines, so nothing a value holds can add a header.
    private static string OneLine(string value) => value.ReplaceLineEndings(" ");

    /// <summary>
    /// The text of an HTML body, for the plain-text part: links keep their address in brackets (a text-only reader
    /// must still be able to follow a confirmation link), block ends become line breaks, other tags go.
    /// </summary>
    public static string PlainText(string html)
    {
        var text = Links().Replace(html, m => $"{m.Groups["text"].Value} ({m.Groups["href"].Value})");
        text = Breaks().Replace(text, "\n");
        text = WebUtility.HtmlDecode(Tags().Replace(text, ""));
        var lines = text.Split('\n').Select(l => Spaces().Replace(l, " ").Trim()).Where(l => l.Length > 0);
        return string.Join("\n", lines);
    }

    [GeneratedRegex("<a\\b[^>]*?href=\"(?<href>[^\"]*)\"[^>]*>(?<text>.*?)</a>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Links();

    [GeneratedRegex("<(br|/p|/div|/li|/h[1-6]|/tr)\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Breaks();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex("[ \\t\\r]+")]
    private static partial Regex Spaces();
}
