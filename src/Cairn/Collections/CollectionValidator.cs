using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Api;
using Cairn.Query;
using Cairn.Records;
using Cairn.Storage;

namespace Cairn.Collections;

/// <summary>Checks a collection model before it is saved; every problem is a field error in the API's shape.</summary>
internal static partial class CollectionValidator
{
    [GeneratedRegex("^[A-Za-z0-9_]+$")]
    private static partial Regex Name();

    private static readonly HashSet<string> ReservedFieldNames =
        new(["null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand", RecordsColumns.Version], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> AuthReservedFieldNames = new(["passwordConfirm", "oldPassword"], StringComparer.OrdinalIgnoreCase);

    public static void Validate(Collection collection, Collection? existing, IReadOnlyCollection<Collection> all, ValidationErrors errors, SqlDialect dialect)
    {
        ValidateName(collection, existing, all, errors);
        if (collection.Type is not (Collection.Base or Collection.Auth or Collection.View))
            errors.Add("type", "validation_invalid_value", "Must be one of base, auth or view.");
        if (existing is not null && existing.Type != collection.Type)
            errors.Add("type", "validation_collection_type_change", "Collection type cannot be changed.");

        foreach (var (key, rule) in Rules(collection))
            if (rule is { } text && text.Trim().Length > 0 && RuleError(collection, all, text, dialect) is { } message)
                errors.Add(key, "validation_invalid_rule", message);
        if (collection.IsAuth && collection.AuthOptions["manageRule"] is JsonValue m && m.TryGetValue<string>(out var manage) && manage.Length == 0)
            errors.Add("manageRule", "validation_invalid_rule", "The manage rule must be null or a non-empty expression.");

        var fieldErrors = new ValidationErrors();
        ValidateFields(collection, existing, all, fieldErrors);
        errors.Nest("fields", fieldErrors);

        var indexErrors = new ValidationErrors();
        for (var i = 0; i < collection.Indexes.Count; i++)
        {
            var index = IndexDefinition.TryParse(collection.Indexes[i]);
            if (index is null) { indexErrors.Add(i.ToString(), "validation_invalid_index_expression", "Invalid CREATE INDEX expression."); continue; }
            foreach (var column in index.Columns)
                if (collection.FindField(column.Name) is null)
                    indexErrors.Add(i.ToString(), "validation_invalid_index_column", $"Unknown index column \"{column.Name}\".");
            if (collection.Indexes.Take(i).Select(IndexDefinition.TryParse).Any(o => o is not null && string.Equals(o.Name, index.Name, StringComparison.OrdinalIgnoreCase)))
                indexErrors.Add(i.ToString(), "validation_duplicated_index_name", "The index name must be unique.");
            else if (all.Where(c => c.Id != collection.Id).SelectMany(c => c.Indexes).Select(IndexDefinition.TryParse)
                         .Any(o => o is not null && string.Equals(o.Name, index.Name, StringComparison.OrdinalIgnoreCase)))
                indexErrors.Add(i.ToString(), "validation_existing_index_name", "The index name is already used by another collection.");
        }
        errors.Nest("indexes", indexErrors);

        if (collection.IsAuth) ValidateAuthOptions(collection, errors);
        if (collection.IsAuth) Auth.OAuth2.OAuth2Providers.Validate(collection, existing, errors);
    }

    /// <summary>
    /// A rule is valid when it compiles against the schema being saved (this collection as it will be, the
    /// others as they are). Request values are not known here and resolve to NULL, as a missing one would.
    /// </summary>
    private static string? RuleError(Collection collection, IReadOnlyCollection<Collection> all, string rule, SqlDialect dialect)
    {
        Collection? Find(string idOrName) =>
            collection.Id == idOrName || string.Equals(collection.Name, idOrName, StringComparison.OrdinalIgnoreCase)
                ? collection
                : all.FirstOrDefault(c => c.Id != collection.Id && (c.Id == idOrName || string.Equals(c.Name, idOrName, StringComparison.OrdinalIgnoreCase)));
        try
        {
            FilterCompiler.Compile(rule, new QueryContext(collection, "_m", Find, RequestData.Guest, dialect, TimeProvider.System), new QueryBindings());
            return null;
        }
        catch (QueryException e)
        {
            return "Invalid rule: " + e.Message;
        }
    }

    private static IEnumerable<(string, string?)> Rules(Collection c)
    {
        yield return ("listRule", c.ListRule);
        yield return ("viewRule", c.ViewRule);
        yield return ("createRule", c.CreateRule);
        yield return ("updateRule", c.UpdateRule);
        yield return ("deleteRule", c.DeleteRule);
        if (c.IsAuth)
        {
            yield return ("authRule", c.AuthOptions["authRule"]?.GetValue<string>());
            yield return ("manageRule", c.AuthOptions["manageRule"]?.GetValue<string>());
        }
    }

    private static void ValidateName(Collection collection, Collection? existing, IReadOnlyCollection<Collection> all, ValidationErrors errors)
    {
        var name = collection.Name;
        if (name.Length == 0) { errors.Add("name", "validation_required", "Cannot be blank."); return; }
        if (name.Length > 255) errors.Add("name", "validation_length_out_of_range", "The length must be between 1 and 255.");
        else if (!Name().IsMatch(name)) errors.Add("name", "validation_invalid_name", "Invalid collection name. Only letters, digits and underscores are allowed.");
        else if (name.StartsWith('_') && !collection.System) errors.Add("name", "validation_invalid_name", "Names starting with an underscore are reserved for system collections.");
        else if (name.StartsWith("sqlite_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("pg_", StringComparison.OrdinalIgnoreCase))
            errors.Add("name", "validation_invalid_name", "The name is reserved.");
        else if (all.Any(c => c.Id != (existing?.Id ?? collection.Id) && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
            errors.Add("name", "validation_collection_name_exists", "Collection name must be unique (case insensitive).");
        if (existing?.System == true && existing.Name != name) errors.Add("name", "validation_collection_system_name_change", "System collection name cannot be changed.");
    }

    private static void ValidateFields(Collection collection, Collection? existing, IReadOnlyCollection<Collection> all, ValidationErrors errors)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var ids = new HashSet<string>();
        for (var i = 0; i < collection.Fields.Count; i++)
        {
            var field = collection.Fields[i];
            var e = new ValidationErrors();
            if (field.Name.Length == 0) e.Add("name", "validation_required", "Cannot be blank.");
            else if (field.Name.Length > 100 || !Name().IsMatch(field.Name)) e.Add("name", "validation_invalid_name", "Invalid field name. Only letters, digits and underscores are allowed (at most 100).");
            else if (ReservedFieldNames.Contains(field.Name) || field.Name.Contains("_via_", StringComparison.OrdinalIgnoreCase)
                     || (collection.IsAuth && AuthReservedFieldNames.Contains(field.Name)))
                e.Add("name", "validation_not_in_invalid_names", "The name is reserved.");
            else if (!names.Add(field.Name)) e.Add("name", "validation_duplicated_field_name", "Duplicated or invalid field name.");
            if (!FieldTypes.IsKnown(field.Type)) e.Add("type", "validation_invalid_value", "Unknown field type.");
            if (field.Id.Length > 0 && !ids.Add(field.Id)) e.Add("id", "validation_duplicated_field_id", "Duplicated field id.");

            var before = existing?.Fields.Find(f => f.Id == field.Id);
            if (before is not null && before.Type != field.Type) e.Add("type", "validation_field_type_change", "Field type cannot be changed.");
            if (before is { System: true } && before.Name != field.Name) e.Add("name", "validation_system_field_name_change", "System field name cannot be changed.");

            if (FieldTypes.IsKnown(field.Type)) ValidateOptions(collection, field, all, e);
            errors.Nest(i.ToString(), e);
        }
        var id = collection.FindField("id");
        if (id is null || id.Type != FieldTypes.Text || !id.PrimaryKey)
            errors.Add(collection.Fields.Count.ToString(), "validation_missing_primary_key", "The collection must have a text primary key field named id.");
    }

    private static void ValidateOptions(Collection collection, Field field, IReadOnlyCollection<Collection> all, ValidationErrors e)
    {
        switch (field.Type)
        {
            case FieldTypes.Text:
                if (field.Int("min") < 0) e.Add("min", "validation_min_greater_equal_than_required", "Must be no less than 0.");
                if (field.Int("max") < 0) e.Add("max", "validation_min_greater_equal_than_required", "Must be no less than 0.");
                if (field.Int("max") > 0 && field.Int("min") > field.Int("max")) e.Add("max", "validation_min_greater_equal_than_required", "Must be no less than min.");
                CheckRegex(field.Pattern, "pattern", e);
                CheckRegex(field.AutogeneratePattern, "autogeneratePattern", e);
                if (field.PrimaryKey && field.Name != "id") e.Add("primaryKey", "validation_invalid_value", "Only the id field can be the primary key.");
                break;
            case FieldTypes.Password:
                if (field.Int("max") > 71) e.Add("max", "validation_max_less_equal_than_required", "Must be no greater than 71.");
                if (field.Int("cost") is not 0 and (< 4 or > 31)) e.Add("cost", "validation_invalid_value", "Must be between 4 and 31.");
                CheckRegex(field.Pattern, "pattern", e);
                break;
            case FieldTypes.Number:
                if (field.Number("min") is { } min && field.Number("max") is { } max && min > max) e.Add("max", "validation_min_greater_equal_than_required", "Must be no less than min.");
                break;
            case FieldTypes.Date:
                foreach (var key in new[] { "min", "max" })
                    if (field.Str(key) is { Length: > 0 } d && CairnJson.ParseDate(d) is null) e.Add(key, "validation_invalid_date", "Must be a valid date.");
                break;
            case FieldTypes.Select:
                if (field.Values.Count == 0) e.Add("values", "validation_required", "Cannot be blank.");
                else if (field.Values.Distinct().Count() != field.Values.Count) e.Add("values", "validation_duplicated_values", "The values must be unique.");
                if (field.MaxSelect > Math.Max(1, field.Values.Count)) e.Add("maxSelect", "validation_max_less_equal_than_required", $"Must be no greater than {field.Values.Count}.");
                break;
            case FieldTypes.Relation:
                var target = field.RelationCollectionId;
                var exists = target == collection.Id || all.Any(c => c.Id == target);
                if (target.Length == 0) e.Add("collectionId", "validation_required", "Cannot be blank.");
                else if (!exists) e.Add("collectionId", "validation_missing_collection", "The related collection doesn't exist.");
                if (field.MinSelect < 0) e.Add("minSelect", "validation_min_greater_equal_than_required", "Must be no less than 0.");
                if (field.MaxSelect > 1 && field.MinSelect > field.MaxSelect) e.Add("maxSelect", "validation_min_greater_equal_than_required", "Must be no less than minSelect.");
                break;
            case FieldTypes.File:
                foreach (var thumb in field.List("thumbs"))
                    if (!ThumbSize().IsMatch(thumb) || thumb is "0x0" or "0x0t" or "0x0b" or "0x0f") e.Add("thumbs", "validation_invalid_thumb_format", $"Invalid thumb format \"{thumb}\".");
                break;
            case FieldTypes.Autodate:
                if (!field.OnCreate && !field.OnUpdate) e.Add("onCreate", "validation_required", "At least one of onCreate or onUpdate must be set.");
                break;
        }
        foreach (var key in new[] { "maxSize", "maxSelect" })
            if (field.Options.ContainsKey(key) && field.Int(key) < 0) e.Add(key, "validation_min_greater_equal_than_required", "Must be no less than 0.");
    }

    [GeneratedRegex(@"^\d+x\d+[tbf]?$")]
    private static partial Regex ThumbSize();

    private static void CheckRegex(string pattern, string key, ValidationErrors e)
    {
        if (pattern.Length == 0) return;
        try { _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100)); }
        catch (ArgumentException) { e.Add(key, "validation_invalid_regex", "Invalid regular expression."); }
    }

    private static void ValidateAuthOptions(Collection collection, ValidationErrors errors)
    {
        foreach (var kind in new[] { "authToken", "passwordResetToken", "emailChangeToken", "verificationToken", "fileToken" })
        {
            var e = new ValidationErrors();
            var duration = collection.TokenDuration(kind);
            if (duration is < 10 or > 94670856) e.Add("duration", "validation_out_of_range", "Must be between 10 and 94670856 seconds.");
            var secret = collection.TokenSecret(kind);
            if (secret.Length is < 30 or > 255) e.Add("secret", "validation_length_out_of_range", "The length must be between 30 and 255.");
            errors.Nest(kind, e);
        }
        if (collection.AuthOptions["passwordAuth"]?["identityFields"] is JsonArray identity)
        {
            var unique = UniqueColumns(collection);
            foreach (var name in identity.Select(n => n?.ToString() ?? ""))
                if (!unique.Contains(name))
                    errors.Nest("passwordAuth", new ValidationErrors().Add("identityFields", "validation_missing_unique_constraint",
                        $"The identity field \"{name}\" must have a single-column UNIQUE index."));
        }
    }

    public static HashSet<string> UniqueColumns(Collection collection) =>
        new(collection.Indexes.Select(IndexDefinition.TryParse)
            .Where(i => i is { Unique: true, Columns.Count: 1 })
            .Select(i => i!.Columns[0].Name), StringComparer.OrdinalIgnoreCase);
}
