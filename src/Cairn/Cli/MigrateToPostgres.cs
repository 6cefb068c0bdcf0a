using System.Data.Common;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Cairn.Storage.Postgres;
using Npgsql;

namespace Cairn.Cli;

/// <summary>
/// <c>cairn migrate-to-postgres</c>: moves a data folder's SQLite database into an empty PostgreSQL database and
/// proves the move by comparing every collection's rows on both sides. The schema goes through Cairn's own import
/// (<see cref="CollectionStore.ImportAsync"/>), so tables and indexes get PostgreSQL's DDL and collections keep their
/// ids, secrets and timestamps; records are copied with their ids, versions and hidden fields (password hashes,
/// token keys) in insertion order, which PostgreSQL's identity column then keeps for <c>@rowid</c>.
/// The SQLite file is only read (<see cref="SqliteSnapshot"/>).
/// </summary>
internal sealed class MigrateToPostgres(SqliteSnapshot source, PostgresDatabase target, TextWriter output)
{
    /// <summary>Records per transaction: few enough to keep each short, many enough that commits are not the cost.</summary>
    public const int BatchSize = 500;

    private readonly CollectionRegistry _registry = new();
    private readonly RecordStore _records = new(target.Dialect);
    private readonly Dictionary<string, string> _failedViews = [];

