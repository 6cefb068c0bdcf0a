using Cairn.Mail;
using Cairn.Records;

namespace Cairn.Auth.EmailFlows;

/// <summary>
/// The mails of the auth flows: each issues its token (<see cref="TokenService"/>), renders the collection's template
/// and queues the mail on the <see cref="MailOutbox"/>. Tokens carry the email they were sent to, so a later change of
/// address makes them useless (POCKETBASE_API.md 4).
/// </summary>
public sealed class AuthMails(TokenService tokens, MailOutbox outbox, CairnOptions options)
{
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
        var message = MailTemplate.Render(template, record.GetString("email"), new MailTemplate.Values(options.AppName, options.PublicUrl, record, AlertInfo: info));
        outbox.Send(message, "authAlert");
    }

    private void Queue(Record record, string templateKey, string to, string kind, string token)
    {
        var message = MailTemplate.Render(record.Collection.AuthOptions[templateKey], to,
            new MailTemplate.Values(options.AppName, options.PublicUrl, record, token));
        outbox.Send(message, kind);
    }
}
