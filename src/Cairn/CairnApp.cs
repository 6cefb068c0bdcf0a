using Cairn.Api;
using Cairn.Auth;
using Cairn.Auth.BruteForce;
using Cairn.Auth.Mfa;
using Cairn.Auth.Otp;
using Cairn.Auth.Totp;
using Cairn.Auth.OAuth2;
using Cairn.Auth.Sessions;
using Cairn.Auth.EmailFlows;
using Cairn.Batch;
using Cairn.Caching;
using Cairn.Collections;
using Cairn.Files;
using Cairn.Files.Tus;
using Cairn.Mail;
using Cairn.Observability;
using Cairn.RateLimiting;
using Cairn.Realtime;
using Cairn.Records;
using Cairn.Rules;
using Cairn.Records.Expand;
using Cairn.Settings;
using Cairn.Storage;
using Cairn.Storage.Postgres;
using Cairn.Storage.Sqlite;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn;

/// <summary>The whole server as a library: <see cref="AddCairn"/> registers it, <see cref="UseCairn"/> builds the pipeline and routes.</summary>
public static class CairnApp
{
    /// <summary>Builds a ready-to-run application; the databases are opened and migrated before it returns.</summary>
    public static async Task<WebApplication> BuildAsync(CairnOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        // Configuration files are not watched: Cairn reads none, and the default watcher would otherwise
        // watch the whole working directory (the data folder included) with hundreds of inotify handles.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls([Url(options.Http), .. options.MetricsHttp is { } metrics ? [Url(metrics)] : Array.Empty<string>()]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxBodySize;
            k.Limits.RequestHeadersTimeout = options.HeaderTimeout;
            k.Limits.MaxConcurrentConnections = options.MaxConnections;
            k.Limits.MaxConcurrentUpgradedConnections = options.MaxConnections;
            // Realtime endpoints take their connection over from the HTTP layer once the handshake is answered.
            k.ConfigureEndpointDefaults(listen => listen.Use(Realtime.Connections.ConnectionHandoff.Middleware));
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
        builder.Logging.SetMinimumLevel(options.LogLevel ?? (options.Dev ? LogLevel.Debug : LogLevel.Information));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Cairn writes its own request log; with hosting's off, a request (a realtime connection held for minutes
        // included) carries no diagnostics Activity or logging scope of its own.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Data protection comes with the authentication services but protects nothing of Cairn's (tokens are JWTs).
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Services.AddCairn(options);
        configure?.Invoke(builder);

        var app = builder.Build();
        try
        {
            // Settings first: the stored ones decide, among others, where record files are kept.
            await app.Services.GetRequiredService<SettingsService>().InitializeAsync();
            await app.Services.GetRequiredService<CollectionStore>().InitializeAsync(options.CreateUsersCollection);
            await app.Services.GetRequiredService<LogStore>().InitializeAsync();
        }
        catch
        {
            await app.DisposeAsync(); // the databases it opened are closed again
            throw;
        }
        app.UseCairn();
        return app;
    }

    public static IServiceCollection AddCairn(this IServiceCollection services, CairnOptions options)
    {
        Directory.CreateDirectory(options.DataDir);
        // Uploads of requests cut short by a crash are never claimed.
        if (Directory.Exists(options.TempFolder)) Directory.Delete(options.TempFolder, recursive: true);
        var sqlite = new SqlDatabaseOptions(options);
        var flags = SettingsSeed.FromOptions(options);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        IDatabase engine = options.Database is { } connectionString
            ? new PostgresDatabase(connectionString)
            : new SqliteDatabase(Path.Combine(options.DataDir, "data.db"), sqlite.Data);
        services.AddSingleton<IDatabase>(s => new InstrumentedDatabase(engine, s.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(s => s.GetRequiredService<IDatabase>().Dialect);
        services.AddSingleton<CollectionRegistry>();
        services.AddSingleton<CollectionStore>();
        services.AddSingleton<SlowQueryLog>();
        services.AddSingleton<RecordStore>();
        services.AddResponseCache(options);
        services.AddSingleton(options.Realtime);
        services.AddSingleton<IRealtimeBackplane, InProcessBackplane>();
        services.AddSingleton<RealtimeHub>();
        services.AddSingleton<RecordEventDelivery>();
        services.AddHostedService<RealtimeDispatcher>();
        services.AddSingleton<RecordRules>();
        services.AddSingleton<RecordService>();
        services.AddFiles(options);
        services.AddSingleton<IRecordVisibility, Rules.ViewRuleVisibility>();
        services.AddSingleton<RecordExpander>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<SignIn>();
        services.AddMfa();
        services.AddOAuth2();
        services.AddSingleton<SessionStore>();
        services.AddCairnMail(options);
        services.AddEmailFlows();
        services.AddSingleton(new ClientIpResolver(flags.TrustedProxy));
        services.AddSingleton(options.BruteForce);
        services.AddSingleton<CredentialGuard>();
        services.AddCredentialRateLimit(options.BruteForce);
        services.AddRateLimitRules(options.RateLimits);
        services.AddCairnTelemetry(options);
        services.AddSingleton(s => new LogStore(new SqliteDatabase(Path.Combine(options.DataDir, "auxiliary.db"), sqlite.Auxiliary),
            flags.Logs, s.GetRequiredService<TimeProvider>(),
            options.RequestLogToConsole ? new RequestLogConsole(Console.OpenStandardOutput(), options.Dev ? -4 : 0) : null));
        services.AddHostedService(s => s.GetRequiredService<LogStore>());
        services.AddSettings(options);
        services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, _ => { });
        services.AddCors();
        // Form bodies are bounded by each route's own request-body limit (batch's follows settings.batch.maxBodySize);
        // a fixed form limit taken from the start-up settings would go stale when a superuser raises that setting.
        services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = long.MaxValue);
        return services;
    }

