namespace Cairn.Mail;

/// <summary>One outgoing mail: a single recipient, a subject and an HTML body (a plain-text part is derived from it).</summary>
public sealed record MailMessage(string To, string Subject, string Html);
