using System.Data.Common;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Collections.Views;
using Cairn.Records;
using Cairn.Storage;

namespace Cairn.Collections;

/// <summary>
/// Saves collections and keeps each collection's table in step with its fields. A schema change and
/// its DDL run in one transaction (DDL is transactional in SQLite and PostgreSQL), so a failed change
/// leaves both the model and the table as they were. Renamed fields and collections keep their data.
/// View collections are SQL views (<see cref="ViewSchema"/>): every update or delete drops the views and
/// rebuilds them afterwards, so a change that would break one is refused instead.
/// </summary>
public sealed class CollectionStore(IDatabase db, CollectionRegistry registry, TimeProvider clock)
{
    private readonly ViewSchema _views = new(db.Dialect);

    private SqlDialect Dialect => db.Dialect;

    /// <summary>
    /// Creates the system table and any missing system collection (<see cref="SystemCollections"/>), then loads
    /// the schema cache. A new data folder (no <c>_superusers</c> yet) also gets the default <c>users</c>
    /// collection when <paramref name="createUsers"/> is set.
    /// </summary>
    public async Task InitializeAsync(bool createUsers = true, CancellationToken cancellationToken = default)
    {
        var all = await db.WriteAsync(context =>
        {
            context.Execute($"""
                CREATE TABLE IF NOT EXISTS "_collections" (
                  "id" TEXT PRIMARY KEY NOT NULL, "name" TEXT NOT NULL, "type" TEXT NOT NULL, "system" BOOLEAN NOT NULL DEFAULT FALSE,
                  "data" TEXT NOT NULL, "created" TEXT NOT NULL, "updated" TEXT NOT NULL{(Dialect.RowIdColumn is { } rowId ? ", " + rowId : "")})
                """);
            context.Execute("""CREATE UNIQUE INDEX IF NOT EXISTS "idx__collections_name" ON "_collections" (LOWER("name"))""");
            var loaded = LoadAll(context.Connection, context.Transaction);
            var isNew = !loaded.Any(c => c.Id == Collection.SuperusersId);
            var missing = SystemCollections.Required().Where(c => !loaded.Any(l => l.Id == c.Id)).ToList();
            if (isNew && createUsers && !loaded.Any(c => c.Id == SystemCollections.UsersId || string.Equals(c.Name, SystemCollections.UsersName, StringComparison.OrdinalIgnoreCase)))
                missing.Add(SystemCollections.Users());
            foreach (var collection in missing)
            {
                AssignFieldIds(collection);
                Insert(context, collection);
                loaded.Add(collection);
            }
            return loaded;
        }, cancellationToken);
        registry.Replace(all);
    }

    public Task<Collection> CreateAsync(JsonObject body, CancellationToken cancellationToken = default) =>
        db.WriteAsync(context =>
        {
            var all = LoadAll(context.Connection, context.Transaction);
            var errors = new ValidationErrors();
            var collection = CollectionJson.Parse(CollectionJson.MergeForCreate(body), errors);
            collection.System = false;
            if (collection.Id.Length == 0) collection.Id = GeneratedId(collection, all);
            else if (!IsValidId(collection.Id)) errors.Add("id", "validation_invalid_id", "Invalid collection id.");
            if (all.Any(c => c.Id == collection.Id)) errors.Add("id", "validation_collection_id_exists", "The collection id is already in use.");
            // A view's fields come from its query, so they are inferred before the model is validated.
            if (collection.IsView) _views.Prepare(context.Connection, context.Transaction, collection, all, errors, checkIds: true);
            AssignFieldIds(collection);
            CollectionScaffolds.EnsureAuthIndexes(collection);
            CollectionValidator.Validate(collection, null, all, errors, db.Dialect);
            errors.ThrowIfAny("Failed to create collection.");
            Insert(context, collection);
            all.Add(collection);
            context.OnCommitted(() => registry.Replace(all));
            return collection;
        }, cancellationToken);

    public Task<Collection> UpdateAsync(string idOrName, JsonObject body, bool allowDataLoss, CancellationToken cancellationToken = default) =>
        db.WriteAsync(context =>
        {
            var all = LoadAll(context.Connection, context.Transaction);
            var existing = Find(all, idOrName) ?? throw ApiException.NotFound();
            var errors = new ValidationErrors();
            var updated = CollectionJson.Parse(CollectionJson.MergeForUpdate(existing, body), errors);
            updated.Id = existing.Id;
            updated.System = existing.System;
            updated.Created = existing.Created;
            if (updated.IsView) _views.Prepare(context.Connection, context.Transaction, updated, all, errors, checkIds: true);
            AssignFieldIds(updated);
            FollowFieldRenames(existing, updated);
            CollectionScaffolds.EnsureAuthIndexes(updated);
            CollectionValidator.Validate(updated, existing, all, errors, db.Dialect);
            errors.ThrowIfAny("Failed to update collection.");
            _views.DropAll(context, all);
            Update(context, existing, updated, allowDataLoss);
            all[all.FindIndex(c => c.Id == existing.Id)] = updated;
            RebuildViews(context, all);
            context.OnCommitted(() => registry.Replace(all));
            return updated;
        }, cancellationToken);

