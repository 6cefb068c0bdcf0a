using System.Text.Json.Nodes;
using Cairn.Storage;

namespace Cairn.Tests.Collections;

/// <summary>Setup and inspection steps the collection scenarios share: collections, records, tokens and the raw table.</summary>
public static class CollectionFixtures
{
    public const string UserEmail = "user@example.com", UserPassword = "password123";

    /// <summary>Parses a JSON object literal, so request bodies read as the JSON a client sends.</summary>
    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>The id PocketBase gives a collection: <c>pbc_</c> plus CRC-32 (IEEE) of type + name.</summary>
    public static string CollectionId(string type, string name) => "pbc_" + Crc32(type + name);

    /// <summary>The id PocketBase gives a field: type plus CRC-32 of the name.</summary>
    public static string FieldId(string type, string name) => type + Crc32(name);

    private static uint Crc32(string text) => System.IO.Hashing.Crc32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Creates a <c>users</c> auth collection with one record and returns that record's auth token (a non-superuser).</summary>
    public static async Task<string> CreateUserTokenAsync(this TestServer server)
    {
        await server.CreateCollectionAsync(Obj("""{"name":"users","type":"auth"}"""));
        await server.CreateRecordAsync("users", new JsonObject { ["email"] = UserEmail, ["password"] = UserPassword, ["passwordConfirm"] = UserPassword });
        var response = await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-with-password",
            new JsonObject { ["identity"] = UserEmail, ["password"] = UserPassword });
        Assert.True(response.Status == 200, response.Text);
        return response.Json!["token"]!.GetValue<string>();
    }

    public static async Task<JsonObject> CreateRecordAsync(this TestServer server, string collection, JsonObject body)
    {
        var response = await server.AsSuperuser(HttpMethod.Post, $"/api/collections/{collection}/records", body);
        Assert.True(response.Status == 200, response.Text);
        return response.Json!.AsObject();
    }

    /// <summary>Every record of a collection, in insertion order.</summary>
    public static async Task<List<JsonObject>> RecordsAsync(this TestServer server, string collection)
    {
        var response = await server.AsSuperuser(HttpMethod.Get, $"/api/collections/{collection}/records?perPage=1000&sort=@rowid");
        Assert.True(response.Status == 200, response.Text);
        return response.Json!["items"]!.AsArray().Select(n => n!.AsObject()).ToList();
    }

    public static async Task<JsonObject> CollectionAsync(this TestServer server, string idOrName)
    {
        var response = await server.AsSuperuser(HttpMethod.Get, $"/api/collections/{idOrName}");
        Assert.True(response.Status == 200, response.Text);
        return response.Json!.AsObject();
    }

    public static async Task AssertNoCollectionAsync(this TestServer server, string idOrName)
    {
        var response = await server.AsSuperuser(HttpMethod.Get, $"/api/collections/{idOrName}");
        Assert.True(response.Status == 404, $"{idOrName} should not exist: {response.Text}");
    }

    /// <summary>The columns of a table as the engine reports them, to check that a failed change left the table alone.</summary>
    public static Task<List<string>> ColumnsAsync(this TestServer server, string table) =>
        server.Service<IDatabase>().ReadAsync(connection =>
        {
            using var command = connection.CreateCommand(TestDatabase.IsPostgres
                ? "SELECT column_name FROM information_schema.columns WHERE table_name = @p0 AND column_name <> '_rowid_' ORDER BY ordinal_position"
                : "SELECT name FROM pragma_table_info(@p0) ORDER BY cid", table);
            using var reader = command.ExecuteReader();
            var columns = new List<string>();
            while (reader.Read()) columns.Add(reader.GetString(0));
            return columns;
        });

    /// <summary>The names of the explicit indexes the engine holds for a table (not those of the primary key or another constraint).</summary>
    public static Task<List<string>> SqlIndexesAsync(this TestServer server, string table) =>
        server.Service<IDatabase>().ReadAsync(connection =>
        {
            using var command = connection.CreateCommand(TestDatabase.IsPostgres
                ? "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid " +
                  "WHERE t.relname = @p0 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname COLLATE \"C\""
                : "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = @p0 AND sql IS NOT NULL ORDER BY name", table);
            using var reader = command.ExecuteReader();
            var names = new List<string>();
            while (reader.Read()) names.Add(reader.GetString(0));
            return names;
        });

    public static Task<bool> TableExistsAsync(this TestServer server, string table) => server.SchemaObjectExistsAsync("table", table);

    /// <summary>Whether the engine holds a table (<paramref name="type"/> "table") or a view ("view") of that name.</summary>
    public static async Task<bool> SchemaObjectExistsAsync(this TestServer server, string type, string name) =>
        await server.Service<IDatabase>().ReadAsync(connection => TestDatabase.IsPostgres
            ? connection.Scalar("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @p0 AND table_type = @p1",
                name, type == "view" ? "VIEW" : "BASE TABLE")
            : connection.Scalar("SELECT 1 FROM sqlite_master WHERE type = @p1 AND name = @p0", name, type)) is not null;
}