    public static async Task<int> RunAsync(string dataDir, string? database, TextWriter output, CancellationToken cancellationToken)
    {
        if (database is null) throw new CliException("--db is required: the PostgreSQL database to copy into (postgres://user:password@host:5432/database)");
        if (!PostgresConnectionString.IsPostgres(database)) throw new CliException("--db must be a PostgreSQL connection string (postgres://user:password@host:5432/database).");
        var path = Path.Combine(dataDir, "data.db");
        using var source = SqliteSnapshot.Open(path);
        PostgresDatabase target;
        try
        {
            target = new PostgresDatabase(database);
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException)
        {
            // The message names host, port and database but never the password.
            throw new CliException($"the PostgreSQL database cannot be used: {e.Message}");
        }
        await using var _ = target;
        output.WriteLine($"Migrating {path} to the PostgreSQL database \"{target.DatabaseName}\".");
        return await new MigrateToPostgres(source, target, output).RunAsync(cancellationToken);
    }

    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureEmptyAsync(cancellationToken);
        }
        catch (DbException e)
        {
            throw new CliException($"the PostgreSQL database cannot be used: {e.Message}");
        }
        var collections = new CollectionStore(target, _registry, TimeProvider.System);
        try
        {
            await collections.InitializeAsync(createUsers: false, cancellationToken);
            // The empty default users collection of a target `serve` has started on gives way to the source's own.
            if (_registry.Find(SystemCollections.UsersId) is not null && !source.Collections.Any(c => c.Id == SystemCollections.UsersId))
                await collections.DeleteAsync(SystemCollections.UsersId, cancellationToken);
            await ImportTablesAsync(collections, cancellationToken);
            await ImportViewsAsync(collections, cancellationToken);
            await collections.KeepTimestampsAsync(source.Collections, cancellationToken);
            var copied = new Dictionary<string, long>();
            foreach (var collection in source.Collections.Where(c => !c.IsView))
                copied[collection.Id] = await CopyAsync(collection, cancellationToken);
            await VerifyAsync(copied, cancellationToken);
            await CopySettingsAsync(cancellationToken);
        }
        catch (DbException e)
        {
            throw Incomplete($"PostgreSQL refused a statement: {e.Message}");
        }
        if (_failedViews.Count == 0) return 0;
        foreach (var (name, reason) in _failedViews) output.WriteLine($"  view {name} was not created: {reason}");
        throw new CliException($"records were copied and verified, but {_failedViews.Count} view collection(s) could not be created on PostgreSQL " +
                               $"({string.Join(", ", _failedViews.Keys)}): view queries are SQL, rewrite them for PostgreSQL and create them again");
    }

    // The saved settings win over flags at start (docs/settings.md): without them the migrated server would quietly fall
    // back to its flags (another app URL in mails, rate limits off).
    private async Task CopySettingsAsync(CancellationToken cancellationToken)
    {
        if (source.StoredSettings() is not { } json || System.Text.Json.Nodes.JsonNode.Parse(json) is not System.Text.Json.Nodes.JsonObject document) return;
        var settings = new Settings.SettingsStore(target, TimeProvider.System);
        await settings.InitializeAsync(cancellationToken);
        await settings.SaveAsync(document, cancellationToken);
        output.WriteLine("Stored settings copied.");
    }

    // A failure once the target has been written to leaves it half-filled, and a second run refuses a non-empty database.
    private static CliException Incomplete(string reason) =>
        new($"{reason}. The PostgreSQL database now holds part of the data: drop and re-create it before running the command again");

    /// <summary>
    /// Refuses a target that holds Cairn data: collections besides the system ones and an empty default <c>users</c>, any
    /// superuser, or a table named like a collection to be copied. A database that <c>cairn serve --db</c> has only started
    /// on (no superuser yet) is accepted.
    /// </summary>
    private async Task EnsureEmptyAsync(CancellationToken cancellationToken)
    {
        var problem = await target.ReadAsync(connection =>
        {
            var tables = new HashSet<string>();
            using (var command = connection.CreateCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"))
            using (var reader = command.ExecuteReader())
                while (reader.Read()) tables.Add(reader.GetString(0));
            if (tables.Contains("_collections"))
            {
                var names = new List<string>();
                using (var command = connection.CreateCommand("""SELECT "name" FROM "_collections" WHERE NOT "system" AND "id" <> @p0 ORDER BY "name" """, SystemCollections.UsersId))
                using (var reader = command.ExecuteReader())
                    while (reader.Read()) names.Add(reader.GetString(0));
                if (tables.Contains(SystemCollections.UsersName) && connection.Scalar($"""SELECT 1 FROM "{SystemCollections.UsersName}" LIMIT 1""") is not null)
                    names.Add(SystemCollections.UsersName);
                if (names.Count > 0) return $"it already holds Cairn collections ({string.Join(", ", names)})";
                if (tables.Contains(Collection.SuperusersName) && connection.Scalar($"""SELECT 1 FROM "{Collection.SuperusersName}" LIMIT 1""") is not null)
                    return "it already holds superusers";
            }
            var defaultUsers = tables.Contains("_collections") && connection.Scalar("""SELECT 1 FROM "_collections" WHERE "id" = @p0""", SystemCollections.UsersId) is not null;
            var clashes = source.Collections.Where(c => !c.System && tables.Contains(c.Name) && !(defaultUsers && c.Name == SystemCollections.UsersName))
                .Select(c => c.Name).ToList();
            return clashes.Count > 0 ? $"it already has tables named like collections to copy ({string.Join(", ", clashes)})" : null;
        }, cancellationToken);
        if (problem is not null)
            throw new CliException($"the PostgreSQL database \"{target.DatabaseName}\" is not empty: {problem}; migrate into a new, empty database");
    }

    // Tables first, in one import, so relations between them resolve; _superusers is updated to the source's options and secrets.
    private async Task ImportTablesAsync(CollectionStore collections, CancellationToken cancellationToken)
    {
        var tables = source.Collections.Where(c => !c.IsView).ToList();
        try
        {
            await collections.ImportAsync(new JsonArray(tables.Select(c => (JsonNode)c.ToJson(includeSecrets: true)).ToArray()), deleteMissing: false, cancellationToken);
        }
        catch (ApiException e)
        {
            var details = e.ErrorData["collections"] is JsonObject items
                ? string.Join("; ", items.Select(item => $"{tables[int.Parse(item.Key)].Name}: {item.Value?.ToJsonString()}"))
                : e.ErrorData.ToJsonString();
            throw Incomplete($"the collections could not be created on PostgreSQL ({details})");
        }
        output.WriteLine($"Created {Plural(tables.Count, "collection")}.");
    }

    // One view at a time, and again while any succeeds: a view may read another that comes later. A view whose
    // query PostgreSQL refuses (SQLite-only functions) is reported at the end rather than stopping the move.
    private async Task ImportViewsAsync(CollectionStore collections, CancellationToken cancellationToken)
    {
        var pending = source.Collections.Where(c => c.IsView).ToList();
        for (var progress = true; pending.Count > 0 && progress;)
        {
            progress = false;
            foreach (var view in pending.ToList())
            {
                try
                {
                    await collections.ImportAsync([view.ToJson(includeSecrets: true)], deleteMissing: false, cancellationToken);
                    pending.Remove(view);
                    _failedViews.Remove(view.Name);
                    progress = true;
                }
                catch (ApiException e)
                {
                    _failedViews[view.Name] = OneLine(e.ErrorData["viewQuery"]?["message"]?.GetValue<string>() ?? e.Message);
                }
                catch (DbException e)
                {
                    _failedViews[view.Name] = OneLine(e.Message);
                }
            }
        }
        if (source.Collections.Any(c => c.IsView)) output.WriteLine($"Created {Plural(source.Collections.Count(c => c.IsView) - _failedViews.Count, "view collection")}.");
    }

    private async Task<long> CopyAsync(Collection from, CancellationToken cancellationToken)
    {
        var to = _registry.Find(from.Id)!;
        long copied = 0;
        foreach (var batch in source.Rows(from).Chunk(BatchSize))
        {
            foreach (var record in batch)
                if (NulField(record) is { } field)
                    throw Incomplete($"the field {field} of record {record.Id} in {from.Name} holds a NUL character (\\u0000), which PostgreSQL cannot store");
            try
            {
                await target.WriteAsync(context =>
                {
                    foreach (var record in batch) _records.InsertCopy(context, Retarget(record, to));
                    return true;
                }, cancellationToken);
            }
            catch (RecordValidationException e)
            {
                throw Incomplete($"a record of {from.Name} breaks a unique index on PostgreSQL ({e.Errors.ToJson().ToJsonString()})");
            }
            copied += batch.Length;
        }
        output.WriteLine($"Copied {from.Name}: {Plural(copied, "record")}.");
        return copied;
    }

    // The record as a row of the target's collection: the same fields, read by name.
    private static Record Retarget(Record record, Collection to)
    {
        var copy = new Record(to) { Version = record.Version };
        foreach (var field in to.Fields) copy[field.Name] = record[field.Name];
        return copy;
    }

    private static string? NulField(Record record)
    {
        foreach (var field in record.Collection.Fields)
            if (HasNul(record[field.Name])) return field.Name;
        return null;

        static bool HasNul(object? value) => value switch
        {
            string s => s.Contains('\0'),
            List<string> list => list.Any(s => s.Contains('\0')),
            JsonObject o => o.Any(p => p.Key.Contains('\0') || HasNul(p.Value)),
            JsonArray a => a.Any(HasNul),
            JsonValue v => v.TryGetValue<string>(out var s) && s.Contains('\0'),
            _ => false,
        };
    }

    private async Task VerifyAsync(Dictionary<string, long> copied, CancellationToken cancellationToken)
    {
        var verifier = new MigrationVerifier(source, target, _records);
        var problems = new List<string>();
        var rows = new List<(Collection Collection, long Rows)>();
        foreach (var from in source.Collections)
        {
            if (_failedViews.ContainsKey(from.Name)) continue;
            var to = _registry.Find(from.Id);
            var result = to is null ? (0, $"collection {from.Name} is missing") : await verifier.CompareAsync(from, to, cancellationToken);
            if (result.Problem is not null) problems.Add(result.Problem);
            else if (!from.IsView && result.Rows != copied[from.Id]) problems.Add($"{from.Name}: {copied[from.Id]} records copied but {result.Rows} compared");
            rows.Add((from, result.Rows));
        }
        if (problems.Count > 0)
            throw new CliException($"the copy does not match the SQLite database: {string.Join("; ", problems)}");

        var width = rows.Max(r => r.Collection.Name.Length);
        output.WriteLine("Verified, field by field:");
        foreach (var (collection, count) in rows)
            output.WriteLine($"  {collection.Name.PadRight(width)}  {collection.Type,-4}  {Plural(count, collection.IsView ? "row" : "record")}");
        output.WriteLine($"{Plural(rows.Count, "collection")} and {Plural(copied.Values.Sum(), "record")} copied and verified.");
    }

    private static string OneLine(string message) => string.Join(' ', message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private static string Plural(long count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}
