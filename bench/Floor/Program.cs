// The floor: what Cairn's record endpoints cost with nothing but Kestrel and Microsoft.Data.Sqlite.
// Same table shapes as Cairn's collections (id TEXT PRIMARY KEY, _cairn_version, then the fields), same rows,
// same URLs and the same JSON shape, so one wrk script drives both servers. The SQL is written by hand:
// it is what Cairn's generated SQL should cost at best.
//
//   Floor --http 127.0.0.1:PORT --dir DIR --posts posts.ids --notes notes.ids --users users.ids --tokens OUT
//
// GET  /api/health                                   constant JSON
// GET  /api/collections/posts/records/{id}           primary-key lookup on a pooled connection
// GET  /api/collections/posts/records?perPage=N      the caller's own posts (author = the token's user, by the
//                                                    author index), in rowid order, + COUNT unless skipTotal
// GET  /api/collections/notes/records?perPage=N      first page in rowid order, + COUNT unless skipTotal;
//                                                    expand=author: one more query, users WHERE id IN (the page's authors)
// POST /api/collections/bench_create/records         insert through a minimal group-commit writer (synchronous=FULL)
// POST /api/collections/users/auth-refresh           the token check, then a new token and the user as its owner sees it
//
//   Floor --bcrypt-rate COST --seconds S               no server: bcrypt verifications per second at COST on every
//                                                      core, the bare ceiling of password sign-in
//
// With --postgres CONN instead of --dir and --tokens: the same view, list and create endpoints on PostgreSQL
// through Npgsql (PostgresFloor.cs).
//
// Tokens are HS256 JWTs the floor signs itself (FloorTokens), written to --tokens at every start in the order
// of users.ids; a request checks one as Cairn does: read the claims, load the user row, verify the signature.
using System.Security.Cryptography;
using System.Text.Json;
using Cairn.Bench;
using Cairn.Bench.Floor;
using Microsoft.Data.Sqlite;

if (args is ["--bcrypt-rate", var cost, "--seconds", var seconds])
{
    BcryptRate.Measure(int.Parse(cost), TimeSpan.FromSeconds(double.Parse(seconds)));
    return;
}
var options = Args(args);
if (options.ContainsKey("--postgres"))
{
    await PostgresFloor.RunAsync(options);
    return;
}
var dir = options["--dir"];
Directory.CreateDirectory(dir);
var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "floor.db"), Pooling = true, DefaultTimeout = 30 }.ToString();
Seed(connectionString, options["--posts"], options["--notes"], options["--users"]);
WriteTokens(connectionString, options["--tokens"]);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://" + options["--http"]);
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
var app = builder.Build();
var writer = new GroupWriter(connectionString);
app.Lifetime.ApplicationStopping.Register(writer.Complete);

const string RowColumns = """ "id", "_cairn_version", "title", "body", "likes", "author", "created", "updated" """;
const string UserColumns = """ "id", "_cairn_version", "password", "tokenKey", "email", "emailVisibility", "verified", "name", "created", "updated" """;

app.MapGet("/api/health", () => Results.Json(new { message = "API is healthy.", code = 200, data = new { } }));

app.MapGet("/api/collections/posts/records/{id}", async (string id, HttpContext context) =>
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = $"""SELECT {RowColumns} FROM "posts" WHERE "id" = @p0 LIMIT 1""";
    command.Parameters.AddWithValue("@p0", id);
    using var reader = command.ExecuteReader();
    if (!reader.Read()) { context.Response.StatusCode = 404; return; }
    context.Response.ContentType = "application/json";
    context.Response.Headers.ETag = $"\"{reader.GetString(0)}-{reader.GetInt64(1)}\"";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
    FloorJson.WriteRow(json, reader, "posts");
    await json.FlushAsync();
});

