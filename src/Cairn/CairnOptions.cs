using Cairn.Auth.BruteForce;
using Cairn.Batch;

namespace Cairn;

/// <summary>Start-up configuration, validated once (see <see cref="Validate"/>); immutable afterwards.</summary>
public sealed record CairnOptions
{
    /// <summary>Where the databases live (<c>data.db</c>, <c>auxiliary.db</c>).</summary>
    public string DataDir { get; init; } = "./cairn_data";

    /// <summary>
    /// The database: null for SQLite in <see cref="DataDir"/> (the embedded default), or a PostgreSQL connection
    /// string, as a URL (<c>postgres://user:pass@host:5432/db</c>) or in Npgsql's <c>Host=…</c> form.
    /// </summary>
    public string? Database { get; init; }

    /// <summary>The address to listen on, <c>host:port</c>; port 0 picks a free port.</summary>
    public string Http { get; init; } = "127.0.0.1:8090";

    /// <summary><c>synchronous=FULL</c> (default): acknowledged writes survive power loss, not only a crash.</summary>
    public bool SynchronousFull { get; init; } = true;

    /// <summary>Maximum request body in bytes for ordinary routes (PocketBase's default is 32 MiB).</summary>
    public long MaxBodySize { get; init; } = 32L * 1024 * 1024;

    public BatchOptions Batch { get; init; } = new();

    /// <summary>Days request logs are kept in <c>auxiliary.db</c>; 0 stores none.</summary>
    public int LogsMaxDays { get; init; } = 5;

    /// <summary>Print one JSON line per request on standard output (they are stored in the logs database either way).</summary>
    public bool RequestLogToConsole { get; init; } = true;

    /// <summary>Record queries slower than this many milliseconds are logged with their plan; 0 logs every query, -1 none.</summary>
    public int SlowQueryMs { get; init; } = 250;

    /// <summary>A new data folder starts with the default <c>users</c> auth collection, as PocketBase's does.</summary>
    public bool CreateUsersCollection { get; init; } = true;

    /// <summary>
    /// Session cookies carry <c>Secure</c> (sent over HTTPS only). Browsers accept and send such cookies on
    /// http://localhost too; turn this off only for a plain-HTTP client that does not (Safari, .NET's CookieContainer).
    /// </summary>
    public bool SecureCookies { get; init; } = true;

    /// <summary>The application's name in mails (<c>{APP_NAME}</c>).</summary>
    public string AppName { get; init; } = "Cairn";

    /// <summary>The public address of the application, the base of every link in a mail (<c>{APP_URL}</c>); null means <c>http://</c> + <see cref="Http"/>.</summary>
    public string? AppUrl { get; init; }

    /// <summary>The SMTP server mails go through; null writes them to the <c>mails</c> folder of <see cref="DataDir"/>.</summary>
    public Mail.SmtpOptions? Smtp { get; init; }

    /// <summary>Where uploads wait until their record is saved (emptied at start).</summary>
    public string TempFolder => Path.Combine(DataDir, "temp");

    /// <summary>The configured app URL, without a trailing slash; links never come from a request's Host header.</summary>
    public string PublicUrl => (AppUrl ?? $"http://{Http}").TrimEnd('/');

    /// <summary>
    /// Reverse proxies (IP addresses or CIDR ranges) whose <c>X-Forwarded-For</c> / <c>X-Real-IP</c> name the client;
    /// from any other peer those headers are ignored. Empty: the TCP peer is always the client.
    /// </summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>Lockout and progressive delay on failed sign-ins.</summary>
    public BruteForceOptions BruteForce { get; init; } = new();

    /// <summary>Realtime connection limits and the origins allowed to open WebSockets.</summary>
    public Realtime.RealtimeOptions Realtime { get; init; } = new();

    /// <summary>An S3-compatible bucket for record files; null keeps them in the <c>storage</c> folder of <see cref="DataDir"/>.</summary>
    public Files.S3.S3Options? S3 { get; init; }

    /// <summary>
    /// How long a client may take to send a request's headers before the connection is closed: a slowloris client
    /// (headers dribbled a byte at a time to hold connections open) is cut off after this. Bodies have their own
    /// guard, Kestrel's minimum data rate (240 bytes/s after a 5 s grace), so a stalled upload ends with 408.
    /// </summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Open connections (realtime ones included) the server accepts at once; null for no limit. Past it, new connections are closed at once.</summary>
    public long? MaxConnections { get; init; }

    /// <summary>Origins browsers may call the API from (CORS); <c>*</c>, PocketBase's default, allows any.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = ["*"];

    /// <summary>Collect metrics and serve <c>/api/metrics</c> (default); off, no instrument is listened to at all.</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>A secret a Prometheus scraper sends as <c>Authorization: Bearer …</c> to read <c>/api/metrics</c>; superusers may always.</summary>
    public string? MetricsToken { get; init; }

    /// <summary>
    /// A second address (<c>host:port</c>, port not 0) that serves only the metrics, at <c>/metrics</c>, to anyone who can
    /// reach it: for a scraper on a private network, without a token. Null: metrics only on the API's address.
    /// </summary>
    public string? MetricsHttp { get; init; }

