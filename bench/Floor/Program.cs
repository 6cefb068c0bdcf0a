// The floor: what Cairn's record endpoints cost with nothing but Kestrel and Microsoft.Data.Sqlite.
// Same table shape as a Cairn collection (id TEXT PRIMARY KEY, _cairn_version, title, body, likes, created, updated),
// same rows, same URLs and the same JSON shape, so one wrk script drives both servers.
//
//   Floor --http 127.0.0.1:PORT --dir DIR --posts posts.ids --notes notes.ids
//
// GET  /api/health                                   constant JSON
// GET  /api/collections/posts/records/{id}           primary-key lookup on a pooled connection
// GET  /api/collections/notes/records?perPage=N      first page in rowid order, no count
// POST /api/collections/bench_create/records         insert through a minimal group-commit writer (synchronous=FULL)
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Cairn.Bench;
using Microsoft.Data.Sqlite;

var options = Args(args);
var dir = options["--dir"];
Directory.CreateDirectory(dir);
var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "floor.db"), Pooling = true, DefaultTimeout = 30 }.ToString();
Seed(connectionString, options["--posts"], options["--notes"]);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://" + options["--http"]);
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
var app = builder.Build();
var writer = new GroupWriter(connectionString);
app.Lifetime.ApplicationStopping.Register(writer.Complete);

app.MapGet("/api/health", () => Results.Json(new { message = "API is healthy.", code = 200, data = new { } }));

app.MapGet("/api/collections/posts/records/{id}", async (string id, HttpContext context) =>
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = """SELECT "id", "_cairn_version", "title", "body", "likes", "created", "updated" FROM "posts" WHERE "id" = @p0 LIMIT 1""";
    command.Parameters.AddWithValue("@p0", id);
    using var reader = command.ExecuteReader();
    if (!reader.Read()) { context.Response.StatusCode = 404; return; }
    context.Response.ContentType = "application/json";
    context.Response.Headers.ETag = $"\"{reader.GetString(0)}-{reader.GetInt64(1)}\"";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
    WriteRow(json, reader, "posts");
    await json.FlushAsync();
});

app.MapGet("/api/collections/notes/records", async (HttpContext context, int? perPage) =>
{
    var size = Math.Clamp(perPage ?? 30, 1, 1000);
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = """SELECT "id", "_cairn_version", "title", "body", "likes", "created", "updated" FROM "notes" ORDER BY _rowid_ LIMIT @p0 OFFSET 0""";
    command.Parameters.AddWithValue("@p0", size);
    using var reader = command.ExecuteReader();
    context.Response.ContentType = "application/json";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
    json.WriteStartObject();
    json.WriteNumber("page", 1);
    json.WriteNumber("perPage", size);
    json.WriteNumber("totalItems", -1);
    json.WriteNumber("totalPages", -1);
    json.WriteStartArray("items");
    while (reader.Read()) WriteRow(json, reader, "notes");
    json.WriteEndArray();
    json.WriteEndObject();
    await json.FlushAsync();
});

app.MapPost("/api/collections/bench_create/records", async (HttpContext context) =>
{
    using var body = await JsonDocument.ParseAsync(context.Request.Body);
    var root = body.RootElement;
    var row = new Row(
        RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 15),
        root.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "",
        root.TryGetProperty("body", out var b) ? b.GetString() ?? "" : "",
        root.TryGetProperty("likes", out var l) ? l.GetDouble() : 0,
        DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'"));
    await writer.InsertAsync(row);
    context.Response.ContentType = "application/json";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
    json.WriteStartObject();
    json.WriteString("collectionId", "bench_create");
    json.WriteString("collectionName", "bench_create");
    json.WriteString("id", row.Id);
    json.WriteString("title", row.Title);
    json.WriteString("body", row.Body);
    json.WriteNumber("likes", row.Likes);
    json.WriteString("created", row.Created);
    json.WriteString("updated", row.Created);
    json.WriteEndObject();
    await json.FlushAsync();
});

app.Run();

static void WriteRow(Utf8JsonWriter json, SqliteDataReader reader, string collection)
{
    json.WriteStartObject();
    json.WriteString("collectionId", collection);
    json.WriteString("collectionName", collection);
    json.WriteString("id", reader.GetString(0));
    json.WriteString("title", reader.GetString(2));
    json.WriteString("body", reader.GetString(3));
    json.WriteNumber("likes", reader.GetDouble(4));
    json.WriteString("created", reader.GetString(5));
    json.WriteString("updated", reader.GetString(6));
    json.WriteEndObject();
}

