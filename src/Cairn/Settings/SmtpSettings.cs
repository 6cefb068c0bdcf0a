using Cairn.Mail;

namespace Cairn.Settings;

/// <summary>
/// <c>settings.smtp</c>. PocketBase's <c>tls</c> (implicit TLS) is kept, and <see cref="Security"/> is Cairn's finer choice:
/// <c>starttls</c> refuses a server that cannot upgrade rather than silently sending in plain text.
/// </summary>
public sealed record SmtpSettings
{
    /// <summary>Off: mails are written to the <c>mails</c> folder of the data directory.</summary>
    public bool Enabled { get; init; }
    public string Host { get; init; } = "";
    public int Port { get; init; } = 587;
    public string Username { get; init; } = "";

    /// <summary>Never returned by the API, never logged.</summary>
    public string Password { get; init; } = "";

    /// <summary><c>PLAIN</c> (default) or <c>LOGIN</c>.</summary>
    public string AuthMethod { get; init; } = "PLAIN";
    public SmtpSecurity Security { get; init; } = SmtpSecurity.StartTls;

    /// <summary>The name sent in EHLO; empty lets the mail library choose.</summary>
    public string LocalName { get; init; } = "";

    public SmtpOptions ToOptions(MetaSettings meta) => new()
    {
        Host = Host, Port = Port, Username = Username.Length > 0 ? Username : null, Password = Password, Security = Security,
        AuthMethod = AuthMethod, LocalName = LocalName.Length > 0 ? LocalName : null,
        FromAddress = meta.SenderAddress, FromName = meta.SenderName,
    };

    // Records print every property; this one must not print the password.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Host = {Host}, Port = {Port}, Username = {Username}, AuthMethod = {AuthMethod}, Security = {Security}, LocalName = {LocalName}");
        return true;
    }
}