    /// <summary>The middleware pipeline, in request order, then the API routes.</summary>
    public static WebApplication UseCairn(this WebApplication app)
    {
        app.UseMiddleware<CorrelationId>();
        app.UseMiddleware<RequestLogMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseStatusCodePages(context => EmptyErrorBody(context.HttpContext));
        var origins = app.Services.GetRequiredService<CairnOptions>().CorsOrigins;
        app.UseCors(cors => (origins.Contains("*") ? cors.AllowAnyOrigin() : cors.WithOrigins([.. origins]))
            .WithMethods("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE").AllowAnyHeader().WithExposedHeaders(["ETag", "X-Request-Id", "Retry-After", "RateLimit", "RateLimit-Policy", .. TusApi.ResponseHeaders]));
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseAuthentication();
        app.UseMiddleware<SuperuserIpMiddleware>();
        app.UseMiddleware<SessionCsrfMiddleware>();
        app.UseMetricsEndpoint();
        app.UseRateLimiter();
        app.UseWebSockets();
        // PocketBase routes have no trailing slash and no redirect for one; ASP.NET routing would ignore it.
        app.Use((context, next) => context.Request.Path.Value is { Length: > 1 } p && p.EndsWith('/')
            ? ErrorResponses.WriteAsync(context, 404)
            : next(context));

        app.MapHealthApi();
        app.MapCollectionsApi();
        app.MapRecordsApi();
        app.MapAuthApi();
        app.MapOtpApi();
        app.MapTotpApi();
        app.MapOAuth2Api();
        app.MapSessionsApi();
        app.MapEmailFlowsApi();
        app.MapImpersonateApi();
        app.MapBatchApi();
        app.MapFilesApi();
        app.MapTusApi();
        app.MapLogsApi();
        app.MapSettingsApi();
        app.MapRealtimeSseApi();
        app.MapRealtimeWebSocketApi();
        app.MapOAuth2RedirectApi();
        // Clients are told to reconnect (SSE streams end, WebSockets close with 1012) before the server waits for requests to finish.
        app.Lifetime.ApplicationStopping.Register(() => app.Services.GetRequiredService<RealtimeHub>().CloseAll(RealtimeCloseReason.ServerShutdown));
        app.Lifetime.ApplicationStopped.Register(() => DisposeDatabases(app.Services));
        return app;
    }

    private static string Url(string address)
    {
        CairnOptions.TryParseHttp(address, out var host, out var port);
        return $"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}";
    }

    // Unknown routes (404) and wrong methods (405) get the JSON error shape too.
    private static Task EmptyErrorBody(HttpContext context) =>
        context.Response.StatusCode is >= 400 and < 600 && context.Response.ContentLength is null or 0 && !context.Response.HasStarted
            ? ErrorResponses.WriteAsync(context, context.Response.StatusCode)
            : Task.CompletedTask;

    private static void DisposeDatabases(IServiceProvider services)
    {
        services.GetRequiredService<IDatabase>().DisposeAsync().AsTask().GetAwaiter().GetResult();
        services.GetRequiredService<LogStore>().Database.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private sealed record SqlDatabaseOptions(CairnOptions Options)
    {
        public SqliteDatabaseOptions Data => new() { SynchronousFull = Options.SynchronousFull };

        // Losing the last request logs on power loss is acceptable; they are not application data. Logs are appended,
        // which touches few pages: SQLite's own default cache (2 MB) serves that, where the data's 32 MB cache filled
        // with log pages during a burst of requests and stayed resident (bench/RESULTS.md, run N).
        public SqliteDatabaseOptions Auxiliary => new() { SynchronousFull = false, WriterCacheKiB = 2_000 };
    }
}