// The owner rule "author = @request.auth.id", by hand. An invalid token is a 401 here (Cairn answers an empty
// page), so that a broken token file stops the run instead of measuring empty pages.
app.MapGet("/api/collections/posts/records", async (HttpContext context, int? perPage, string? skipTotal) =>
{
    var size = Math.Clamp(perPage ?? 30, 1, 1000);
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    if (FloorTokens.Validate(context.Request.Headers.Authorization.ToString(), id => TokenKey(connection, id)) is not { } user)
    {
        context.Response.StatusCode = 401;
        return;
    }
    using var command = connection.CreateCommand();
    command.CommandText = $"""SELECT {RowColumns} FROM "posts" WHERE "author" = @a ORDER BY _rowid_ LIMIT @p0 OFFSET 0""";
    command.Parameters.AddWithValue("@a", user);
    command.Parameters.AddWithValue("@p0", size);
    var total = skipTotal is "1" or "true" ? -1 : Count(connection, """SELECT COUNT(*) FROM "posts" WHERE "author" = @a""", user);
    using var reader = command.ExecuteReader();
    await WritePage(context, size, total, json => { while (reader.Read()) FloorJson.WriteRow(json, reader, "posts"); });
});

app.MapGet("/api/collections/notes/records", async (HttpContext context, int? perPage, string? skipTotal, string? expand) =>
{
    var size = Math.Clamp(perPage ?? 30, 1, 1000);
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = $"""SELECT {RowColumns} FROM "notes" ORDER BY _rowid_ LIMIT @p0 OFFSET 0""";
    command.Parameters.AddWithValue("@p0", size);
    var total = skipTotal is "1" or "true" ? -1 : Count(connection, """SELECT COUNT(*) FROM "notes" """, null);
    if (expand != "author")
    {
        using var reader = command.ExecuteReader();
        await WritePage(context, size, total, json => { while (reader.Read()) FloorJson.WriteRow(json, reader, "notes"); });
        return;
    }
    // expand=author: the page's rows are read first, then their authors in one query.
    var rows = new List<object[]>(size);
    using (var reader = command.ExecuteReader())
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
    var authors = rows.Select(r => (string)r[5]).Distinct().ToList();
    var users = new Dictionary<string, object[]>(authors.Count);
    using (var select = connection.CreateCommand())
    {
        select.CommandText = $"""SELECT {UserColumns} FROM "users" WHERE "id" IN ({string.Join(", ", authors.Select((_, i) => "@p" + i))})""";
        for (var i = 0; i < authors.Count; i++) select.Parameters.AddWithValue("@p" + i, authors[i]);
        using var reader = select.ExecuteReader();
        while (reader.Read())
        {
            var user = new object[reader.FieldCount];
            reader.GetValues(user);
            users[(string)user[0]] = user;
        }
    }
    await WritePage(context, size, total, json =>
    {
        foreach (var row in rows)
            WriteValues(json, row, "notes", users.TryGetValue((string)row[5], out var author) ? author : null);
    });
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

// auth-refresh: the token check as for the owner scenarios, then a fresh token for the same user and the user
// as its owner sees it (email included), as {token, record}.
app.MapPost("/api/collections/users/auth-refresh", async (HttpContext context) =>
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    object[]? user = null;
    var id = FloorTokens.Validate(context.Request.Headers.Authorization.ToString(), userId =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""SELECT {UserColumns} FROM "users" WHERE "id" = @p0 LIMIT 1""";
        command.Parameters.AddWithValue("@p0", userId);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        user = new object[reader.FieldCount];
        reader.GetValues(user);
        return (string)user[3];
    });
    if (id is null || user is null) { context.Response.StatusCode = 401; return; }
    context.Response.ContentType = "application/json";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
    json.WriteStartObject();
    json.WriteString("token", FloorTokens.Issue(id, (string)user[3], TimeSpan.FromDays(5)));
    json.WriteStartObject("record");
    json.WriteString("collectionId", "users");
    json.WriteString("collectionName", "users");
    json.WriteString("id", id);
    json.WriteString("email", (string)user[4]);
    json.WriteBoolean("emailVisibility", (long)user[5] != 0);
    json.WriteBoolean("verified", (long)user[6] != 0);
    json.WriteString("name", (string)user[7]);
    json.WriteString("created", (string)user[8]);
    json.WriteString("updated", (string)user[9]);
    json.WriteEndObject();
    json.WriteEndObject();
    await json.FlushAsync();
});

app.Run();

static async Task WritePage(HttpContext context, int perPage, long total, Action<Utf8JsonWriter> items)
{
    context.Response.ContentType = "application/json";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
    json.WriteStartObject();
    json.WriteNumber("page", 1);
    json.WriteNumber("perPage", perPage);
    json.WriteNumber("totalItems", total);
    json.WriteNumber("totalPages", total < 0 ? -1 : (total + perPage - 1) / perPage);
    json.WriteStartArray("items");
    items(json);
    json.WriteEndArray();
    json.WriteEndObject();
    await json.FlushAsync();
}

static long Count(SqliteConnection connection, string sql, string? author)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    if (author is not null) command.Parameters.AddWithValue("@a", author);
    return (long)command.ExecuteScalar()!;
}

// The signing key's half that is stored per user; null for an unknown user. The whole row is read, as
// Cairn loads the whole record of a token's user.
static string? TokenKey(SqliteConnection connection, string id)
{
    using var command = connection.CreateCommand();
    command.CommandText = $"""SELECT {UserColumns} FROM "users" WHERE "id" = @p0 LIMIT 1""";
    command.Parameters.AddWithValue("@p0", id);
    using var reader = command.ExecuteReader();
    return reader.Read() ? reader.GetString(3) : null;
}

// A row read into values (columns as in RowColumns), with its expanded author (columns as in UserColumns).
static void WriteValues(Utf8JsonWriter json, object[] row, string collection, object[]? author)
{
    json.WriteStartObject();
    json.WriteString("collectionId", collection);
    json.WriteString("collectionName", collection);
    json.WriteString("id", (string)row[0]);
    json.WriteString("title", (string)row[2]);
    json.WriteString("body", (string)row[3]);
    json.WriteNumber("likes", Convert.ToDouble(row[4]));
    json.WriteString("author", (string)row[5]);
    json.WriteString("created", (string)row[6]);
    json.WriteString("updated", (string)row[7]);
    json.WriteStartObject("expand");
    if (author is not null)
    {
        // The user as a guest sees it: no password or tokenKey, and no email unless emailVisibility is on.
        json.WriteStartObject("author");
        json.WriteString("collectionId", "users");
        json.WriteString("collectionName", "users");
        json.WriteString("id", (string)author[0]);
        if ((long)author[5] != 0) json.WriteString("email", (string)author[4]);
        json.WriteBoolean("emailVisibility", (long)author[5] != 0);
        json.WriteBoolean("verified", (long)author[6] != 0);
        json.WriteString("name", (string)author[7]);
        json.WriteString("created", (string)author[8]);
        json.WriteString("updated", (string)author[9]);
        json.WriteEndObject();
    }
    json.WriteEndObject();
    json.WriteEndObject();
}

static Dictionary<string, string> Args(string[] args)
{
    var map = new Dictionary<string, string>();
    for (var i = 0; i + 1 < args.Length; i += 2) map[args[i]] = args[i + 1];
    var postgres = map.ContainsKey("--postgres");
    foreach (var required in postgres ? ["--http", "--posts", "--notes", "--users"] : new[] { "--http", "--dir", "--posts", "--notes", "--users", "--tokens" })
        if (!map.ContainsKey(required)) throw new ArgumentException($"missing {required}");
    return map;
}

// Creates the tables (as Cairn would for the seeder's collections) and loads the rows once.
static void Seed(string connectionString, string postsFile, string notesFile, string usersFile)
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    Execute(connection, "PRAGMA journal_mode=WAL");
    using (var check = connection.CreateCommand())
    {
        check.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'posts'";
        if ((long)check.ExecuteScalar()! > 0) return;
    }
    var created = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'");
    var userIds = File.ReadAllLines(usersFile);
    using (var transaction = connection.BeginTransaction())
    {
        Execute(connection, """CREATE TABLE "users" ("id" TEXT PRIMARY KEY NOT NULL, "_cairn_version" INTEGER NOT NULL DEFAULT 1, "password" TEXT NOT NULL DEFAULT '', "tokenKey" TEXT NOT NULL DEFAULT '', "email" TEXT NOT NULL DEFAULT '', "emailVisibility" BOOLEAN NOT NULL DEFAULT FALSE, "verified" BOOLEAN NOT NULL DEFAULT FALSE, "name" TEXT NOT NULL DEFAULT '', "created" TEXT NOT NULL DEFAULT '', "updated" TEXT NOT NULL DEFAULT '')""");
        using var insert = connection.CreateCommand();
        insert.CommandText = """INSERT INTO "users" ("id", "password", "tokenKey", "email", "name", "created", "updated") VALUES (@id, @password, @tokenKey, @email, @name, @created, @created)""";
        var id = insert.Parameters.Add("@id", SqliteType.Text);
        var tokenKey = insert.Parameters.Add("@tokenKey", SqliteType.Text);
        var email = insert.Parameters.Add("@email", SqliteType.Text);
        var name = insert.Parameters.Add("@name", SqliteType.Text);
        insert.Parameters.AddWithValue("@password", "$2a$04$" + new string('x', 53)); // never checked: sign-in is not part of the floor
        insert.Parameters.AddWithValue("@created", created);
        for (var i = 0; i < userIds.Length; i++)
        {
            (id.Value, tokenKey.Value, email.Value, name.Value) = (userIds[i], RandomNumberGenerator.GetString(FloorTokens.KeyAlphabet, 50), SeedData.Email(i), SeedData.Name(i));
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }
    foreach (var (table, file) in new[] { ("posts", postsFile), ("notes", notesFile), ("bench_create", "") })
    {
        var author = table == "bench_create" ? "" : """, "author" TEXT NOT NULL DEFAULT '' """;
        Execute(connection, $"""CREATE TABLE "{table}" ("id" TEXT PRIMARY KEY NOT NULL, "_cairn_version" INTEGER NOT NULL DEFAULT 1, "title" TEXT NOT NULL DEFAULT '', "body" TEXT NOT NULL DEFAULT '', "likes" NUMERIC NOT NULL DEFAULT 0{author}, "created" TEXT NOT NULL DEFAULT '', "updated" TEXT NOT NULL DEFAULT '')""");
        if (table == "posts") Execute(connection, """CREATE INDEX "idx_posts_author" ON "posts" ("author")""");
        if (file.Length == 0) continue;
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.CommandText = $"""INSERT INTO "{table}" ("id", "title", "body", "likes", "author", "created", "updated") VALUES (@id, @title, @body, @likes, @author, @created, @created)""";
        var id = insert.Parameters.Add("@id", SqliteType.Text);
        var title = insert.Parameters.Add("@title", SqliteType.Text);
        var body = insert.Parameters.Add("@body", SqliteType.Text);
        var likes = insert.Parameters.Add("@likes", SqliteType.Real);
        var authorId = insert.Parameters.Add("@author", SqliteType.Text);
        insert.Parameters.AddWithValue("@created", created);
        var i = 0;
        foreach (var line in File.ReadLines(file))
        {
            id.Value = line;
            title.Value = SeedData.Title(i);
            body.Value = SeedData.Body;
            likes.Value = SeedData.Likes(i);
            authorId.Value = userIds[SeedData.Author(i, userIds.Length)];
            insert.ExecuteNonQuery();
            i++;
        }
        transaction.Commit();
    }
}

// One token per user, in the order of the users table's rowids (= users.ids).
static void WriteTokens(string connectionString, string file)
{
    using var connection = new SqliteConnection(connectionString);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = """SELECT "id", "tokenKey" FROM "users" ORDER BY _rowid_""";
    using var reader = command.ExecuteReader();
    var tokens = new List<string>();
    while (reader.Read()) tokens.Add(FloorTokens.Issue(reader.GetString(0), reader.GetString(1), TimeSpan.FromDays(5)));
    File.WriteAllLines(file, tokens);
}

static void Execute(SqliteConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

record Row(string Id, string Title, string Body, double Likes, string Created);
