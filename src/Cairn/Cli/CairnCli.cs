using System.CommandLine;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cairn.Cli;

/// <summary>
/// The <c>cairn</c> command line:
/// <code>
/// cairn serve [--http 127.0.0.1:8090] [--dir ./cairn_data] [--dev] [--log-level info] [--app-url URL] [--app-name NAME] [--smtp smtp://…] [--smtp-from ADDRESS]
///             [--trusted-proxy IP|CIDR]… [--lockout-failures 10] [--lockout-ip-failures 50] [--lockout-minutes 15] [--credential-rate-limit 60]
///             [--allowed-origin URL]… [--realtime-queue 500] [--tus-max-size BYTES] [--tus-expiry-hours 24]
///             [--s3-endpoint URL --s3-bucket NAME [--s3-region us-east-1]]   (keys in CAIRN_S3_ACCESS_KEY, CAIRN_S3_SECRET_KEY)
///             [--rate-limits rate-limits.json] [--origins URL|*]… [--header-timeout 15] [--max-connections N] [--otlp-endpoint URL] [--no-metrics]
///             (the Prometheus scraper's token for /api/metrics in CAIRN_METRICS_TOKEN)
///             [--metrics-http 127.0.0.1:9464] [--cache off|public|all] [--cache-ttl 300]
/// cairn superuser upsert EMAIL PASSWORD [--dir ./cairn_data]
/// cairn migrate-to-postgres --db postgres://… [--dir ./cairn_data]
/// </code>
/// Most flags also read an environment variable (CAIRN_HTTP, CAIRN_DIR, CAIRN_SYNCHRONOUS, CAIRN_LOGS_MAX_DAYS, CAIRN_SLOW_QUERY_MS, CAIRN_DB,
/// CAIRN_APP_NAME, CAIRN_APP_URL, CAIRN_SMTP, CAIRN_SMTP_TLS, CAIRN_SMTP_FROM, CAIRN_TRUSTED_PROXIES, CAIRN_LOCKOUT_FAILURES,
/// CAIRN_LOCKOUT_IP_FAILURES, CAIRN_LOCKOUT_MINUTES, CAIRN_TUS_MAX_SIZE, CAIRN_TUS_EXPIRY_HOURS, CAIRN_S3_ENDPOINT, CAIRN_S3_BUCKET, CAIRN_S3_REGION).
/// The flags that are also settings (app name and URL, SMTP, S3, trusted proxies, log retention, rate limits) only seed
/// them: once a superuser saves settings (PATCH /api/settings), the stored ones win at every start (docs/settings.md).
/// </summary>
public static class CairnCli
{
    public static async Task<int> RunAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var dir = new Option<string>("--dir") { Description = "Data folder (env CAIRN_DIR).", DefaultValueFactory = _ => Env("CAIRN_DIR", "./cairn_data") };
        var database = new Option<string?>("--db")
        {
            Description = "PostgreSQL connection string, postgres://user:password@host:5432/db; without it, SQLite in --dir (env CAIRN_DB).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_DB") is { Length: > 0 } db ? db : null,
        };
        var http = new Option<string>("--http") { Description = "Address to listen on, host:port (env CAIRN_HTTP).", DefaultValueFactory = _ => Env("CAIRN_HTTP", "127.0.0.1:8090") };
        var synchronous = new Option<string>("--synchronous")
        {
            Description = "SQLite durability: full (survives power loss) or normal (survives a crash) (env CAIRN_SYNCHRONOUS).",
            DefaultValueFactory = _ => Env("CAIRN_SYNCHRONOUS", "full"),
        };
        synchronous.AcceptOnlyFromAmong("full", "normal");
        var dev = new Option<bool>("--dev") { Description = "Debug logging." };
        var logLevel = new Option<string?>("--log-level")
        {
            Description = "Lowest level of the JSON log lines: debug, info, warn or error (env CAIRN_LOG_LEVEL).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_LOG_LEVEL") is { Length: > 0 } l ? l : null,
        };
        var logsMaxDays = new Option<int>("--logs-max-days")
        {
            Description = "Days request logs are kept in auxiliary.db; 0 stores none (env CAIRN_LOGS_MAX_DAYS).",
            DefaultValueFactory = _ => int.TryParse(Env("CAIRN_LOGS_MAX_DAYS", "5"), out var days) ? days : -1,
        };
        var slowQueryMs = new Option<int>("--slow-query-ms")
        {
            Description = "Log record queries slower than this with their plan; 0 logs all, -1 none (env CAIRN_SLOW_QUERY_MS).",
            DefaultValueFactory = _ => int.TryParse(Env("CAIRN_SLOW_QUERY_MS", "250"), out var ms) ? ms : -2,
        };

        var appName = new Option<string>("--app-name") { Description = "The application's name in mails (env CAIRN_APP_NAME).", DefaultValueFactory = _ => Env("CAIRN_APP_NAME", "Cairn") };
        var appUrl = new Option<string?>("--app-url")
        {
            Description = "Public URL of the application, the base of links in mails; default http://<--http> (env CAIRN_APP_URL).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_APP_URL") is { Length: > 0 } u ? u : null,
        };
        var smtp = new Option<string?>("--smtp")
        {
            Description = "SMTP server, smtp://user:password@host:587 (STARTTLS) or smtps://…:465; without it mails go to <dir>/mails (env CAIRN_SMTP).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_SMTP") is { Length: > 0 } u ? u : null,
        };
        var smtpTls = new Option<string?>("--smtp-tls")
        {
            Description = "SMTP security: none, starttls or implicit; default from the --smtp scheme (env CAIRN_SMTP_TLS).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_SMTP_TLS") is { Length: > 0 } t ? t : null,
        };
        var smtpFrom = new Option<string>("--smtp-from")
        {
            Description = "Sender of mails, address or \"Name <address>\" (env CAIRN_SMTP_FROM).",
            DefaultValueFactory = _ => Env("CAIRN_SMTP_FROM", "noreply@example.com"),
        };

        var trustedProxy = new Option<string[]>("--trusted-proxy")
        {
            Description = "Reverse proxy whose X-Forwarded-For/X-Real-IP is believed: an IP or CIDR range; repeat or separate with commas (env CAIRN_TRUSTED_PROXIES).",
            DefaultValueFactory = _ => Env("CAIRN_TRUSTED_PROXIES", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var lockoutFailures = new Option<int>("--lockout-failures")
        {
            Description = "Failed sign-ins per account before it is locked for the rest of the window; 0 = off (env CAIRN_LOCKOUT_FAILURES).",
            DefaultValueFactory = _ => int.TryParse(Env("CAIRN_LOCKOUT_FAILURES", "10"), out var n) ? n : -1,
        };
        var lockoutIpFailures = new Option<int>("--lockout-ip-failures")
        {
            Description = "Failed sign-ins per client IP before it is locked for the rest of the window; 0 = off (env CAIRN_LOCKOUT_IP_FAILURES).",
            DefaultValueFactory = _ => int.TryParse(Env("CAIRN_LOCKOUT_IP_FAILURES", "50"), out var n) ? n : -1,
        };
        var lockoutMinutes = new Option<int>("--lockout-minutes")
        {
            Description = "Length of the failure-counting window, and so of a lockout, in minutes (env CAIRN_LOCKOUT_MINUTES).",
            DefaultValueFactory = _ => int.TryParse(Env("CAIRN_LOCKOUT_MINUTES", "15"), out var n) ? n : 0,
        };

        var credentialRateLimit = new Option<int>("--credential-rate-limit")
        {
            Description = "Requests per client IP and minute to all sign-in, one-time-code and mail endpoints together; 0 = off (env CAIRN_CREDENTIAL_RATE_LIMIT).",
            DefaultValueFactory = _ => int.TryParse(Env("CAIRN_CREDENTIAL_RATE_LIMIT", "60"), out var n) ? n : -1,
        };

        var allowedOrigin = new Option<string[]>("--allowed-origin")
        {
            Description = "Browser origin allowed to open realtime WebSockets besides the server's own and --app-url's (https://app.example.com, or *); repeat or separate with commas (env CAIRN_ALLOWED_ORIGINS).",
            DefaultValueFactory = _ => Env("CAIRN_ALLOWED_ORIGINS", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var realtimeQueue = new Option<int>("--realtime-queue")
        {
            Description = "Events a realtime connection may have waiting before it is dropped as too slow (env CAIRN_REALTIME_QUEUE).",
            DefaultValueFactory = _ => int.TryParse(Env("CAIRN_REALTIME_QUEUE", "500"), out var n) ? n : 0,
        };

        var tusMaxSize = new Option<long>("--tus-max-size")
        {
            Description = "Largest resumable (tus) upload in bytes; a file field's maxSize still applies when it is attached (env CAIRN_TUS_MAX_SIZE).",
            DefaultValueFactory = _ => long.TryParse(Env("CAIRN_TUS_MAX_SIZE", (10L << 30).ToString()), out var n) ? n : 0,
        };
        var tusExpiryHours = new Option<double>("--tus-expiry-hours")
        {
            Description = "Hours an untouched resumable upload is kept before it is deleted (env CAIRN_TUS_EXPIRY_HOURS).",
            DefaultValueFactory = _ => EnvNumber("CAIRN_TUS_EXPIRY_HOURS", 24),
        };
        var s3Endpoint = new Option<string?>("--s3-endpoint")
        {
            Description = "Keep record files in an S3-compatible service at this URL instead of --dir/storage; keys come from CAIRN_S3_ACCESS_KEY and CAIRN_S3_SECRET_KEY (env CAIRN_S3_ENDPOINT).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_S3_ENDPOINT") is { Length: > 0 } e ? e : null,
        };
        var s3Bucket = new Option<string>("--s3-bucket") { Description = "The bucket for record files (env CAIRN_S3_BUCKET).", DefaultValueFactory = _ => Env("CAIRN_S3_BUCKET", "") };
        var s3Region = new Option<string>("--s3-region") { Description = "The signing region (env CAIRN_S3_REGION).", DefaultValueFactory = _ => Env("CAIRN_S3_REGION", "us-east-1") };

        var rateLimits = new Option<string?>("--rate-limits")
        {
            Description = "A JSON file of rate-limit settings, {enabled, excludedIPs, rules:[{label, audience, duration, maxRequests, algorithm, by}]} (env CAIRN_RATE_LIMITS).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_RATE_LIMITS") is { Length: > 0 } f ? f : null,
        };

        var origins = new Option<string[]>("--origins")
        {
            Description = "Origins browsers may call the API from (CORS), or * for any; repeat or separate with commas (env CAIRN_ORIGINS).",
            DefaultValueFactory = _ => Env("CAIRN_ORIGINS", "*").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var headerTimeout = new Option<double>("--header-timeout")
        {
            Description = "Seconds a client may take to send its request headers, against slowloris clients (env CAIRN_HEADER_TIMEOUT).",
            DefaultValueFactory = _ => EnvNumber("CAIRN_HEADER_TIMEOUT", 15),
        };
        var maxConnections = new Option<long?>("--max-connections")
        {
            Description = "Open connections accepted at once, realtime ones included; none by default (env CAIRN_MAX_CONNECTIONS).",
            DefaultValueFactory = _ => long.TryParse(Env("CAIRN_MAX_CONNECTIONS", ""), out var n) ? n : null,
        };

        var cache = new Option<string?>("--cache")
        {
            Description = "Which record list/view responses are cached: off, public (rule \"\"; the default on SQLite) or all (each caller apart); off by default on PostgreSQL (env CAIRN_CACHE).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_CACHE"),
        };
        var cacheTtl = new Option<double>("--cache-ttl")
        {
            Description = "Seconds a cached response is kept at most; writes retire entries at once (env CAIRN_CACHE_TTL).",
            DefaultValueFactory = _ => EnvNumber("CAIRN_CACHE_TTL", 300),
        };
        var metricsHttp = new Option<string?>("--metrics-http")
        {
            Description = "A second address, host:port, serving only /metrics to anyone who can reach it (a private network's scraper); env CAIRN_METRICS_HTTP.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAIRN_METRICS_HTTP") is { Length: > 0 } value ? value : null,
        };
        var noMetrics = new Option<bool>("--no-metrics") { Description = "Collect no metrics and serve no /api/metrics." };
        var otlpEndpoint = new Option<string?>("--otlp-endpoint")
        {
            Description = "An OpenTelemetry collector to push metrics and request traces to, http://collector:4317 (env OTEL_EXPORTER_OTLP_ENDPOINT).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } e ? e : null,
        };

        var serve = new Command("serve", "Start the server.") { http, dir, database, synchronous, logsMaxDays, slowQueryMs, dev, logLevel, appName, appUrl, smtp, smtpTls, smtpFrom,
            trustedProxy, lockoutFailures, lockoutIpFailures, lockoutMinutes, credentialRateLimit, allowedOrigin, realtimeQueue, tusMaxSize, tusExpiryHours,
            s3Endpoint, s3Bucket, s3Region, rateLimits, origins, headerTimeout, maxConnections, otlpEndpoint, noMetrics, metricsHttp, cache, cacheTtl };
        serve.SetAction((result, cancellationToken) => ServeAsync(new CairnOptions
        {
            Http = result.GetValue(http)!,
            DataDir = result.GetValue(dir)!,
            Database = result.GetValue(database),
            SynchronousFull = result.GetValue(synchronous) != "normal",
            Dev = result.GetValue(dev),
            LogLevel = result.GetValue(logLevel) switch
            {
                "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
                "info" => Microsoft.Extensions.Logging.LogLevel.Information,
                "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
                "error" => Microsoft.Extensions.Logging.LogLevel.Error,
                null => null,
                var other => throw new CliException($"--log-level \"{other}\" must be debug, info, warn or error."),
            },
            LogsMaxDays = result.GetValue(logsMaxDays),
            SlowQueryMs = result.GetValue(slowQueryMs),
            AppName = result.GetValue(appName)!,
            AppUrl = result.GetValue(appUrl),
            Smtp = Smtp(result.GetValue(smtp), result.GetValue(smtpTls), result.GetValue(smtpFrom)!),
            TrustedProxies = result.GetValue(trustedProxy)!.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
            BruteForce = new Auth.BruteForce.BruteForceOptions
            {
                AccountMaxFailures = result.GetValue(lockoutFailures),
                IpMaxFailures = result.GetValue(lockoutIpFailures),
                Window = TimeSpan.FromMinutes(result.GetValue(lockoutMinutes)),
                CredentialRequestsPerMinute = result.GetValue(credentialRateLimit),
            },
            Realtime = new Realtime.RealtimeOptions
            {
                AllowedOrigins = result.GetValue(allowedOrigin)!.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
                SendQueueLimit = result.GetValue(realtimeQueue),
            },
            Tus = new Files.Tus.TusOptions
            {
                MaxSize = result.GetValue(tusMaxSize),
                Expiry = TimeSpan.FromHours(result.GetValue(tusExpiryHours)),
            },
            // Secrets only from the environment: a command line is visible to every user of the machine.
            S3 = result.GetValue(s3Endpoint) is { } endpoint
                ? new Files.S3.S3Options
                {
                    Endpoint = endpoint, Bucket = result.GetValue(s3Bucket)!, Region = result.GetValue(s3Region)!,
                    AccessKey = Env("CAIRN_S3_ACCESS_KEY", ""), SecretKey = Env("CAIRN_S3_SECRET_KEY", ""),
                }
                : null,
            RateLimits = RateLimitsFile(result.GetValue(rateLimits)),
            CorsOrigins = result.GetValue(origins)!.SelectMany(o => o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
            HeaderTimeout = TimeSpan.FromSeconds(result.GetValue(headerTimeout)),
            MaxConnections = result.GetValue(maxConnections),
            OtlpEndpoint = result.GetValue(otlpEndpoint),
            Metrics = !result.GetValue(noMetrics),
            MetricsHttp = result.GetValue(metricsHttp),
            Cache = new Caching.ResponseCacheOptions
            {
                Mode = result.GetValue(cache) switch
                {
                    null or "" => null,
                    var mode when Enum.TryParse<Caching.ResponseCacheMode>(mode, ignoreCase: true, out var parsed) && !int.TryParse(mode, out _) => parsed,
                    var other => throw new CliException($"--cache \"{other}\" must be off, public or all."),
                },
                Ttl = TimeSpan.FromSeconds(result.GetValue(cacheTtl)),
            },
            // A secret: from the environment only, never a command line other users can read.
            MetricsToken = Environment.GetEnvironmentVariable("CAIRN_METRICS_TOKEN") is { Length: > 0 } metricsToken ? metricsToken : null,
        }, configure));

        var email = new Argument<string>("email") { Description = "The superuser's email." };
        var password = new Argument<string>("password") { Description = "The superuser's password (at least 8 characters)." };
        var upsert = new Command("upsert", "Create a superuser, or set the password of an existing one.") { email, password, dir, database };
        upsert.SetAction((result, cancellationToken) => UpsertSuperuserAsync(
            new CairnOptions { DataDir = result.GetValue(dir)!, Database = result.GetValue(database) }, result.GetValue(email)!, result.GetValue(password)!));
        var superuser = new Command("superuser", "Manage superusers.") { upsert };

        var target = new Option<string?>("--db")
        {
            Description = "The PostgreSQL database to copy into, postgres://user:password@host:5432/db; it must hold no Cairn data yet (env CAIRN_DB).",
            DefaultValueFactory = database.DefaultValueFactory,
        };
        var migrate = new Command("migrate-to-postgres", "Copy the SQLite database of --dir into an empty PostgreSQL database, then compare every collection's rows.") { dir, target };
        migrate.SetAction((result, cancellationToken) => MigrateToPostgres.RunAsync(result.GetValue(dir)!, result.GetValue(target), Console.Out, cancellationToken));

        var root = new RootCommand("Cairn: a self-hosted backend (PocketBase-compatible REST API on SQLite or PostgreSQL).") { serve, superuser, migrate };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line, whatever the parser's message looks like (a list of allowed values comes one per line).
            var message = string.Join(" ", parsed.Errors[0].Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Console.Error.WriteLine($"cairn: {message} (see cairn --help)");
            return 2;
        }
        try
        {
            // Our own handler below turns start-up and command failures into one line; the library's would print a stack trace.
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"cairn: {e.Message}");
            return 1;
        }
    }

    private static Mail.SmtpOptions? Smtp(string? url, string? tls, string from)
    {
        if (url is null) return null;
        var smtp = Mail.SmtpOptions.TryParse(url, tls, out var problem) ?? throw new CliException(problem!);
        if (!MimeKit.MailboxAddress.TryParse(from, out var sender)) throw new CliException($"--smtp-from \"{from}\" must be an email address (or Name <address>).");
        return smtp with { FromAddress = sender.Address, FromName = sender.Name ?? "" };
    }

    private static RateLimiting.RateLimitSettings RateLimitsFile(string? path)
    {
        if (path is null) return new();
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<RateLimiting.RateLimitSettings>(File.ReadAllText(path), Api.CairnJson.Options)
                   ?? throw new CliException($"--rate-limits {path}: the file holds no settings.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new CliException($"--rate-limits {path}: {e.Message}");
        }
    }

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    // A number from the environment (an unreadable one becomes 0, which the options' validation then refuses).
    private static double EnvNumber(string name, double fallback) =>
        double.TryParse(Env(name, fallback.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static async Task<int> ServeAsync(CairnOptions options, Action<WebApplicationBuilder>? configure)
    {
        var app = await OpenAsync(options, configure);
        var registry = app.Services.GetRequiredService<CollectionRegistry>();
        var superusers = registry.Find(Collection.SuperusersId)!;
        var hasSuperuser = await app.Services.GetRequiredService<Storage.IDatabase>()
            .ReadAsync(c => Storage.DbCommandExtensions.Scalar(c, $"SELECT 1 FROM \"{superusers.Name}\" LIMIT 1") is not null);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            throw new CliException($"cannot listen on {options.Http}: {e.Message}");
        }
        Console.WriteLine($"Cairn is serving at http://{options.Http} (data in {Path.GetFullPath(options.DataDir)})");
        if (!hasSuperuser)
            Console.WriteLine($"No superuser yet. Create one with:  cairn superuser upsert EMAIL PASSWORD --dir {options.DataDir}");
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task<int> UpsertSuperuserAsync(CairnOptions options, string email, string password)
    {
        var app = await OpenAsync(options, null);
        await using var _ = app;
        var registry = app.Services.GetRequiredService<CollectionRegistry>();
        var records = app.Services.GetRequiredService<RecordService>();
        var superusers = registry.Find(Collection.SuperusersId)!;
        var existing = await records.Database.ReadAsync(c =>
            app.Services.GetRequiredService<RecordStore>().FindByField(c, superusers, "email", email));
        var body = new System.Text.Json.Nodes.JsonObject { ["email"] = email, ["password"] = password, ["passwordConfirm"] = password };
        try
        {
            if (existing is null) await records.CreateAsync(superusers, body, RequestAuth.System);
            else await records.UpdateAsync(superusers, existing.Id, body, RequestAuth.System, null);
        }
        catch (RecordValidationException e)
        {
            Console.Error.WriteLine($"cairn: invalid superuser: {e.Errors.ToJson().ToJsonString()}");
            return 1;
        }
        Console.WriteLine(existing is null ? $"Created superuser {email}." : $"Updated superuser {email}.");
        return 0;
    }

    private static async Task<WebApplication> OpenAsync(CairnOptions options, Action<WebApplicationBuilder>? configure)
    {
        if (options.Validate() is { } problem) throw new CliException(problem);
        try
        {
            Directory.CreateDirectory(options.DataDir);
            var probe = Path.Combine(options.DataDir, ".write-test");
            await File.WriteAllTextAsync(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"the data folder {options.DataDir} cannot be used: {e.Message}");
        }
        try
        {
            return await CairnApp.BuildAsync(options, configure);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw new CliException($"the database in {options.DataDir} cannot be opened: {e.Message}");
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or ArgumentException && options.Database is not null)
        {
            // The message names host, port and database but never the password.
            throw new CliException($"the PostgreSQL database cannot be used: {e.Message}");
        }
    }
}