static Dictionary<string, string> Args(string[] args)
{
    var map = new Dictionary<string, string>();
    for (var i = 0; i + 1 < args.Length; i += 2) map[args[i]] = args[i + 1];
    foreach (var required in new[] { "--http", "--dir", "--posts", "--notes" })
        if (!map.ContainsKey(required)) throw new ArgumentException($"missing {required}");
    return map;
}

// Creates the tables (as Cairn would for a collection with fields title, body, likes) and loads the rows once.
static void Seed(string connectionString, string postsFile, string notesFile)
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    Execute(connection, "PRAGMA journal_mode=WAL");
    using (var check = connection.CreateCommand())
    {
        check.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'posts'";
        if ((long)check.ExecuteScalar()! > 0) return;
    }
    foreach (var (table, file) in new[] { ("posts", postsFile), ("notes", notesFile), ("bench_create", "") })
    {
        Execute(connection, $"""CREATE TABLE "{table}" ("id" TEXT PRIMARY KEY NOT NULL, "_cairn_version" INTEGER NOT NULL DEFAULT 1, "title" TEXT NOT NULL DEFAULT '', "body" TEXT NOT NULL DEFAULT '', "likes" NUMERIC NOT NULL DEFAULT 0, "created" TEXT NOT NULL DEFAULT '', "updated" TEXT NOT NULL DEFAULT '')""");
        if (file.Length == 0) continue;
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.CommandText = $"""INSERT INTO "{table}" ("id", "title", "body", "likes", "created", "updated") VALUES (@id, @title, @body, @likes, @created, @created)""";
        var id = insert.Parameters.Add("@id", SqliteType.Text);
        var title = insert.Parameters.Add("@title", SqliteType.Text);
        var body = insert.Parameters.Add("@body", SqliteType.Text);
        var likes = insert.Parameters.Add("@likes", SqliteType.Real);
        insert.Parameters.AddWithValue("@created", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'"));
        var i = 0;
        foreach (var line in File.ReadLines(file))
        {
            id.Value = line;
            title.Value = SeedData.Title(i);
            body.Value = SeedData.Body;
            likes.Value = SeedData.Likes(i);
            insert.ExecuteNonQuery();
            i++;
        }
        transaction.Commit();
    }
}

static void Execute(SqliteConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

record Row(string Id, string Title, string Body, double Likes, string Created);

/// <summary>The least a group commit needs: one writer thread drains the queue, one transaction and fsync per batch.</summary>
sealed class GroupWriter
{
    private readonly Channel<(Row Row, TaskCompletionSource Done)> _queue = Channel.CreateUnbounded<(Row, TaskCompletionSource)>(new() { SingleReader = true });

    public GroupWriter(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000";
            pragma.ExecuteNonQuery();
        }
        new Thread(() => Run(connection)) { IsBackground = true, Name = "floor-writer" }.Start();
    }

    public Task InsertAsync(Row row)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((row, done));
        return done.Task;
    }

    public void Complete() => _queue.Writer.TryComplete();

    private void Run(SqliteConnection connection)
    {
        var batch = new List<(Row Row, TaskCompletionSource Done)>(256);
        using var insert = connection.CreateCommand();
        insert.CommandText = """INSERT INTO "bench_create" ("id", "title", "body", "likes", "created", "updated") VALUES (@id, @title, @body, @likes, @created, @created)""";
        var id = insert.Parameters.Add("@id", SqliteType.Text);
        var title = insert.Parameters.Add("@title", SqliteType.Text);
        var body = insert.Parameters.Add("@body", SqliteType.Text);
        var likes = insert.Parameters.Add("@likes", SqliteType.Real);
        var created = insert.Parameters.Add("@created", SqliteType.Text);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < 256 && _queue.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                using var transaction = connection.BeginTransaction();
                insert.Transaction = transaction;
                foreach (var (row, _) in batch)
                {
                    id.Value = row.Id;
                    title.Value = row.Title;
                    body.Value = row.Body;
                    likes.Value = row.Likes;
                    created.Value = row.Created;
                    insert.ExecuteNonQuery();
                }
                transaction.Commit();
                foreach (var (_, done) in batch) done.SetResult();
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch) done.TrySetException(e);
            }
        }
    }
}
