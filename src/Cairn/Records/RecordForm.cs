using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;

namespace Cairn.Records;

/// <summary>
/// Applies a create or update body to a record: plain values, the <c>field+</c>, <c>+field</c>,
/// <c>field-</c> and <c>field:autogenerate</c> modifiers, autodates, auth rules for password, email
/// and verified, then validation. Numeric modifiers are remembered as increments so the store can
/// write them as <c>n = n + delta</c>.
/// </summary>
internal sealed class RecordForm
{
    private readonly Record _record;
    private readonly bool _isNew;
    private readonly RequestAuth _auth;
    private readonly bool _canManage;
    private readonly Dictionary<string, string> _plainPasswords = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, double> _increments = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _changed = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _setPlain = new(StringComparer.OrdinalIgnoreCase);
    private readonly ValidationErrors _errors = new();
    private readonly Record? _original;

    public RecordForm(Record record, bool isNew, RequestAuth auth, bool canManage)
    {
        _record = record;
        _isNew = isNew;
        _auth = auth;
        _canManage = canManage || auth.IsSuperuser;
        _original = isNew ? null : record.Clone();
    }

    public Record Record => _record;
    public IReadOnlyCollection<string> Changed => _changed;
    public IReadOnlyDictionary<string, double> Increments => _increments;
    public ValidationErrors Errors => _errors;

    public static Record NewRecord(Collection collection)
    {
        var record = new Record(collection);
        foreach (var field in collection.Fields) record[field.Name] = FieldValues.Zero(field);
        return record;
    }

    /// <summary>Loads the body into the record; <paramref name="now"/> stamps autodate fields.</summary>
    public void Load(JsonObject body, DateTimeOffset now)
    {
        var collection = _record.Collection;
        // Plain keys first, then modifiers in order of key length (POCKETBASE_API.md 1.1).
        foreach (var (key, value) in body.OrderBy(p => p.Key.Length))
        {
            var (name, modifier) = SplitModifier(key);
            var field = collection.FindField(name);
            if (field is null || !CanWrite(field)) continue;
            if (modifier is null) SetPlain(field, value);
            else if (modifier != "") Modify(field, modifier, value);
        }

        if (collection.IsAuth) ApplyAuthRules(body);
        foreach (var field in collection.Fields)
        {
            if (field.Type == FieldTypes.Autodate && ((_isNew && field.OnCreate) || (!_isNew && field.OnUpdate)))
                Set(field, CairnJson.FormatDate(now));
            else if (field.Type == FieldTypes.Text && _isNew && field.AutogeneratePattern.Length > 0 && _record.GetString(field.Name).Length == 0)
                Set(field, PatternGenerator.Generate(field.AutogeneratePattern));
        }
    }

    private static (string Name, string? Modifier) SplitModifier(string key)
    {
        if (key.EndsWith(":autogenerate", StringComparison.Ordinal)) return (key[..^":autogenerate".Length], ":autogenerate");
        if (key.Length > 1 && key.StartsWith('+')) return (key[1..], "+prepend");
        if (key.Length > 1 && key.EndsWith('+')) return (key[..^1], "+");
        if (key.Length > 1 && key.EndsWith('-')) return (key[..^1], "-");
        return key.Contains(':') ? (key, "") : (key, null);
    }

    // Server-owned fields are never taken from input; hidden fields only from superusers (passwords excepted).
    private bool CanWrite(Field field)
    {
        if (field.Type == FieldTypes.Autodate) return false;
        if (field.Name == "tokenKey" && _record.Collection.IsAuth) return _auth.IsSuperuser;
        if (field.Hidden && field.Type != FieldTypes.Password && !_auth.IsSuperuser) return false;
        return true;
    }

    private void SetPlain(Field field, JsonNode? value)
    {
        if (field.Name == "id")
        {
            var id = FieldValues.ToText(value);
            if (!_isNew)
            {
                if (id.Length > 0 && id != _record.Id) _errors.Add("id", "validation_pk_change", "The record primary key cannot be changed.");
                return;
            }
            Set(field, id);
            return;
        }
        if (field.Type == FieldTypes.Password)
        {
            var plain = FieldValues.ToText(value);
            _plainPasswords[field.Name] = plain;
            if (plain.Length > 0) _changed.Add(field.Name);
            return;
        }
        Set(field, FieldValues.Normalize(field, value));
        _setPlain.Add(field.Name);
    }

