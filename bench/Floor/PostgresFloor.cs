using System.Security.Cryptography;
using System.Text.Json;
using Cairn.Bench;
using Npgsql;
using NpgsqlTypes;

namespace Cairn.Bench.Floor;

/// <summary>
/// The PostgreSQL floor: what the view, list and create endpoints cost with nothing but Kestrel and Npgsql
/// (one <see cref="NpgsqlDataSource"/>, pooled connections, every statement prepared, async all the way).
/// Same table shapes as Cairn creates on PostgreSQL (id text primary key, _cairn_version, an identity
/// _rowid_ for insertion order, then the fields), same rows and ids, same URLs and JSON shape as Cairn.
/// No token check, owner or expand endpoints: the PostgreSQL run measures view, list and create only.
///
///   Floor --postgres CONN --http 127.0.0.1:PORT --posts posts.ids --notes notes.ids --users users.ids
/// </summary>
internal static class PostgresFloor
{
    private const string RowColumns = """ "id", "_cairn_version", "title", "body", "likes", "author", "created", "updated" """;

    public static async Task RunAsync(Dictionary<string, string> options)
    {
        await using var dataSource = NpgsqlDataSource.Create(options["--postgres"]);
        await SeedAsync(dataSource, options["--posts"], options["--notes"], options["--users"]);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://" + options["--http"]);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();

        app.MapGet("/api/health", () => Results.Json(new { message = "API is healthy.", code = 200, data = new { } }));

        app.MapGet("/api/collections/posts/records/{id}", async (string id, HttpContext context) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand($"""SELECT {RowColumns} FROM "posts" WHERE "id" = $1 LIMIT 1""", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            await command.PrepareAsync();
            await using var reader = await command.ExecuteReaderAsync();
            if (!await reader.ReadAsync()) { context.Response.StatusCode = 404; return; }
            context.Response.ContentType = "application/json";
            context.Response.Headers.ETag = $"\"{reader.GetString(0)}-{reader.GetInt32(1)}\"";
            await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
            FloorJson.WriteRow(json, reader, "posts");
            await json.FlushAsync();
        });

        app.MapGet("/api/collections/notes/records", async (HttpContext context, int? perPage, string? skipTotal) =>
        {
            var size = Math.Clamp(perPage ?? 30, 1, 1000);
            await using var connection = await dataSource.OpenConnectionAsync();
            long total = -1;
            if (skipTotal is not ("1" or "true"))
            {
                await using var count = new NpgsqlCommand("""SELECT COUNT(*) FROM "notes" """, connection);
                await count.PrepareAsync();
                total = (long)(await count.ExecuteScalarAsync())!;
            }
            await using var command = new NpgsqlCommand($"""SELECT {RowColumns} FROM "notes" ORDER BY "_rowid_" LIMIT $1 OFFSET 0""", connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = size });
            await command.PrepareAsync();
            await using var reader = await command.ExecuteReaderAsync();
            context.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
            json.WriteStartObject();
            json.WriteNumber("page", 1);
            json.WriteNumber("perPage", size);
            json.WriteNumber("totalItems", total);
            json.WriteNumber("totalPages", total < 0 ? -1 : (total + size - 1) / size);
            json.WriteStartArray("items");
            while (await reader.ReadAsync()) FloorJson.WriteRow(json, reader, "notes");
            json.WriteEndArray();
            json.WriteEndObject();
            await json.FlushAsync();
        });

        // One autocommit INSERT per request: PostgreSQL's WAL flush already covers every commit queued behind
        // it, so concurrent requests share fsyncs without a writer of our own.
        app.MapPost("/api/collections/bench_create/records", async (HttpContext context) =>
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var root = body.RootElement;
            var id = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 15);
            var title = root.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
            var text = root.TryGetProperty("body", out var b) ? b.GetString() ?? "" : "";
            var likes = root.TryGetProperty("likes", out var l) ? l.GetDouble() : 0;
            var created = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'");
            await using (var connection = await dataSource.OpenConnectionAsync())
            {
                await using var insert = new NpgsqlCommand("""INSERT INTO "bench_create" ("id", "title", "body", "likes", "created", "updated") VALUES ($1, $2, $3, $4, $5, $5)""", connection);
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = title });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = text });
                insert.Parameters.Add(new NpgsqlParameter<double> { TypedValue = likes });
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = created });
                await insert.PrepareAsync();
                await insert.ExecuteNonQueryAsync();
            }
            context.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
            json.WriteStartObject();
            json.WriteString("collectionId", "bench_create");
            json.WriteString("collectionName", "bench_create");
            json.WriteString("id", id);
            json.WriteString("title", title);
            json.WriteString("body", text);
            json.WriteNumber("likes", likes);
            json.WriteString("created", created);
            json.WriteString("updated", created);
            json.WriteEndObject();
            await json.FlushAsync();
        });

        await app.RunAsync();
    }

    // Creates the tables (as Cairn does for the seeder's collections) and loads the rows once, with binary COPY.
    private static async Task SeedAsync(NpgsqlDataSource dataSource, string postsFile, string notesFile, string usersFile)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var check = new NpgsqlCommand("SELECT to_regclass('posts') IS NOT NULL", connection))
            if ((bool)(await check.ExecuteScalarAsync())!) return;
        var created = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'");
        var userIds = File.ReadAllLines(usersFile);
        foreach (var (table, file) in new[] { ("posts", postsFile), ("notes", notesFile), ("bench_create", "") })
        {
            var author = table == "bench_create" ? "" : """, "author" text NOT NULL DEFAULT '' """;
            await using (var create = new NpgsqlCommand($"""CREATE TABLE "{table}" ("id" text PRIMARY KEY NOT NULL, "_cairn_version" integer NOT NULL DEFAULT 1, "_rowid_" bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE, "title" text NOT NULL DEFAULT '', "body" text NOT NULL DEFAULT '', "likes" double precision NOT NULL DEFAULT 0{author}, "created" text NOT NULL DEFAULT '', "updated" text NOT NULL DEFAULT '')""", connection))
                await create.ExecuteNonQueryAsync();
            if (file.Length == 0) continue;
            await using (var copy = await connection.BeginBinaryImportAsync($"""COPY "{table}" ("id", "title", "body", "likes", "author", "created", "updated") FROM STDIN (FORMAT BINARY)"""))
            {
                var i = 0;
                foreach (var line in File.ReadLines(file))
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(line, NpgsqlDbType.Text);
                    await copy.WriteAsync(SeedData.Title(i), NpgsqlDbType.Text);
                    await copy.WriteAsync(SeedData.Body, NpgsqlDbType.Text);
                    await copy.WriteAsync(SeedData.Likes(i), NpgsqlDbType.Double);
                    await copy.WriteAsync(userIds[SeedData.Author(i, userIds.Length)], NpgsqlDbType.Text);
                    await copy.WriteAsync(created, NpgsqlDbType.Text);
                    await copy.WriteAsync(created, NpgsqlDbType.Text);
                    i++;
                }
                await copy.CompleteAsync();
            }
            if (table == "posts")
                await using (var index = new NpgsqlCommand("""CREATE INDEX "idx_posts_author" ON "posts" ("author")""", connection))
                    await index.ExecuteNonQueryAsync();
        }
        await using (var analyze = new NpgsqlCommand("ANALYZE", connection)) await analyze.ExecuteNonQueryAsync();
    }
}
