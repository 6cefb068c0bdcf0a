using System.Text.Json.Nodes;
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

    private static bool IsVisible(Record record, Field field, RequestAuth auth)
    {
        var collection = record.Collection;
        if (collection.IsAuth && field.Name is "password" or "tokenKey") return false;
        if (field.Type == FieldTypes.Password) return false;
        if (field.Hidden && !auth.IsSuperuser) return false;
        // email shows to the owner, superusers and when emailVisibility is on (manageRule arrives with rule expressions).
        if (collection.IsAuth && field.Name == "email")
            return auth.IsSuperuser || record.GetBool("emailVisibility")
                   || (auth.Record is { } me && me.Collection.Id == collection.Id && me.Id == record.Id);
        return true;
    }
}
