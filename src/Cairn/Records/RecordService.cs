using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Files;
using Cairn.Query;
using Cairn.Rules;
using Cairn.Storage;

namespace Cairn.Records;

/// <summary>
/// Record create, update and delete as write units. Each runs entirely on the writer inside one
/// transaction: it re-reads what it depends on there, so checks and writes see one consistent state,
/// and a unit can be composed into a larger one (the batch API runs many in one transaction).
/// </summary>
public sealed class RecordService(IDatabase db, CollectionRegistry registry, RecordStore store, RecordRules rules, TimeProvider clock, RecordFiles files)
{
    public IDatabase Database => db;

    /// <summary>Creates a record; <paramref name="uploads"/> are stored first, under the id the record will have (see <see cref="RecordFiles"/>).</summary>
    public async Task<Record> CreateAsync(Collection collection, JsonObject body, RequestAuth auth, CancellationToken cancellationToken = default,
        RequestData? request = null, UploadSpool? uploads = null)
    {
        if (uploads is not { Files.Count: > 0 }) return await db.WriteAsync(context => Create(context, collection, body, auth, request), cancellationToken);
        var id = await StoreUploadsAsync(collection, FieldValues.ToText(body["id"]), uploads, cancellationToken);
        try
        {
            var record = await db.WriteAsync(context => Create(context, collection, body, auth, request, uploads, id), cancellationToken);
            UploadsSaved(record, uploads);
            return record;
        }
        catch
        {
            await DiscardUnsavedAsync(collection, id, uploads);
            throw;
        }
    }

    public async Task<Record> UpdateAsync(Collection collection, string id, JsonObject body, RequestAuth auth, string? ifMatch, CancellationToken cancellationToken = default,
        RequestData? request = null, UploadSpool? uploads = null)
    {
        if (uploads is not { Files.Count: > 0 }) return await db.WriteAsync(context => Update(context, collection, id, body, auth, ifMatch, request), cancellationToken);
        if (!RecordFiles.CanHold(collection, id)) throw ApiException.NotFound();
        await StoreUploadsAsync(collection, id, uploads, cancellationToken);
        try
        {
            var record = await db.WriteAsync(context => Update(context, collection, id, body, auth, ifMatch, request, uploads), cancellationToken);
            UploadsSaved(record, uploads);
            return record;
        }
        catch
        {
            await DiscardUnsavedAsync(collection, id, uploads);
            throw;
        }
    }

    /// <summary>
    /// Stores a write's uploads under record <paramref name="id"/> (a new id when empty) before the write runs, and
    /// returns that id. The write must then be followed by <see cref="UploadsSaved"/> or <see cref="DiscardUnsavedAsync"/>.
    /// </summary>
    public async Task<string> StoreUploadsAsync(Collection collection, string id, UploadSpool uploads, CancellationToken cancellationToken)
    {
        if (id.Length == 0) id = CollectionIds.NewRecordId();
        if (!RecordFiles.CanHold(collection, id))
            throw new RecordValidationException(new ValidationErrors().Add("id", "validation_invalid_format", "Invalid value format."));
        await files.StoreAsync(collection, id, uploads, cancellationToken);
        return id;
    }

    /// <summary>After the commit: uploads the record does not name after all (two files sent to a single-file field) are removed, the rest is used up.</summary>
    public void UploadsSaved(Record record, UploadSpool uploads)
    {
        var named = FileNames(record);
        foreach (var upload in uploads.Files.Where(u => !named.Contains(u.StoredName)))
            files.DeleteLater(record.Collection, record.Id, upload.StoredName);
        uploads.Saved();
    }

    /// <summary>
    /// After a failed write: the stored uploads no committed record names are removed. Only those: a record that exists keeps
    /// its files whatever happened after its commit, and new uploads have fresh random names, so nothing else can name them.
    /// </summary>
    public async Task DiscardUnsavedAsync(Collection collection, string id, UploadSpool uploads)
    {
        var now = await db.ReadAsync(c => store.FindById(c, null, collection, id), CancellationToken.None);
        var named = now is null ? [] : FileNames(now);
        await files.DiscardAsync(collection, id, uploads.Files.Where(u => !named.Contains(u.StoredName)));
    }