    public Task DeleteAsync(string idOrName, CancellationToken cancellationToken = default) =>
        db.WriteAsync(context =>
        {
            var all = LoadAll(context.Connection, context.Transaction);
            var collection = Find(all, idOrName) ?? throw ApiException.NotFound();
            _views.DropAll(context, all);
            Delete(context, collection, all);
            all.Remove(collection);
            RebuildViews(context, all);
            context.OnCommitted(() => registry.Replace(all));
            return true;
        }, cancellationToken);

    /// <summary><c>PUT /api/collections/import</c>: creates, updates and (optionally) deletes collections in one transaction.</summary>
    public Task ImportAsync(JsonArray collections, bool deleteMissing, CancellationToken cancellationToken = default) =>
        db.WriteAsync(context =>
        {
            var all = LoadAll(context.Connection, context.Transaction);
            var errors = new ValidationErrors();
            var imported = new List<Collection>();
            // Two passes: create every new collection first so that relations between imported collections resolve.
            for (var i = 0; i < collections.Count; i++)
            {
                if (collections[i] is not JsonObject body)
                {
                    errors.Add(i.ToString(), "validation_invalid_value", "Must be an object.");
                    continue;
                }
                var id = body["id"]?.ToString() ?? "";
                var name = body["name"]?.ToString() ?? "";
                var existing = all.Find(c => id.Length > 0 && c.Id == id) ?? all.Find(c => id.Length == 0 && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
                var itemErrors = new ValidationErrors();
                var merged = existing is null ? CollectionJson.MergeForCreate(body) : CollectionJson.MergeForUpdate(existing, body);
                var collection = CollectionJson.Parse(merged, itemErrors);
                if (existing is not null) { collection.Id = existing.Id; collection.System = existing.System; collection.Created = existing.Created; }
                else if (collection.Id.Length == 0) collection.Id = GeneratedId(collection, all.Concat(imported));
                // A view's fields are inferred once every imported table exists (RebuildViews below); until then it has its id.
                if (collection.IsView && collection.FindField("id") is null) collection.Fields.Insert(0, CollectionScaffolds.IdField());
                AssignFieldIds(collection);
                CollectionScaffolds.EnsureAuthIndexes(collection);
                imported.Add(collection);
                errors.Nest(i.ToString(), itemErrors);
            }
            if (errors.Any) throw ApiException.BadRequest("Failed to import collections.", new JsonObject { ["collections"] = errors.ToJson() });

            var next = all.Where(c => !deleteMissing || c.System || imported.Any(n => n.Id == c.Id)).ToList();
            foreach (var c in imported)
            {
                var at = next.FindIndex(n => n.Id == c.Id);
                if (at >= 0) next[at] = c; else next.Add(c);
            }
            for (var i = 0; i < imported.Count; i++)
            {
                var c = imported[i];
                var existing = all.Find(a => a.Id == c.Id);
                var itemErrors = new ValidationErrors();
                CollectionValidator.Validate(c, existing, next, itemErrors, db.Dialect);
                errors.Nest(i.ToString(), itemErrors);
            }
            if (errors.Any) throw ApiException.BadRequest("Failed to import collections.", new JsonObject { ["collections"] = errors.ToJson() });

            _views.DropAll(context, all);
            // Compared by id: an updated collection is a new object in next, and must not count as missing.
            foreach (var missing in all.Where(c => next.All(n => n.Id != c.Id)).ToList())
                Delete(context, missing, next.Append(missing).ToList());
            foreach (var c in imported.Where(c => all.All(a => a.Id != c.Id)))
                Insert(context, c, finish: false);
            // Updates first: they drop their old indexes, whose names a new collection may now use.
            for (var i = 0; i < imported.Count; i++)
                if (all.Find(a => a.Id == imported[i].Id) is { } existing)
                    AtItem(i, () => Update(context, existing, imported[i], allowDataLoss: true));
            for (var i = 0; i < imported.Count; i++)
                if (all.All(a => a.Id != imported[i].Id))
                    AtItem(i, () => CreateIndexes(context, imported[i]));
            RebuildViews(context, next);
            context.OnCommitted(() => registry.Replace(next));
            return true;
        }, cancellationToken);

    /// <summary>
    /// Gives collections the <c>created</c> and <c>updated</c> of the same collections in <paramref name="originals"/>,
    /// which an import replaces with the current time (<c>cairn migrate-to-postgres</c> keeps them).
    /// </summary>
    public Task KeepTimestampsAsync(IReadOnlyList<Collection> originals, CancellationToken cancellationToken = default) =>
        db.WriteAsync(context =>
        {
            var all = LoadAll(context.Connection, context.Transaction);
            foreach (var collection in all)
            {
                if (originals.FirstOrDefault(o => o.Id == collection.Id) is not { } original) continue;
                (collection.Created, collection.Updated) = (original.Created, original.Updated);
                SaveModel(context, collection);
                using var created = context.Command("""UPDATE "_collections" SET "created" = @p0 WHERE "id" = @p1""", collection.Created, collection.Id);
                created.ExecuteNonQuery();
            }
            context.OnCommitted(() => registry.Replace(all));
            return true;
        }, cancellationToken);

    // A failure while applying one item (a unique index over duplicate values) is reported under the
    // item's position, as its validation errors are.
    private static void AtItem(int index, Action apply)
    {
        try
        {
            apply();
        }
        catch (ApiException e) when (e.Status == 400 && e.ErrorData.Count > 0)
        {
            throw ApiException.BadRequest("Failed to import collections.",
                new JsonObject { ["collections"] = new JsonObject { [index.ToString()] = e.ErrorData.DeepClone() } });
        }
    }

    // ---- persistence and DDL (run inside a write unit) ----

    internal static List<Collection> LoadAll(DbConnection connection, DbTransaction? transaction = null)
    {
        using var command = connection.CreateCommand("""SELECT "data" FROM "_collections" ORDER BY "created", "_rowid_" """);
        command.Transaction = transaction;
        using var reader = command.ExecuteReader();
        var list = new List<Collection>();
        while (reader.Read()) list.Add(CollectionJson.Parse(JsonNode.Parse(reader.GetString(0))!.AsObject()));
        return list;
    }

    private static Collection? Find(List<Collection> all, string idOrName) =>
        all.Find(c => c.Id == idOrName) ?? all.Find(c => string.Equals(c.Name, idOrName, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// <c>pbc_</c> plus CRC-32 of type + name, with a number appended when that id is taken, as PocketBase
    /// does: a collection renamed away from a name keeps its id, so a new one with that name needs another.
    /// </summary>
    private static string GeneratedId(Collection collection, IEnumerable<Collection> all)
    {
        var id = CollectionIds.ForCollection(collection.Type, collection.Name);
        for (var i = 2; all.Any(c => c.Id == id); i++) id = CollectionIds.ForCollection(collection.Type, collection.Name) + i;
        return id;
    }

    private static bool IsValidId(string id) => id.Length is > 0 and <= 100 && id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');

    private static void AssignFieldIds(Collection collection)
    {
        foreach (var field in collection.Fields.Where(f => f.Id.Length == 0))
        {
            var id = CollectionIds.ForField(field.Type, field.Name);
            while (collection.Fields.Any(f => f.Id == id)) id = field.Type + CollectionIds.Random(10, "0123456789");
            field.Id = id;
        }
    }

    /// <summary>An index that still names a renamed field's old name follows the rename, as the column does.</summary>
    private static void FollowFieldRenames(Collection before, Collection after)
    {
        var renames = before.Fields
            .Select(old => (old.Name, New: after.Fields.Find(f => f.Id == old.Id)?.Name))
            .Where(r => r.New is not null && r.New != r.Name && after.FindField(r.Name) is null)
            .ToDictionary(r => r.Name, r => r.New!, StringComparer.OrdinalIgnoreCase);
        if (renames.Count == 0) return;
        for (var i = 0; i < after.Indexes.Count; i++)
        {
            if (IndexDefinition.TryParse(after.Indexes[i]) is not { } index || !index.Columns.Any(c => renames.ContainsKey(c.Name))) continue;
            var columns = index.Columns.Select(c => renames.TryGetValue(c.Name, out var name) ? c with { Name = name } : c).ToList();
            after.Indexes[i] = (index with { Columns = columns }).ToSql(after.Name);
        }
    }

    /// <summary><c>POST /api/collections/meta/dry-run-view</c>: a view query's inferred fields and first rows, nothing saved.</summary>
    public Task<JsonObject> DryRunViewAsync(string query, CancellationToken cancellationToken = default) =>
        db.ReadAsync(connection => _views.DryRun(connection, query, registry.All), cancellationToken);

    // Views are rebuilt from their stored queries after every update or delete; views whose inferred fields changed are saved.
    private void RebuildViews(WriteContext context, List<Collection> all)
    {
        foreach (var view in _views.RebuildAll(context, all)) SaveModel(context, view);
    }

    private void SaveModel(WriteContext context, Collection collection)
    {
        using var save = context.Command("""UPDATE "_collections" SET "name" = @p0, "data" = @p1, "updated" = @p2 WHERE "id" = @p3""",
            collection.Name, collection.ToJson(includeSecrets: true).ToJsonString(), collection.Updated, collection.Id);
        save.ExecuteNonQuery();
    }

    // An import passes finish: false, and creates indexes and views once every imported table exists.
    private void Insert(WriteContext context, Collection collection, bool finish = true)
    {
        var now = CairnJson.FormatDate(clock.GetUtcNow());
        collection.Created = collection.Updated = now;
        using (var insert = context.Command("""INSERT INTO "_collections" ("id", "name", "type", "system", "data", "created", "updated") VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6)""",
                   collection.Id, collection.Name, collection.Type, collection.System, collection.ToJson(includeSecrets: true).ToJsonString(), now, now))
            insert.ExecuteNonQuery();
        if (collection.IsView)
        {
            if (finish) _views.Create(context, collection);
            return;
        }

        var columns = collection.Fields.Where(f => f.Name != "id")
            .Select(f => $"{Dialect.Quote(f.Name)} {Dialect.ColumnType(FieldTypes.ColumnKind(f))}");
        var ddl = $"CREATE TABLE {Dialect.Quote(collection.Name)} ({Dialect.Quote("id")} TEXT PRIMARY KEY NOT NULL, " +
                  $"{Dialect.Quote(RecordsColumns.Version)} INTEGER NOT NULL DEFAULT 1" +
                  (Dialect.RowIdColumn is { } rowId ? ", " + rowId : "") +
                  string.Concat(columns.Select(c => ", " + c)) + ")";
        context.Execute(ddl);
        if (finish) CreateIndexes(context, collection);
    }

    private void CreateIndexes(WriteContext context, Collection collection)
    {
        var errors = new ValidationErrors();
        for (var i = 0; i < collection.Indexes.Count; i++)
        {
            var index = IndexDefinition.TryParse(collection.Indexes[i])!;
            collection.Indexes[i] = index.ToSql(collection.Name);
            try
            {
                context.ExecuteInSavepoint(index.ToDdl(collection.Name, Dialect));
            }
            catch (DbException e)
            {
                errors.Add(i.ToString(), "validation_invalid_index_expression",
                    Dialect.IsUniqueViolation(e, out _, out _) ? "The existing records violate the unique index." : "Failed to create the index.");
            }
        }
        if (errors.Any) throw ApiException.BadRequest("Failed to save collection.", new JsonObject { ["indexes"] = errors.ToJson() });
    }

    private void DropIndexes(WriteContext context, Collection collection)
    {
        foreach (var index in collection.Indexes.Select(IndexDefinition.TryParse).OfType<IndexDefinition>())
            context.Execute($"DROP INDEX IF EXISTS {Dialect.Quote(index.Name)}");
    }

    private void Update(WriteContext context, Collection before, Collection after, bool allowDataLoss)
    {
        if (after.IsView)
        {
            // The SQL view itself is re-created by RebuildViews from the new query.
            after.Updated = CairnJson.FormatDate(clock.GetUtcNow());
            SaveModel(context, after);
            return;
        }
        var table = Dialect.Quote(after.Name);
        DropIndexes(context, before);
        RenameTable(context, before.Name, after.Name);

        var loss = new ValidationErrors();
        foreach (var old in before.Fields.Where(f => f.Name != "id"))
        {
            var now = after.Fields.Find(f => f.Id == old.Id);
            if (now is null)
            {
                if (!allowDataLoss && HasData(context, table, old))
                    loss.Add(old.Name, "validation_data_loss", "The field holds data; resend with ?allowDataLoss=true to drop it.");
                context.Execute($"ALTER TABLE {table} DROP COLUMN {Dialect.Quote(old.Name)}");
            }
        }
        RenameColumns(context, table, before, after);
        foreach (var field in after.Fields.Where(f => f.Name != "id"))
        {
            var old = before.Fields.Find(f => f.Id == field.Id);
            var column = Dialect.Quote(field.Name);
            if (old is null)
            {
                context.Execute($"ALTER TABLE {table} ADD COLUMN {column} {Dialect.ColumnType(FieldTypes.ColumnKind(field))}");
                continue;
            }
            if (old.IsMultiple && !field.IsMultiple)
            {
                var multi = Convert.ToInt64(context.Scalar($"SELECT COUNT(*) FROM {table} WHERE {Dialect.ArrayLength(column)} > 1"));
                if (multi > 0 && !allowDataLoss)
                    loss.Add(field.Name, "validation_data_loss", $"{multi} records hold several values; resend with ?allowDataLoss=true to keep only the last one.");
                context.Execute(Dialect.ChangeToSingle(table, column));
            }
            else if (!old.IsMultiple && field.IsMultiple)
                context.Execute(Dialect.ChangeToMultiple(table, column));
        }
        if (loss.Any) throw ApiException.BadRequest("Failed to update collection.", new JsonObject { ["fields"] = loss.ToJson() });

        after.Updated = CairnJson.FormatDate(clock.GetUtcNow());
        CreateIndexes(context, after);
        SaveModel(context, after);
    }

    // SQLite names are case-insensitive, so it refuses a rename that only changes case ("already another
    // table with this name"); going through a temporary name avoids that.
    private void RenameTable(WriteContext context, string from, string to)
    {
        if (from == to) return;
        if (string.Equals(from, to, StringComparison.OrdinalIgnoreCase))
        {
            context.Execute($"ALTER TABLE {Dialect.Quote(from)} RENAME TO {Dialect.Quote(TemporaryName + to)}");
            from = TemporaryName + to;
        }
        context.Execute($"ALTER TABLE {Dialect.Quote(from)} RENAME TO {Dialect.Quote(to)}");
    }

    // Renames go through temporary names in two phases: a swap, a case-only rename, or a new field taking
    // a renamed field's old name would otherwise collide with a column that still holds the name.
    private void RenameColumns(WriteContext context, string table, Collection before, Collection after)
    {
        var renames = after.Fields
            .Select(f => (Old: before.Fields.Find(o => o.Id == f.Id)?.Name, New: f.Name))
            .Where(r => r.Old is not null && r.Old != r.New)
            .ToList();
        for (var i = 0; i < renames.Count; i++)
            context.Execute($"ALTER TABLE {table} RENAME COLUMN {Dialect.Quote(renames[i].Old!)} TO {Dialect.Quote(TemporaryName + i)}");
        for (var i = 0; i < renames.Count; i++)
            context.Execute($"ALTER TABLE {table} RENAME COLUMN {Dialect.Quote(TemporaryName + i)} TO {Dialect.Quote(renames[i].New)}");
    }

    private const string TemporaryName = "_cairn_rename_";

    private bool HasData(WriteContext context, string table, Field field)
    {
        var column = Dialect.Quote(field.Name);
        var condition = FieldTypes.ColumnKind(field) switch
        {
            ColumnKind.Json => $"{column} IS NOT NULL",
            ColumnKind.Number or ColumnKind.Bool => $"{column} != 0",
            ColumnKind.JsonArray => $"{column} != '[]' AND {column} != ''",
            ColumnKind.GeoPoint => $"{column} != '{{\"lon\":0,\"lat\":0}}'",
            _ => $"{column} != ''",
        };
        return context.Scalar($"SELECT 1 FROM {table} WHERE {condition} LIMIT 1") is not null;
    }

    private void Delete(WriteContext context, Collection collection, List<Collection> all)
    {
        if (collection.System) throw ApiException.BadRequest("System collections cannot be deleted.");
        // Views that read the collection are checked when the views are rebuilt, with a message naming the view.
        var referencing = all.Where(c => c.Id != collection.Id && !c.IsView && c.Fields.Any(f => f.Type == FieldTypes.Relation && f.RelationCollectionId == collection.Id)).ToList();
        if (referencing.Count > 0)
            throw ApiException.BadRequest($"The collection is referenced by {string.Join(", ", referencing.Select(c => c.Name))}. Remove those relation fields first.");
        DropIndexes(context, collection);
        if (!collection.IsView) context.Execute($"DROP TABLE IF EXISTS {Dialect.Quote(collection.Name)}");
        using var delete = context.Command("""DELETE FROM "_collections" WHERE "id" = @p0""", collection.Id);
        delete.ExecuteNonQuery();
    }
}
