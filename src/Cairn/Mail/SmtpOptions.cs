namespace Cairn.Mail;

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain text: only for a relay on the same host or a trusted network.</summary>
    None,

    /// <summary>Connect in plain text, then upgrade with STARTTLS; refused when the server cannot (no silent downgrade).</summary>
    StartTls,

    /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
    Implicit,
}

/// <summary>
/// The SMTP server mails go through, parsed once from <c>--smtp smtp://user:pass@host:587</c> (or <c>smtps://</c> for
/// implicit TLS). The password is kept out of <see cref="ToString"/> so the options can never print it.
/// </summary>
public sealed record SmtpOptions
{
    public required string Host { get; init; }
    public int Port { get; init; } = 587;
    public string? Username { get; init; }
    public string? Password { get; init; }
    public SmtpSecurity Security { get; init; } = SmtpSecurity.StartTls;

    /// <summary>The SASL mechanism to sign in with, <c>PLAIN</c> or <c>LOGIN</c>; null lets client and server agree on the best.</summary>
    public string? AuthMethod { get; init; }

    /// <summary>The name sent in EHLO (some relays require a real domain); null lets MailKit choose.</summary>
    public string? LocalName { get; init; }

    /// <summary>The sender address, and the display name shown with it.</summary>
    public string FromAddress { get; init; } = "noreply@example.com";
    public string FromName { get; init; } = "";

    /// <summary>
    /// Parses an <c>smtp://</c> or <c>smtps://</c> URL; <paramref name="security"/> (none, starttls, implicit) overrides
    /// the scheme's default. Returns null and a one-line problem when it is not one.
    /// </summary>
    public static SmtpOptions? TryParse(string url, string? security, out string? problem)
    {
        problem = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("smtp" or "smtps") || uri.Host.Length == 0)
        {
            problem = "--smtp must be an SMTP URL such as smtp://user:password@mail.example.com:587 (or smtps:// for implicit TLS).";
            return null;
        }
        var mode = uri.Scheme == "smtps" ? SmtpSecurity.Implicit : SmtpSecurity.StartTls;
        if (!string.IsNullOrEmpty(security))
        {
            switch (security.ToLowerInvariant())
            {
                case "none": mode = SmtpSecurity.None; break;
                case "starttls": mode = SmtpSecurity.StartTls; break;
                case "implicit": mode = SmtpSecurity.Implicit; break;
                default:
                    problem = "--smtp-tls must be none, starttls or implicit.";
                    return null;
            }
        }
        var user = uri.UserInfo.Split(':', 2);
        return new SmtpOptions
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? (mode == SmtpSecurity.Implicit ? 465 : 587) : uri.Port,
            Username = user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : null,
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
            Security = mode,
        };
    }

    // Records print every property; this one must not print the password.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Host = {Host}, Port = {Port}, Username = {Username}, Password = {(Password is null ? "" : "***")}, Security = {Security}, AuthMethod = {AuthMethod}, LocalName = {LocalName}, FromAddress = {FromAddress}, FromName = {FromName}");
        return true;
    }
}
