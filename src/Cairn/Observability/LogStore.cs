using System.Text.Json.Nodes;
using System.Threading.Channels;
using Cairn.Api;
using Cairn.Storage;
using Cairn.Storage.Sqlite;
using Microsoft.Extensions.Hosting;

namespace Cairn.Observability;

/// <summary>
/// Request logs live in their own database file (<c>auxiliary.db</c>) so that their churn never
/// contends with application writes. Entries queue in memory and are written in batches by a
/// background loop; if the queue is full, new entries are dropped rather than slowing requests.
/// The same loop prints each entry as one JSON line to standard output (see <see cref="RequestLogConsole"/>).
/// </summary>
public sealed class LogStore : BackgroundService
{
    private readonly Channel<LogEntry> _queue = Channel.CreateBounded<LogEntry>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true,
    });

    private const long IdSequenceSpan = 2_176_782_336; // 36^6
    private long _sequence = Random.Shared.NextInt64(IdSequenceSpan);

    private readonly TimeProvider _clock;
    private DateTimeOffset _nextCleanup = DateTimeOffset.MinValue;
    private readonly RequestLogConsole? _console;
    private volatile LogsSettings _settings;

    /// <param name="settings">Retention (PocketBase's <c>logs.maxDays</c>, default 5; 0 stores nothing), lowest stored level, and what entries may record.</param>
    public LogStore(SqliteDatabase database, LogsSettings settings, TimeProvider clock, RequestLogConsole? console = null)
    {
        Database = database;
        _console = console;
        _settings = settings;
        _clock = clock;
    }

    public SqliteDatabase Database { get; }

    public TimeProvider Clock => _clock;

    /// <summary>The settings in force; <see cref="RequestLogMiddleware"/> reads <c>LogIP</c> and <c>LogAuthId</c> from here per request.</summary>
    public LogsSettings Settings => _settings;

    /// <summary>Applies changed settings to the next entries; a shorter retention is enforced at the next flush.</summary>
    public void Configure(LogsSettings settings)
    {
        _settings = settings;
        _nextCleanup = DateTimeOffset.MinValue;
    }

    public void Add(LogEntry entry)
    {
        if (Stored(entry, _settings) || _console is not null) _queue.Writer.TryWrite(entry);
    }

    private static bool Stored(LogEntry entry, LogsSettings settings) => settings.MaxDays > 0 && entry.Level >= settings.MinLevel;

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
        var data = batch.Select(e => e.Data.ToJsonString(CairnJson.Options)).ToArray();
        _console?.Write(batch, data);
        var settings = _settings;
        if (!batch.Any(e => Stored(e, settings))) return;
        await Database.WriteAsync(context =>
        {
            // One statement for the batch: SQLite parses the INSERT once, not once per entry.
            using var insert = context.Command("""INSERT INTO "_logs" ("id", "level", "message", "data", "created") VALUES (@p0, @p1, @p2, @p3, @p4)""",
                "", 0, "", "", "");
            for (var i = 0; i < batch.Count; i++)
            {
                var entry = batch[i];
                if (!Stored(entry, settings)) continue;
                insert.Parameters[0].Value = NewLogId(entry.Created);
                insert.Parameters[1].Value = entry.Level;
                insert.Parameters[2].Value = entry.Message;
                insert.Parameters[3].Value = data[i];
                insert.Parameters[4].Value = CairnJson.FormatDate(entry.Created);
                insert.ExecuteNonQuery();
            }
            DeleteExpired(context, TimeSpan.FromDays(settings.MaxDays));
            return true;
        });
    }

    // Retention runs at most hourly, inside a flush, so the table stays bounded without a timer of its own.
    private void DeleteExpired(WriteContext context, TimeSpan retention)
    {
        var now = _clock.GetUtcNow();
        if (now < _nextCleanup) return;
        _nextCleanup = now.AddHours(1);
        using var delete = context.Command("""DELETE FROM "_logs" WHERE "created" < @p0""", CairnJson.FormatDate(now - retention));
        delete.ExecuteNonQuery();
    }

    /// <summary>
    /// A log id in the record-id format (15 characters of [a-z0-9]) that sorts by time: 9 base-36 digits
    /// of Unix milliseconds, then 6 of a sequence. Random ids put every insert on a random page of the
    /// primary-key index, which costs a page write per request once the table outgrows the cache;
    /// time-ordered ids append. Only the single flush loop calls this, so the sequence needs no lock.
    /// </summary>
    private string NewLogId(DateTimeOffset created)
    {
        Span<char> id = stackalloc char[15];
        WriteBase36(id[..9], Math.Max(0, created.ToUnixTimeMilliseconds()));
        WriteBase36(id[9..], _sequence = (_sequence + 1) % IdSequenceSpan);
        return new string(id);
    }

    private static void WriteBase36(Span<char> digits, long value)
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        for (var i = digits.Length - 1; i >= 0; i--, value /= 36) digits[i] = alphabet[(int)(value % 36)];
    }
}

/// <summary>A log entry; <c>level</c> follows slog: -4 debug, 0 info, 4 warn, 8 error.</summary>
public sealed record LogEntry(int Level, string Message, JsonObject Data, DateTimeOffset Created);
