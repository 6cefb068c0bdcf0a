using System.Text.Json.Nodes;
using System.Threading.Channels;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Extensions.Hosting;

namespace Cairn.Observability;

/// <summary>
/// Request logs live in their own database file (<c>auxiliary.db</c>) so that their churn never
/// contends with application writes. Entries queue in memory and are written in batches by a
/// background loop; if the queue is full, new entries are dropped rather than slowing requests.
/// </summary>
public sealed class LogStore : BackgroundService
{
    private readonly Channel<LogEntry> _queue = Channel.CreateBounded<LogEntry>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true,
    });

    public LogStore(SqliteDatabase database) => Database = database;

    public SqliteDatabase Database { get; }

    public void Add(LogEntry entry) => _queue.Writer.TryWrite(entry);

    public async Task InitializeAsync(CancellationToken cancellationToken = default) =>
        await Database.WriteAsync(context =>
        {
            context.Execute("""
                CREATE TABLE IF NOT EXISTS "_logs" ("id" TEXT PRIMARY KEY NOT NULL, "level" INTEGER NOT NULL DEFAULT 0,
                  "message" TEXT NOT NULL DEFAULT '', "data" TEXT NOT NULL DEFAULT '{}', "created" TEXT NOT NULL)
                """);
            context.Execute("""CREATE INDEX IF NOT EXISTS "idx_logs_created" ON "_logs" ("created")""");
            return true;
        }, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
                await FlushAsync(reader);
        }
        catch (OperationCanceledException) { }
        await FlushAsync(reader); // what is queued at shutdown is still written
    }

    private async Task FlushAsync(ChannelReader<LogEntry> reader)
    {
        var batch = new List<LogEntry>();
        while (batch.Count < 1000 && reader.TryRead(out var entry)) batch.Add(entry);
        if (batch.Count == 0) return;
        await Database.WriteAsync(context =>
        {
            foreach (var entry in batch)
            {
                using var insert = context.Command("""INSERT INTO "_logs" ("id", "level", "message", "data", "created") VALUES (@p0, @p1, @p2, @p3, @p4)""",
                    CollectionIds.NewRecordId(), entry.Level, entry.Message, entry.Data.ToJsonString(CairnJson.Options), CairnJson.FormatDate(entry.Created));
                insert.ExecuteNonQuery();
            }
            return true;
        });
    }
}

/// <summary>A log entry; <c>level</c> follows slog: -4 debug, 0 info, 4 warn, 8 error.</summary>
public sealed record LogEntry(int Level, string Message, JsonObject Data, DateTimeOffset Created);
