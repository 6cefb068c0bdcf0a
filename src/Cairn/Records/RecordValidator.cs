using System.Globalization;
using System.Net.Mail;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cairn.Api;
using Cairn.Collections;

namespace Cairn.Records;

/// <summary>Checks each field's value against its options, with the validation codes clients localize on (POCKETBASE_API.md 0.2).</summary>
internal static class RecordValidator
{
    private const int DefaultTextMax = 5000;
    private const int DefaultEditorMax = 5 * 1024 * 1024;
    private const int DefaultJsonMax = 1024 * 1024;

    public static void Validate(Record record, ValidationErrors errors, IReadOnlyDictionary<string, string>? plainPasswords = null)
    {
        foreach (var field in record.Collection.Fields)
        {
            if (field.Type == FieldTypes.Password)
            {
                if (plainPasswords?.TryGetValue(field.Name, out var plain) == true) Password(field, plain, errors);
                else if (field.Required && record.GetString(field.Name).Length == 0) Required(field, errors);
                continue;
            }
            Check(field, record[field.Name], errors);
        }
    }

    private static void Required(Field field, ValidationErrors errors) => errors.Add(field.Name, "validation_required", "Cannot be blank.");

    private static void Check(Field field, object? value, ValidationErrors errors)
    {
        switch (field.Type)
        {
            case FieldTypes.Text:
                Text(field, value as string ?? "", field.Int("max") is > 0 and var m ? m : DefaultTextMax, errors);
                break;
            case FieldTypes.Editor:
                var html = value as string ?? "";
                if (field.Required && html.Trim().Length == 0) { Required(field, errors); break; }
                var maxSize = field.Int("maxSize") is > 0 and var ms ? ms : DefaultEditorMax;
                if (System.Text.Encoding.UTF8.GetByteCount(html) > maxSize)
                    errors.Add(field.Name, "validation_max_text_constraint", $"Must be less than {maxSize} bytes.", new JsonObject { ["max"] = maxSize });
                break;
            case FieldTypes.Number:
                Number(field, value is double d ? d : 0, errors);
                break;
            case FieldTypes.Bool:
                if (field.Required && value is not true) Required(field, errors);
                break;
            case FieldTypes.Email:
                Email(field, value as string ?? "", errors);
                break;
            case FieldTypes.Url:
                Url(field, value as string ?? "", errors);
                break;
            case FieldTypes.Date:
                Date(field, value as string ?? "", errors);
                break;
            case FieldTypes.Autodate:
                break;
            case FieldTypes.Select:
                Select(field, ListOf(value), errors);
                break;
            case FieldTypes.Relation:
                Counts(field, ListOf(value), errors, "validation_too_many_values");
                break;
            case FieldTypes.File:
                Counts(field, ListOf(value), errors, "validation_too_many_files");
                break;
            case FieldTypes.Json:
                Json(field, value as JsonNode, errors);
                break;
            case FieldTypes.GeoPoint:
                GeoPoint(field, value as JsonObject, errors);
                break;
        }
    }

    private static List<string> ListOf(object? value) => value switch
    {
        List<string> list => list,
        string { Length: > 0 } s => [s],
        _ => [],
    };

    private static void Text(Field field, string text, int max, ValidationErrors errors)
    {
        if (text.Length == 0)
        {
            if (field.Required) Required(field, errors);
            return;
        }
        var length = text.EnumerateRunes().Count();
        var min = field.Int("min");
        if (min > 0 && length < min)
            errors.Add(field.Name, "validation_min_text_constraint", $"Must be at least {min} character(s).", new JsonObject { ["min"] = min });
        else if (length > max)
            errors.Add(field.Name, "validation_max_text_constraint", $"Must be less than {max} character(s).", new JsonObject { ["max"] = max });
        else if (field.Pattern.Length > 0 && !Matches(field.Pattern, text))
            errors.Add(field.Name, "validation_invalid_format", "Invalid value format.");
        else if (field.PrimaryKey && text.IndexOfAny(['/', '\\', '.', ' ', '\0', '?', '#', '%', '*', ':', '|', '"', '<', '>']) >= 0)
            errors.Add(field.Name, "validation_pk_invalid", "The record primary key has forbidden characters.");
    }

    public static void Password(Field field, string plain, ValidationErrors errors)
    {
        if (plain.Length == 0)
        {
            if (field.Required) Required(field, errors);
            return;
        }
        var max = field.Int("max") is > 0 and <= 71 and var m ? m : 71;
        Text(field, plain, max, errors);
    }

    private static bool Matches(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(200));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static void Number(Field field, double number, ValidationErrors errors)
    {
        if (!double.IsFinite(number)) { errors.Add(field.Name, "validation_not_a_number", "The value must be a valid number."); return; }
        // 0 is the empty value: only `required` rejects it, never min (POCKETBASE_API.md 3.2, as PocketBase's NumberField).
        if (number == 0)
        {
            if (field.Required) Required(field, errors);
            return;
        }
        if (field.OnlyInt && number != Math.Floor(number))
            errors.Add(field.Name, "validation_only_int_constraint", "Decimal numbers are not allowed.");
        else if (field.Number("min") is { } min && number < min)
            errors.Add(field.Name, "validation_min_number_constraint", $"Must be larger or equal than {Format(min)}.", new JsonObject { ["min"] = min });
        else if (field.Number("max") is { } max && number > max)
            errors.Add(field.Name, "validation_max_number_constraint", $"Must be less or equal than {Format(max)}.", new JsonObject { ["max"] = max });
    }

