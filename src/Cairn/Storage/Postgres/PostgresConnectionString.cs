using Npgsql;

namespace Cairn.Storage.Postgres;

/// <summary>
/// Accepts the two spellings people paste: a URL (<c>postgres://user:pass@host:5432/db</c>, as Heroku, Render or
/// <c>psql</c> print it) and Npgsql's <c>Host=…;Username=…</c> form.
/// </summary>
public static class PostgresConnectionString
{
    public static bool IsPostgres(string? value) =>
        value is not null && (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
                              value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
                              value.Contains("Host=", StringComparison.OrdinalIgnoreCase));

    /// <summary>The Npgsql form of <paramref name="value"/>; throws <see cref="ArgumentException"/> when it is neither form.</summary>
    public static string Normalize(string value)
    {
        if (!value.Contains("://", StringComparison.Ordinal)) return new NpgsqlConnectionStringBuilder(value).ConnectionString;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || uri.Host.Length == 0)
            throw new ArgumentException("A PostgreSQL URL looks like postgres://user:password@host:5432/database.");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length == 2) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            // libpq's names for the options people put in URLs; Npgsql spells them its own way.
            builder[key switch { "sslmode" => "SSL Mode", "application_name" => "Application Name", "connect_timeout" => "Timeout", _ => key }] =
                kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return builder.ConnectionString;
    }
}
