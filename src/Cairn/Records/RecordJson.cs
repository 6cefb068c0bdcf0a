using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;

namespace Cairn.Records;

/// <summary>A record as the API outputs it: <c>collectionId</c>, <c>collectionName</c>, then the visible fields in schema order.</summary>
public static class RecordJson
{
    public static JsonObject ToJson(Record record, RequestAuth auth)
    {
        var collection = record.Collection;
        var json = new JsonObject
        {
            ["collectionId"] = collection.Id,
            ["collectionName"] = collection.Name,
        };
        foreach (var field in collection.Fields)
        {
            if (!IsVisible(record, field, auth)) continue;
            json[field.Name] = FieldValues.ToNode(record[field.Name]);
        }
        // Expanded records go through this same method, so hidden fields and email visibility apply to them too.
        if (record.Expand is { } expand)
        {
            var expanded = new JsonObject();
            foreach (var (name, relation) in expand)
                expanded[name] = relation.Single
                    ? ToJson(relation.Records[0], auth)
                    : new JsonArray(relation.Records.Select(r => (JsonNode)ToJson(r, auth)).ToArray());
            json["expand"] = expanded;
        }
        return json;
    }

    /// <summary>Writes the same JSON as <see cref="ToJson"/> straight to a writer, without building a tree (the hot path of list and view).</summary>
    public static void Write(Utf8JsonWriter writer, Record record, RequestAuth auth)
    {
        var collection = record.Collection;
        writer.WriteStartObject();
        writer.WriteString("collectionId", collection.Id);
        writer.WriteString("collectionName", collection.Name);
        foreach (var field in collection.Fields)
        {
            if (!IsVisible(record, field, auth)) continue;
            writer.WritePropertyName(field.Name);
            WriteValue(writer, record[field.Name]);
        }
        if (record.Expand is { } expand)
        {
            writer.WriteStartObject("expand");
            foreach (var (name, relation) in expand)
            {
                writer.WritePropertyName(name);
                if (relation.Single) Write(writer, relation.Records[0], auth);
                else
                {
                    writer.WriteStartArray();
                    foreach (var related in relation.Records) Write(writer, related, auth);
                    writer.WriteEndArray();
                }
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case double d when d == Math.Floor(d) && Math.Abs(d) < 9007199254740992: writer.WriteNumberValue((long)d); break;
            case double d: writer.WriteNumberValue(d); break;
            case long l: writer.WriteNumberValue(l); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case List<string> list:
                writer.WriteStartArray();
                foreach (var item in list) writer.WriteStringValue(item);
                writer.WriteEndArray();
                break;
            case JsonNode node: node.WriteTo(writer, CairnJson.Options); break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }

    private static bool IsVisible(Record record, Field field, RequestAuth auth)
    {
        var collection = record.Collection;
        if (collection.IsAuth && field.Name is "password" or "tokenKey") return false;
        if (field.Type == FieldTypes.Password) return false;
        if (field.Hidden && !auth.IsSuperuser) return false;
        // email shows to the owner, superusers, managers (manageRule) and when emailVisibility is on.
        if (collection.IsAuth && field.Name == "email")
            return auth.IsSuperuser || record.GetBool("emailVisibility") || record.CallerManages
                   || (auth.Record is { } me && me.Collection.Id == collection.Id && me.Id == record.Id);
        return true;
    }
}