    private static HashSet<string> FileNames(Record record) =>
        record.Collection.Fields.Where(f => f.Type == FieldTypes.File).SelectMany(f => record.GetList(f.Name)).ToHashSet();

    public Task<bool> DeleteAsync(Collection collection, string id, RequestAuth auth, string? ifMatch, CancellationToken cancellationToken = default, RequestData? request = null) =>
        db.WriteAsync(context => Delete(context, collection, id, ifMatch, auth, request), cancellationToken);

    /// <summary>
    /// Creates a record. The create rule is checked on the would-be record after modifiers and defaults but
    /// before autogeneration (POCKETBASE_API.md 2.5): a mismatch is 400 "Failed to create record.".
    /// </summary>
    public Record Create(WriteContext context, Collection collection, JsonObject body, RequestAuth auth, RequestData? request = null,
        UploadSpool? uploads = null, string? presetId = null)
    {
        var form = new RecordForm(RecordForm.NewRecord(collection), isNew: true, auth, canManage: false) { Uploads = uploads };
        form.Load(body, clock.GetUtcNow());
        var data = (request ?? new RequestData { Auth = auth.Record }) with { Body = form.SubmittedValues() };
        if (!rules.MatchesNew(context.Connection, context.Transaction, collection, collection.CreateRule, form.Record, auth, data))
            throw ApiException.BadRequest("Failed to create record.");
        if (collection.IsAuth) form.CanManage = rules.CanManage(context.Connection, context.Transaction, form.Record, isNew: true, auth, data);
        // The uploads were stored under this id already; it takes the place of the autogenerated one.
        if (presetId is not null && form.Record.Id.Length == 0) form.Record.Id = presetId;
        form.GenerateValues();
        if (form.Record.Id.Length == 0) form.Record.Id = CollectionIds.NewRecordId();
        form.ValidateAndFinish();
        CheckRelations(context, form.Record, form.Errors);
        if (collection.IsAuth) CheckAuthIdUnique(context, form.Record);
        store.Insert(context, form.Record);
        form.Record.CallerManages = form.CanManage;
        return form.Record;
    }

    /// <summary>
    /// Updates a record. The update rule runs against the stored row with <c>@request.body</c> holding the
    /// new values; a row it does not match is 404, as if it did not exist.
    /// </summary>
    public Record Update(WriteContext context, Collection collection, string id, JsonObject body, RequestAuth auth, string? ifMatch, RequestData? request = null,
        UploadSpool? uploads = null)
    {
        var record = store.FindById(context.Connection, context.Transaction, collection, id) ?? throw ApiException.NotFound();
        var form = new RecordForm(record, isNew: false, auth, canManage: false) { Uploads = uploads };
        form.Load(body, clock.GetUtcNow());
        var data = (request ?? new RequestData { Auth = auth.Record }) with { Body = form.SubmittedValues() };
        if (!rules.Matches(context.Connection, context.Transaction, collection, collection.UpdateRule, id, auth, data)) throw ApiException.NotFound();
        CheckIfMatch(record, ifMatch);
        if (collection.IsAuth) form.CanManage = rules.CanManage(context.Connection, context.Transaction, record, isNew: false, auth, data);
        form.ValidateAndFinish();
        CheckRelations(context, form.Record, form.Errors);
        store.Update(context, form.Record, form.Changed, form.Increments);
        foreach (var removed in form.RemovedFiles().ToList()) context.OnCommitted(() => files.DeleteLater(collection, id, removed));
        // Re-read after increments so the response shows the value the database computed.
        var saved = form.Increments.Count > 0 ? store.FindById(context.Connection, context.Transaction, collection, id)! : form.Record;
        saved.CallerManages = form.CanManage;
        return saved;
    }

