using System.Text.RegularExpressions;
using Cairn.Mail;

namespace Cairn.Tests.Mail;

/// <summary>One mail as the folder mailer wrote it: recipient, subject and HTML body.</summary>
internal sealed record SentMail(string To, string Subject, string Html)
{
    /// <summary>The token at the end of the first confirmation link (…/confirm-xxx/TOKEN).</summary>
    public string Token => Regex.Match(Html, @"/confirm-[a-z-]+/(?<token>[A-Za-z0-9_\-\.]+)").Groups["token"] is { Success: true } g
        ? g.Value : throw new Xunit.Sdk.XunitException($"no confirmation link in: {Html}");

    /// <summary>The first link of the body.</summary>
    public string Link => Regex.Match(Html, "href=\"(?<href>[^\"]+)\"").Groups["href"].Value;
}

/// <summary>Reads the mails a test server wrote to <c>&lt;data&gt;/mails</c> (no SMTP configured), oldest first.</summary>
internal static class SentMails
{
    /// <summary>Waits for queued mails to be handed over, then reads them all.</summary>
    public static async Task<List<SentMail>> MailsAsync(this TestServer server)
    {
        await server.Service<MailOutbox>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var folder = Path.Combine(server.DataDir, "mails");
        if (!Directory.Exists(folder)) return [];
        var mails = new List<SentMail>();
        foreach (var file in Directory.GetFiles(folder, "*.eml").Order(StringComparer.Ordinal))
        {
            var text = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var headers = text[..split].Split("\r\n").Select(h => h.Split(": ", 2)).ToDictionary(h => h[0], h => h.Length > 1 ? h[1] : "");
            mails.Add(new SentMail(headers["To"], headers["Subject"], text[(split + 4)..]));
        }
        return mails;
    }
}