    /// <summary>An OpenTelemetry collector (<c>http://collector:4317</c>) that metrics and request traces are pushed to; null pushes nothing.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>Rate-limit rules (<c>settings.rateLimits</c>): off by default, with PocketBase's default rules.</summary>
    public RateLimiting.RateLimitSettings RateLimits { get; init; } = new();

    /// <summary>The record list and view response cache.</summary>
    public Caching.ResponseCacheOptions Cache { get; init; } = new();

    /// <summary>Limits of tus resumable uploads.</summary>
    public Files.Tus.TusOptions Tus { get; init; } = new();

    /// <summary>The lowest level of the JSON log lines on standard output (debug, info, warn, error); null: info, or debug with <see cref="Dev"/>.</summary>
    public Microsoft.Extensions.Logging.LogLevel? LogLevel { get; init; }

    /// <summary>Debug-level logs.</summary>
    public bool Dev { get; init; }

    /// <summary>Returns a one-line description of the first invalid setting, or null when all are valid.</summary>
    public string? Validate()
    {
        if (!TryParseHttp(Http, out _, out _)) return $"--http \"{Http}\" is not a host:port address (for example 127.0.0.1:8090).";
        if (string.IsNullOrWhiteSpace(DataDir)) return "--dir must name a folder.";
        if (Database is not null && !Storage.Postgres.PostgresConnectionString.IsPostgres(Database))
            return "--db must be a PostgreSQL connection string (postgres://user:password@host:5432/database).";
        if (MaxBodySize <= 0) return "The maximum body size must be positive.";
        if (LogsMaxDays < 0) return "--logs-max-days must be 0 or more.";
        if (AppUrl is not null && (!Uri.TryCreate(AppUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            return $"--app-url \"{AppUrl}\" must be an absolute http(s) URL (for example https://app.example.com).";
        if (string.IsNullOrWhiteSpace(AppName)) return "--app-name must not be empty.";
        if (Smtp is not null && !Records.RecordValidator.IsEmail(Smtp.FromAddress))
            return $"--smtp-from \"{Smtp.FromAddress}\" must be an email address (or Name <address>).";
        if (SlowQueryMs < -1) return "--slow-query-ms must be -1 (off), 0 (every query) or more.";
        if (TrustedProxies.FirstOrDefault(p => !Api.ClientIpResolver.TryParseNetwork(p, out _)) is { } proxy)
            return $"--trusted-proxy \"{proxy}\" is not an IP address or CIDR range (for example 10.0.0.1 or 10.0.0.0/8).";
        if (BruteForce.Validate() is { } bruteForce) return bruteForce;
        if (Realtime.Validate() is { } realtime) return realtime;
        if (Tus.Validate() is { } tus) return tus;
        if (S3?.Validate() is { } s3) return s3;
        if (HeaderTimeout <= TimeSpan.Zero) return "--header-timeout must be positive.";
        if (MetricsToken is { Length: < 16 }) return "The metrics token (CAIRN_METRICS_TOKEN) must be at least 16 characters.";
        if (OtlpEndpoint is not null && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https"))
            return $"--otlp-endpoint \"{OtlpEndpoint}\" must be an http(s) URL.";
        if (Cache.Ttl <= TimeSpan.Zero) return "--cache-ttl must be positive.";
        if (MetricsHttp is not null && (!TryParseHttp(MetricsHttp, out _, out var metricsPort) || metricsPort == 0))
            return $"--metrics-http \"{MetricsHttp}\" must be a host:port address with a fixed port (for example 127.0.0.1:9464).";
        if (MetricsHttp is not null && !Metrics) return "--metrics-http serves metrics, which --no-metrics turns off.";
        if (MaxConnections is < 1) return "--max-connections must be at least 1.";
        if (CorsOrigins.FirstOrDefault(o => o != "*" && !(Uri.TryCreate(o, UriKind.Absolute, out var u) && u.Scheme is "http" or "https")) is { } origin)
            return $"--origins \"{origin}\" must be an origin such as https://app.example.com, or *.";
        foreach (var (rule, i) in RateLimits.Rules.Select((r, i) => (r, i)))
            if (rule.Problem() is var (field, message)) return $"--rate-limits: rule {i} ({rule.Label}): {field}: {message}";
        if (RateLimits.ExcludedIPs.FirstOrDefault(p => !Api.ClientIpResolver.TryParseNetwork(p, out _)) is { } excluded)
            return $"--rate-limits: excludedIPs: \"{excluded}\" is not an IP address or CIDR range.";
        return null;
    }

    public static bool TryParseHttp(string value, out string host, out int port)
    {
        host = "";
        port = 0;
        var at = value.LastIndexOf(':');
        if (at <= 0 || !int.TryParse(value[(at + 1)..], out port) || port is < 0 or > 65535) return false;
        host = value[..at].Trim('[', ']');
        return host.Length > 0;
    }
}