    private static string Format(double d) => d.ToString(CultureInfo.InvariantCulture);

    private static void Email(Field field, string email, ValidationErrors errors)
    {
        if (email.Length == 0) { if (field.Required) Required(field, errors); return; }
        if (!IsEmail(email)) { errors.Add(field.Name, "validation_is_email", "Must be a valid email address."); return; }
        Domains(field, email[(email.LastIndexOf('@') + 1)..], errors, "validation_email_domain_not_allowed");
    }

    public static bool IsEmail(string email) =>
        email.Length <= 254 && !email.Any(char.IsWhiteSpace) && email.Count(c => c == '@') == 1 && email.IndexOf('@') > 0
        && email.LastIndexOf('.') > email.IndexOf('@') + 1 && !email.EndsWith('.') && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email;

    private static void Url(Field field, string url, ValidationErrors errors)
    {
        if (url.Length == 0) { if (field.Required) Required(field, errors); return; }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.Scheme is not ("http" or "https" or "ftp" or "ftps" or "ws" or "wss" or "mailto"))
        {
            errors.Add(field.Name, "validation_invalid_url", "Must be a valid url.");
            return;
        }
        Domains(field, uri.Host, errors, "validation_url_domain_not_allowed");
    }

    private static void Domains(Field field, string domain, ValidationErrors errors, string code)
    {
        if (field.OnlyDomains.Count > 0 && !field.OnlyDomains.Contains(domain, StringComparer.OrdinalIgnoreCase))
            errors.Add(field.Name, code, "Url domain is not allowed.");
        else if (field.ExceptDomains.Contains(domain, StringComparer.OrdinalIgnoreCase))
            errors.Add(field.Name, code, "Url domain is not allowed.");
    }

    private static void Date(Field field, string text, ValidationErrors errors)
    {
        if (text.Length == 0) { if (field.Required) Required(field, errors); return; }
        var date = CairnJson.ParseDate(text);
        if (date is null) { errors.Add(field.Name, "validation_invalid_date", "Must be a valid date."); return; }
        // PocketBase's DateField uses ozzo-validation's Min/Max, hence their generic codes and "threshold".
        if (CairnJson.ParseDate(field.Str("min")) is { } min && date < min)
            errors.Add(field.Name, "validation_min_greater_equal_than_required", $"Must be no less than {CairnJson.FormatDate(min)}.", new JsonObject { ["threshold"] = CairnJson.FormatDate(min) });
        else if (CairnJson.ParseDate(field.Str("max")) is { } max && date > max)
            errors.Add(field.Name, "validation_max_less_equal_than_required", $"Must be no greater than {CairnJson.FormatDate(max)}.", new JsonObject { ["threshold"] = CairnJson.FormatDate(max) });
    }

    private static void Select(Field field, List<string> values, ValidationErrors errors)
    {
        if (values.Count == 0) { if (field.Required) Required(field, errors); return; }
        var invalid = values.FirstOrDefault(v => !field.Values.Contains(v));
        if (invalid is not null) { errors.Add(field.Name, "validation_invalid_value", $"Invalid value {invalid}.", new JsonObject { ["value"] = invalid }); return; }
        var max = Math.Max(1, field.MaxSelect);
        if (values.Count > max) errors.Add(field.Name, "validation_too_many_values", $"Select no more than {max}.", new JsonObject { ["maxSelect"] = max });
    }

    private static void Counts(Field field, List<string> values, ValidationErrors errors, string tooManyCode)
    {
        if (values.Count == 0) { if (field.Required) Required(field, errors); return; }
        var max = Math.Max(1, field.MaxSelect);
        if (values.Count > max)
            errors.Add(field.Name, tooManyCode, $"Select no more than {max}.", new JsonObject { ["maxSelect"] = max });
        else if (field.MinSelect > 0 && values.Count < field.MinSelect)
            errors.Add(field.Name, "validation_not_enough_values", $"Select at least {field.MinSelect}.", new JsonObject { ["minSelect"] = field.MinSelect });
    }

    private static void Json(Field field, JsonNode? value, ValidationErrors errors)
    {
        var empty = value is null || (value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 0)
                    || value is JsonArray { Count: 0 } || value is JsonObject { Count: 0 };
        if (empty) { if (field.Required) Required(field, errors); return; }
        var max = field.Int("maxSize") is > 0 and var m ? m : DefaultJsonMax;
        if (System.Text.Encoding.UTF8.GetByteCount(value!.ToJsonString()) > max)
            errors.Add(field.Name, "validation_json_size_limit", $"The maximum allowed JSON size is {max} bytes.", new JsonObject { ["maxSize"] = max });
    }

    private static void GeoPoint(Field field, JsonObject? point, ValidationErrors errors)
    {
        var lon = FieldValues.ToNumber(point?["lon"]);
        var lat = FieldValues.ToNumber(point?["lat"]);
        if (point is null || !(point["lon"] is JsonValue || point["lon"] is null) || !(point["lat"] is JsonValue || point["lat"] is null))
            errors.Add(field.Name, "validation_invalid_value", "Must be an object with lon and lat numbers.");
        else if (lat is < -90 or > 90) errors.Add(field.Name, "validation_invalid_latitude", "Latitude must be between -90 and 90 degrees.");
        else if (lon is < -180 or > 180) errors.Add(field.Name, "validation_invalid_longitude", "Longitude must be between -180 and 180 degrees.");
        else if (field.Required && lon == 0 && lat == 0) Required(field, errors);
    }
}
