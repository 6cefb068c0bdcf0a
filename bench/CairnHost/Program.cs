// Cairn hosted in-process, exactly as `cairn serve` builds it (CairnApp.BuildAsync), plus a few
// read-only probes that the benchmark needs and the server does not expose. No server code changes.
//
//   CairnHost --http 127.0.0.1:PORT --dir DIR [--no-console-log]
//
// GET /_bench/writer-stats          group-commit counters of data.db (and of auxiliary.db, the request log)
// GET /_bench/noop                  a constant answer through Cairn's whole middleware pipeline
// GET /_bench/view-direct/{id}      the posts lookup written like the floor, but through Cairn's pipeline
// GET /_bench/list-direct           the notes first page (20 rows) written like the floor, through Cairn's pipeline
// --no-console-log                  drops the console logger (profiling only: isolates the per-request log line)
using System.Text.Json;
using Cairn;
using Cairn.Observability;
using Cairn.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var http = Value("--http") ?? "127.0.0.1:8090";
var dir = Value("--dir") ?? "./cairn_data";
var options = new CairnOptions { Http = http, DataDir = dir };
var app = await CairnApp.BuildAsync(options, builder =>
{
    if (args.Contains("--no-console-log")) builder.Logging.ClearProviders();
});

var data = (SqliteDatabase)app.Services.GetRequiredService<IDatabase>();
var logs = app.Services.GetRequiredService<LogStore>().Database;
app.MapGet("/_bench/writer-stats", () => Results.Json(new
{
    data = Stats(data.WriterStats),
    requestLog = Stats(logs.WriterStats),
}));
app.MapGet("/_bench/noop", () => Results.Text("ok"));

var readConnection = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "data.db"), Pooling = true }.ToString();
app.MapGet("/_bench/view-direct/{id}", async (string id, HttpContext context) =>
{
    using var connection = new SqliteConnection(readConnection);
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

app.MapGet("/_bench/list-direct", async (HttpContext context) =>
{
    using var connection = new SqliteConnection(readConnection);
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = """SELECT "id", "_cairn_version", "title", "body", "likes", "created", "updated" FROM "notes" ORDER BY _rowid_ LIMIT 20 OFFSET 0""";
    using var reader = command.ExecuteReader();
    context.Response.ContentType = "application/json";
    await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
    json.WriteStartObject();
    json.WriteNumber("page", 1);
    json.WriteNumber("perPage", 20);
    json.WriteNumber("totalItems", -1);
    json.WriteNumber("totalPages", -1);
    json.WriteStartArray("items");
    while (reader.Read()) WriteRow(json, reader, "notes");
    json.WriteEndArray();
    json.WriteEndObject();
    await json.FlushAsync();
});

await app.RunAsync();
return 0;

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

static object Stats(GroupCommitStats s) => new { batches = s.Batches, units = s.Units, largest = s.Largest, average = Math.Round(s.AverageBatch, 2) };

string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