    /// <summary>Deletes a record the delete rule matches (else 404), with its relation references.</summary>
    public bool Delete(WriteContext context, Collection collection, string id, string? ifMatch, RequestAuth auth, RequestData? request = null)
    {
        var record = store.FindById(context.Connection, context.Transaction, collection, id) ?? throw ApiException.NotFound();
        var data = request ?? new RequestData { Auth = auth.Record };
        if (!rules.Matches(context.Connection, context.Transaction, collection, collection.DeleteRule, id, auth, data)) throw ApiException.NotFound();
        CheckIfMatch(record, ifMatch);
        DeleteWithReferences(context, record, depth: 0);
        return true;
    }

    public bool Exists(WriteContext context, Collection collection, string id) =>
        store.ExistingIds(context.Connection, context.Transaction, collection, [id]).Count > 0;

    /// <summary>An <c>If-Match</c> that names another version of the record fails with 412 (optimistic concurrency).</summary>
    private static void CheckIfMatch(Record record, string? ifMatch)
    {
        if (string.IsNullOrWhiteSpace(ifMatch) || ifMatch.Trim() == "*") return;
        var tags = ifMatch.Split(',', StringSplitOptions.TrimEntries);
        if (!tags.Contains(record.ETag))
            throw new ApiException(412, "The record was changed since it was read; reload it and try again.");
    }

    private void CheckRelations(WriteContext context, Record record, ValidationErrors errors)
    {
        foreach (var field in record.Collection.Fields.Where(f => f.Type == FieldTypes.Relation))
        {
            var ids = record.GetList(field.Name);
            if (ids.Count == 0) continue;
            var target = registry.Find(field.RelationCollectionId) ?? (field.RelationCollectionId == record.Collection.Id ? record.Collection : null);
            var found = target is null ? [] : store.ExistingIds(context.Connection, context.Transaction, target, ids);
            if (found.Count != ids.Distinct().Count())
                errors.Add(field.Name, "validation_missing_rel_records", "Failed to find all relation records with the provided ids.");
        }
        if (errors.Any) throw new RecordValidationException(errors);
    }

    // Auth record ids are unique across all auth collections, so a token's id names one user.
    private void CheckAuthIdUnique(WriteContext context, Record record)
    {
        foreach (var other in registry.All.Where(c => c.IsAuth && c.Id != record.Collection.Id))
            if (store.ExistingIds(context.Connection, context.Transaction, other, [record.Id]).Count > 0)
                throw new RecordValidationException(new ValidationErrors().Add("id", "validation_not_unique", "Value must be unique."));
    }

    /// <summary>
    /// Removes the record's id from every relation that points at it; a reference list left empty
    /// deletes the referencing record when the field cascades, and fails the delete when it is required.
    /// </summary>
    private void DeleteWithReferences(WriteContext context, Record record, int depth)
    {
        if (depth > 32) throw ApiException.BadRequest("Failed to delete record. The cascade is too deep.");
        store.Delete(context, record);
        if (record.Collection.Fields.Any(f => f.Type == FieldTypes.File)) context.OnCommitted(() => files.DeleteRecordLater(record.Collection, record.Id));
        foreach (var collection in registry.All)
        foreach (var field in collection.Fields.Where(f => f.Type == FieldTypes.Relation && f.RelationCollectionId == record.Collection.Id))
        foreach (var referencing in store.Referencing(context, collection, field, record.Id))
        {
            var remaining = referencing.GetList(field.Name).Where(i => i != record.Id).ToList();
            if (remaining.Count == 0 && field.CascadeDelete)
            {
                DeleteWithReferences(context, referencing, depth + 1);
                continue;
            }
            if (remaining.Count == 0 && field.Required)
                throw ApiException.BadRequest("Failed to delete record. Make sure that the record is not part of a required relation reference.");
            referencing[field.Name] = field.IsMultiple ? remaining : "";
            store.Update(context, referencing, [field.Name], new Dictionary<string, double>());
        }
    }
}