    private void Modify(Field field, string modifier, JsonNode? value)
    {
        switch (field.Type, modifier)
        {
            case (FieldTypes.Number, "+" or "-"):
                var delta = FieldValues.ToNumber(value) * (modifier == "-" ? -1 : 1);
                var current = _record[field.Name] is double d ? d : 0;
                Set(field, current + delta);
                // A value sent plainly in the same body is the base the modifier applies to, so the
                // result is an absolute value; only a bare modifier is written as an atomic increment.
                if (!_isNew && !_setPlain.Contains(field.Name)) _increments[field.Name] = _increments.GetValueOrDefault(field.Name) + delta;
                break;
            case (FieldTypes.Select or FieldTypes.Relation or FieldTypes.File, "+" or "+prepend" or "-"):
                var existing = _record.GetList(field.Name).ToList();
                var items = FieldValues.ToList(value);
                var result = modifier switch
                {
                    "+" => existing.Concat(items.Where(i => !existing.Contains(i))).ToList(),
                    "+prepend" => items.Where(i => !existing.Contains(i)).Concat(existing).ToList(),
                    _ => existing.Where(i => !items.Contains(i)).ToList(),
                };
                Set(field, field.IsMultiple ? result : result.LastOrDefault() ?? "");
                break;
            case (FieldTypes.Text, ":autogenerate") when field.AutogeneratePattern.Length > 0:
                Set(field, FieldValues.ToText(value) + PatternGenerator.Generate(field.AutogeneratePattern));
                break;
        }
    }

    private void Set(Field field, object? value)
    {
        _record[field.Name] = value;
        _changed.Add(field.Name);
    }

    private void ApplyAuthRules(JsonObject body)
    {
        _plainPasswords.TryGetValue("password", out var password);
        var confirm = body["passwordConfirm"] is { } c ? FieldValues.ToText(c) : null;

        if (_isNew || !string.IsNullOrEmpty(password))
        {
            if (string.IsNullOrEmpty(password))
                _errors.Add("password", "validation_required", "Cannot be blank.");
            else if (string.IsNullOrEmpty(confirm))
                _errors.Add("passwordConfirm", "validation_required", "Cannot be blank.");
            else if (confirm != password)
                _errors.Add("passwordConfirm", "validation_values_mismatch", "Values don't match.");
            if (!_isNew && !_canManage && !string.IsNullOrEmpty(password))
            {
                var old = body["oldPassword"] is { } o ? FieldValues.ToText(o) : "";
                if (old.Length == 0) _errors.Add("oldPassword", "validation_required", "Cannot be blank.");
                else if (!PasswordHasher.Verify(old, _original!.GetString("password")))
                    _errors.Add("oldPassword", "validation_invalid_old_password", "Missing or invalid old password.");
            }
        }

        if (!_canManage)
        {
            if (!_isNew && _changed.Contains("email") && _record.GetString("email") != _original!.GetString("email"))
                _errors.Add("email", "validation_values_mismatch", "Email can be changed only by a superuser or a manager; use the email-change flow.");
            if (_changed.Contains("verified") && _record.GetBool("verified") != (_original?.GetBool("verified") ?? false))
                _errors.Add("verified", "validation_values_mismatch", "Only a superuser or a manager can change the verified state.");
        }

        var emailChanged = !_isNew && _record.GetString("email") != _original!.GetString("email");
        if (!_isNew && (_changed.Contains("password") || emailChanged) && !_changed.Contains("tokenKey"))
            Set(_record.Collection.FindField("tokenKey")!, PatternGenerator.Generate(_record.Collection.FindField("tokenKey")!.AutogeneratePattern is { Length: > 0 } p ? p : "[a-zA-Z0-9]{50}"));
    }

    /// <summary>Validates, then hashes passwords. Throws <see cref="RecordValidationException"/> with every field error.</summary>
    public void ValidateAndFinish()
    {
        RecordValidator.Validate(_record, _errors, _plainPasswords);
        if (_errors.Any) throw new RecordValidationException(_errors);
        foreach (var (name, plain) in _plainPasswords)
        {
            if (plain.Length == 0) continue;
            var field = _record.Collection.FindField(name)!;
            _record[name] = PasswordHasher.Hash(plain, field.Int("cost") is > 0 and var cost ? cost : PasswordHasher.DefaultCost);
        }
    }
}
