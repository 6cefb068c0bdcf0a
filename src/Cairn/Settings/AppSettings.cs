using Cairn.Api;
using Cairn.Batch;
using Cairn.Observability;
using Cairn.RateLimiting;

namespace Cairn.Settings;

/// <summary>
/// The settings a superuser changes at run time (<c>GET/PATCH /api/settings</c>, POCKETBASE_API.md 1.7), as one immutable
/// snapshot: a change builds a new one and swaps it in whole (<see cref="LiveSettings"/>), so a request never sees half an update.
/// PocketBase's <c>backups</c> section is left out: Cairn has no backups yet.
/// </summary>
public sealed record AppSettings
{
    public MetaSettings Meta { get; init; } = new();
    public SmtpSettings Smtp { get; init; } = new();
    public S3Settings S3 { get; init; } = new();
    public BatchOptions Batch { get; init; } = new();
    public RateLimitSettings RateLimits { get; init; } = new();
    public TrustedProxySettings TrustedProxy { get; init; } = new();
    public LogsSettings Logs { get; init; } = new();

    /// <summary>When not empty, superuser-authenticated requests from any other client IP are refused (<see cref="SuperuserIpMiddleware"/>).</summary>
    public IReadOnlyList<string> SuperuserIPs { get; init; } = [];
}
