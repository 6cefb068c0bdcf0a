using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Records;

namespace Cairn.Mail;

/// <summary>
/// Renders a collection's mail template (<c>{subject, body}</c> from its options) with the placeholders
/// <c>{APP_NAME}</c>, <c>{APP_URL}</c>, <c>{TOKEN}</c>, <c>{ALERT_INFO}</c> and <c>{RECORD:field}</c>. Every value put into
/// the HTML body is HTML-encoded, so a user's name cannot inject markup into a mail sent in the app's name. Links are
/// built from the configured app URL only, never from the request's Host, which an attacker controls.
/// </summary>
public static partial class MailTemplate
{
    /// <summary>The values a template may name; null ones render as empty text.</summary>
    public sealed record Values(string AppName, string AppUrl, Record Record, string? Token = null, string? AlertInfo = null);

    public static MailMessage Render(JsonNode? template, string to, Values values)
    {
        var subject = Text(template?["subject"]);
        var body = Text(template?["body"]);
        return new MailMessage(to, Fill(subject, values, html: false).ReplaceLineEndings(" "), Fill(body, values, html: true));
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : "";

    private static string Fill(string text, Values values, bool html) => Placeholder().Replace(text, match =>
    {
        var value = match.Groups["name"].Value switch
        {
            "APP_NAME" => values.AppName,
            "APP_URL" => values.AppUrl.TrimEnd('/'),
            "TOKEN" => values.Token ?? "",
            "ALERT_INFO" => values.AlertInfo ?? "",
            var name when name.StartsWith("RECORD:", StringComparison.Ordinal) => RecordValue(values.Record, name["RECORD:".Length..]),
            _ => match.Value,
        };
        return html ? WebUtility.HtmlEncode(value) : value;
    });

    // Hidden fields (password hash, tokenKey) never reach a mail, whatever a template names.
    private static string RecordValue(Record record, string field) =>
        record.Collection.FindField(field) is { Hidden: false } f
            ? record[f.Name] switch
            {
                null => "",
                string s => s,
                bool b => b ? "true" : "false",
                double d => d.ToString(System.Globalization.CultureInfo.InvariantCulture),
                IEnumerable<string> list => string.Join(", ", list),
                var other => other.ToString() ?? "",
            }
            : field == "id" ? record.Id : "";

    [GeneratedRegex(@"\{(?<name>APP_NAME|APP_URL|TOKEN|ALERT_INFO|RECORD:\w+)\}")]
    private static partial Regex Placeholder();
}
