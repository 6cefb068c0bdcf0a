using System.Security.Cryptography;
using System.Text;
using Cairn.Api;
using Cairn.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cairn.Observability;

/// <summary>
/// Metrics and traces with OpenTelemetry: metrics are always collected and served to Prometheus at <c>/api/metrics</c>
/// (to a superuser, or to a scraper sending <c>Authorization: Bearer</c> the <c>--metrics-token</c>); with
/// <c>--otlp-endpoint</c> they and request traces are also pushed to an OpenTelemetry collector.
/// </summary>
public static class TelemetryServices
{
    public const string MetricsPath = "/api/metrics";

    /// <summary>Where the separate metrics address (<see cref="CairnOptions.MetricsHttp"/>) serves them: Prometheus's default path.</summary>
    public const string ScraperPath = "/metrics";

    public static IServiceCollection AddCairnTelemetry(this IServiceCollection services, CairnOptions options)
    {
        services.AddSingleton<CairnMetrics>();
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("cairn"));
        if (options.Metrics) telemetry.WithMetrics(metrics =>
        {
            // Of ASP.NET Core's meters, the two the dashboard reads: request durations and connections. The others (routing
            // attempts, authentication and rate-limiter durations, memory pool) each record on every request, and
            // together cost several percent of a record view (bench/overhead.sh).
            metrics.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddRuntimeInstrumentation().AddMeter(CairnMetrics.MeterName).AddPrometheusExporter();
            if (options.OtlpEndpoint is { } endpoint) metrics.AddOtlpExporter(otlp => otlp.Endpoint = new Uri(endpoint));
        });
        // Traces cost an Activity per request; they are made only when there is somewhere to send them.
        if (options.OtlpEndpoint is { } traces)
            telemetry.WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddSource(CairnMetrics.MeterName).AddOtlpExporter(otlp => otlp.Endpoint = new Uri(traces)));
        return services;
    }

    /// <summary>Serves <c>/api/metrics</c> in the Prometheus text format, behind <see cref="RequireAccess"/>.</summary>
    public static WebApplication UseMetricsEndpoint(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<CairnOptions>();
        if (!options.Metrics) return app;
        if (options.MetricsHttp is { } metricsHttp)
        {
            // The metrics address answers /metrics to anyone who reaches it, and nothing else: the API is not served there.
            CairnOptions.TryParseHttp(metricsHttp, out _, out var port);
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Connection.LocalPort == port && context.Request.Path.Equals(ScraperPath, StringComparison.Ordinal));
            app.UseWhen(context => context.Connection.LocalPort == port, branch => branch.Run(context => ErrorResponses.WriteAsync(context, 404)));
        }
        var token = options.MetricsToken;
        app.UseWhen(context => context.Request.Path.Equals(MetricsPath, StringComparison.Ordinal), branch => branch.Use((context, next) => RequireAccess(context, token, next)));
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    // Metrics describe the whole server (routes, load, collections' traffic): superusers or the scraper's token only.
    private static Task RequireAccess(HttpContext context, string? token, Func<Task> next)
    {
        if (RequestAuth.Of(context).IsSuperuser || (token is not null && BearerMatches(context.Request.Headers.Authorization.ToString(), token))) return next();
        return RequestAuth.Of(context).IsGuest
            ? ErrorResponses.WriteAsync(context, 401, "The metrics need a superuser or the metrics token.")
            : ErrorResponses.WriteAsync(context, 403, "Only superusers may read the metrics.");
    }

    private static bool BearerMatches(string header, string token)
    {
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[prefix.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }
}
