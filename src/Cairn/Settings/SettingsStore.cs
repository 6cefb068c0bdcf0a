using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Storage;

namespace Cairn.Settings;

/// <summary>
/// The settings document in the data database, in PocketBase's <c>_params</c> table (one row, id <c>settings</c>), so it
/// lives on whichever engine holds the data (SQLite or PostgreSQL) and every node of a scaled-out deployment reads the same.
/// </summary>
public sealed class SettingsStore(IDatabase db, TimeProvider clock)
{
    private const string Key = "settings";

    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        db.WriteAsync(context =>
        {
            context.Execute("""
                CREATE TABLE IF NOT EXISTS "_params" ("id" TEXT PRIMARY KEY NOT NULL, "value" TEXT NOT NULL, "created" TEXT NOT NULL, "updated" TEXT NOT NULL)
                """);
            return true;
        }, cancellationToken);

    /// <summary>The stored document, or null when no superuser has saved settings yet.</summary>
    public Task<JsonObject?> LoadAsync(CancellationToken cancellationToken = default) =>
        db.ReadAsync(connection => connection.Scalar("""SELECT "value" FROM "_params" WHERE "id" = @p0""", Key) is string json
            ? JsonNode.Parse(json) as JsonObject
            : null, cancellationToken);

    /// <summary>Stores the document; the task completes once the write is durable.</summary>
    public Task SaveAsync(JsonObject document, CancellationToken cancellationToken = default)
    {
        var now = CairnJson.FormatDate(clock.GetUtcNow());
        return db.WriteAsync(context =>
        {
            // ON CONFLICT … DO UPDATE is the same on SQLite (3.24+) and PostgreSQL.
            using var upsert = context.Command("""
                INSERT INTO "_params" ("id", "value", "created", "updated") VALUES (@p0, @p1, @p2, @p2)
                ON CONFLICT ("id") DO UPDATE SET "value" = excluded."value", "updated" = excluded."updated"
                """, Key, document.ToJsonString(CairnJson.Options), now);
            upsert.ExecuteNonQuery();
            return true;
        }, cancellationToken);
    }
}
