namespace Cairn.Settings;

/// <summary><c>settings.meta</c>: the application's name and public URL (every mail link starts with it) and the mail sender.</summary>
public sealed record MetaSettings
{
    public string AppName { get; init; } = "Cairn";

    /// <summary>The public address, without a trailing slash; links never come from a request's Host header.</summary>
    public string AppUrl { get; init; } = "http://127.0.0.1:8090";

    public string SenderName { get; init; } = "";
    public string SenderAddress { get; init; } = "noreply@example.com";

    /// <summary>Kept for the admin dashboard (PocketBase hides its collection editing controls); the API ignores it.</summary>
    public bool HideControls { get; init; }
}
