using Cairn.Collections;
using Cairn.Mail;
using Cairn.Records;
using Cairn.Settings;

namespace Cairn.Auth.EmailFlows;

/// <summary>
/// The mails of the auth flows: each issues its token (<see cref="TokenService"/>), renders the collection's template
/// and queues the mail on the <see cref="MailOutbox"/>. Tokens carry the email they were sent to, so a later change of
/// address makes them useless (POCKETBASE_API.md 4). App name and URL are read per mail from the live settings, so a
/// changed <c>meta.appURL</c> is in the very next link.
/// </summary>
public sealed class AuthMails(TokenService tokens, MailOutbox outbox, LiveSettings settings)
{
    /// <summary>The templates <c>POST /api/settings/test/email</c> can send, by PocketBase's names, and where each lives in the auth options.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Templates = new Dictionary<string, string[]>
    {
        ["verification"] = ["verificationTemplate"],
        ["password-reset"] = ["resetPasswordTemplate"],
        ["email-change"] = ["confirmEmailChangeTemplate"],
        ["otp"] = ["otp", "emailTemplate"],
        ["login-alert"] = ["authAlert", "emailTemplate"],
    };

    public void SendVerification(Record record)
    {
        var token = tokens.Issue(record, TokenService.Verification, extra: new Dictionary<string, string> { ["email"] = record.GetString("email") });
        Queue(record, "verificationTemplate", record.GetString("email"), TokenService.Verification, token);
    }

    public void SendPasswordReset(Record record)
    {
        var token = tokens.Issue(record, TokenService.PasswordReset, extra: new Dictionary<string, string> { ["email"] = record.GetString("email") });
        Queue(record, "resetPasswordTemplate", record.GetString("email"), TokenService.PasswordReset, token);
    }

    /// <summary>The confirmation goes to the new address: whoever confirms proves they can read it.</summary>
    public void SendEmailChange(Record record, string newEmail)
    {
        var token = tokens.Issue(record, TokenService.EmailChange, extra: new Dictionary<string, string>
        {
            ["email"] = record.GetString("email"),
            ["newEmail"] = newEmail,
        });
        Queue(record, "confirmEmailChangeTemplate", newEmail, TokenService.EmailChange, token);
    }

    /// <summary>A sign-in from a new device or network; <paramref name="info"/> says which, for the <c>{ALERT_INFO}</c> placeholder.</summary>
    public void SendAuthAlert(Record record, string info)
    {
        var template = record.Collection.AuthOptions["authAlert"]?["emailTemplate"];
        var message = MailTemplate.Render(template, record.GetString("email"), Values(record) with { AlertInfo = info });
        outbox.Send(message, "authAlert");
    }

    private void Queue(Record record, string templateKey, string to, string kind, string token)
    {
        var message = MailTemplate.Render(record.Collection.AuthOptions[templateKey], to,
            Values(record) with { Token = token });
        outbox.Send(message, kind);
    }

    /// <summary>
    /// A sample of one of <see cref="Templates"/> for <paramref name="to"/>, rendered for a record that is not stored: its
    /// links carry a placeholder, not a usable token, so a test mail that goes astray grants nothing.
    /// </summary>
    public MailMessage Sample(Collection collection, string template, string to)
    {
        var record = new Record(collection) { Id = "test" };
        record["email"] = to;
        var node = Templates[template].Aggregate((System.Text.Json.Nodes.JsonNode?)collection.AuthOptions, (n, key) => n?[key]);
        var message = MailTemplate.Render(node, to, Values(record) with { Token = "TEST_TOKEN", AlertInfo = "a test of the login alert" });
        return message with { Subject = message.Subject.Replace("{OTP}", "123456"), Html = message.Html.Replace("{OTP}", "123456") };
    }

    private MailTemplate.Values Values(Record record)
    {
        var meta = settings.Current.Meta; // one snapshot: name and URL of the same settings
        return new(meta.AppName, meta.AppUrl, record);
    }
}
