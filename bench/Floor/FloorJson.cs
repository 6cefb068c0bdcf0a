using System.Data.Common;
using System.Text.Json;

/// <summary>A row of the bench tables as Cairn's record JSON, for both floors (SQLite and PostgreSQL).</summary>
static class FloorJson
{
    public static void WriteRow(Utf8JsonWriter json, DbDataReader reader, string collection)
    {
        json.WriteStartObject();
        json.WriteString("collectionId", collection);
        json.WriteString("collectionName", collection);
        json.WriteString("id", reader.GetString(0));
        json.WriteString("title", reader.GetString(2));
        json.WriteString("body", reader.GetString(3));
        json.WriteNumber("likes", reader.GetDouble(4));
        json.WriteString("author", reader.GetString(5));
        json.WriteString("created", reader.GetString(6));
        json.WriteString("updated", reader.GetString(7));
        json.WriteEndObject();
    }
}
