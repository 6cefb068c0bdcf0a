namespace Cairn.Realtime;

/// <summary>Limits of realtime connections (POCKETBASE_API.md 1.4 for the SSE ones).</summary>
public sealed record RealtimeOptions
{
    /// <summary>An SSE connection that has sent nothing for this long is closed (the SDK reconnects).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Any SSE connection is closed after this long, so no connection holds old state for ever.</summary>
    public TimeSpan MaxLifetime { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Messages a connection may have waiting to be written. A client that falls this far behind is dropped
    /// ("too slow") instead of making the server hold an ever-growing queue for it or slowing the others.
    /// </summary>
    public int SendQueueLimit { get; init; } = 500;

    /// <summary>How often the WebSocket endpoint pings an idle client (and how long it waits for the pong).</summary>
    public TimeSpan WebSocketKeepAlive { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Browser origins (<c>https://app.example.com</c>) allowed to open a WebSocket besides the server's own and
    /// <c>--app-url</c>'s; <c>*</c> allows any. Clients that send no <c>Origin</c> (not browsers) are always allowed.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    public const int MaxSubscriptions = 1000, MaxTopicLength = 2500, MaxClientIdLength = 255;

    public string? Validate()
    {
        if (IdleTimeout <= TimeSpan.Zero || MaxLifetime <= TimeSpan.Zero) return "The realtime timeouts must be positive.";
        if (SendQueueLimit < 1) return "--realtime-queue must be at least 1.";
        if (AllowedOrigins.FirstOrDefault(o => o != "*" && !Uri.TryCreate(o, UriKind.Absolute, out _)) is { } origin)
            return $"--allowed-origin \"{origin}\" must be an origin such as https://app.example.com, or *.";
        return null;
    }
}
