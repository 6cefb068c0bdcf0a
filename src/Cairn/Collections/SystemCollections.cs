using System.Text.Json.Nodes;

namespace Cairn.Collections;

/// <summary>
/// The collections Cairn keeps for itself (POCKETBASE_API.md 1.3, 3.3): <c>_superusers</c>, the auth bookkeeping
/// collections the PocketBase SDK reads directly (<c>_mfas</c>, <c>_otps</c>, <c>_externalAuths</c>,
/// <c>_authOrigins</c>), and the default <c>users</c> collection of a new data folder. They are ordinary
/// collections stored like any other, so the records API, rules and both engines serve them unchanged.
/// </summary>
public static class SystemCollections
{
    public const string UsersId = "_pb_users_auth_", UsersName = "users";
    public const string MfasName = "_mfas", OtpsName = "_otps", ExternalAuthsName = "_externalAuths", AuthOriginsName = "_authOrigins";
    public const string TotpsName = "_totps";
    public const string SessionsName = "_sessions";

    /// <summary>Owners may read their own bookkeeping rows; nobody else but superusers.</summary>
    public const string OwnerRule = "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";

    /// <summary>The system collections every data folder must have, ensured on every start.</summary>
    public static IEnumerable<Collection> Required() =>
    [
        Superusers(),
        System("pbc_2279338944", MfasName, [Text("method", required: true)],
            ["CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (`collectionRef`, `recordRef`)"]),
        System("pbc_1638494021", OtpsName, [Password("password", cost: 8), Text("sentTo", hidden: true)],
            ["CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (`collectionRef`, `recordRef`)"]),
        System("pbc_2281828961", ExternalAuthsName, [Text("provider", required: true), Text("providerId", required: true)],
            ["CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (`collectionRef`, `recordRef`, `provider`)",
             "CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (`collectionRef`, `provider`, `providerId`)"],
            deletable: true),
        System("pbc_4275539003", AuthOriginsName, [Text("fingerprint", required: true, hidden: true)],
            ["CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (`collectionRef`, `recordRef`, `fingerprint`)"],
            deletable: true),
        // Authenticator apps (beyond PocketBase). The shared key and the recovery-code hashes are password fields because that
        // is the one field type the API never outputs, to anyone, superusers included; TotpStore writes them as they are.
        System("pbc_2715115113", TotpsName,
            [Password("sharedKey", cost: 0, required: false), Password("recoveryCodes", cost: 0, required: false),
             new() { ["name"] = "active", ["type"] = FieldTypes.Bool },
             new() { ["name"] = "lastStep", ["type"] = FieldTypes.Number, ["hidden"] = true, ["onlyInt"] = true }],
            ["CREATE UNIQUE INDEX `idx_totps_collectionRef_recordRef` ON `_totps` (`collectionRef`, `recordRef`)"]),
        // Server-side cookie sessions (Auth/Sessions): only hashes of the cookie, the CSRF token and the signing key are kept.
        System("pbc_3580947125", SessionsName,
            [Text("tokenHash", required: true, hidden: true), Text("csrfHash", required: true, hidden: true), Text("keyHash", required: true, hidden: true),
             Text("userAgent"), Text("ip"), Date("lastSeen"), Date("expires")],
            ["CREATE UNIQUE INDEX `idx_sessions_tokenHash` ON `_sessions` (`tokenHash`)",
             "CREATE INDEX `idx_sessions_collectionRef_recordRef` ON `_sessions` (`collectionRef`, `recordRef`)"],
            deletable: true),
    ];

    /// <summary>The <c>users</c> collection a new data folder starts with (3.3); deleting it is the owner's choice, so it is never recreated.</summary>
    public static Collection Users()
    {
        const string owner = "id = @request.auth.id";
        var json = CollectionJson.MergeForCreate(new JsonObject
        {
            ["name"] = UsersName,
            ["type"] = Collection.Auth,
            ["listRule"] = owner, ["viewRule"] = owner, ["createRule"] = "", ["updateRule"] = owner, ["deleteRule"] = owner,
            ["fields"] = new JsonArray(
                new JsonObject { ["id"] = "text1579384326", ["name"] = "name", ["type"] = FieldTypes.Text, ["max"] = 255 },
                new JsonObject
                {
                    ["id"] = "file376926767", ["name"] = "avatar", ["type"] = FieldTypes.File, ["maxSelect"] = 1,
                    ["mimeTypes"] = new JsonArray("image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"),
                }),
        });
        json["oauth2"]!["mappedFields"]!["name"] = "name";
        json["oauth2"]!["mappedFields"]!["avatarURL"] = "avatar";
        var users = CollectionJson.Parse(json);
        users.Id = UsersId;
        CollectionScaffolds.EnsureAuthIndexes(users);
        return users;
    }

    private static Collection Superusers()
    {
        var c = CollectionJson.Parse(CollectionJson.MergeForCreate(new JsonObject { ["name"] = Collection.SuperusersName, ["type"] = Collection.Auth }));
        c.Id = Collection.SuperusersId;
        c.System = true;
        c.AuthOptions["authToken"]!["duration"] = 86400;
        CollectionScaffolds.EnsureAuthIndexes(c);
        return c;
    }

    private static Collection System(string id, string name, JsonObject[] fields, string[] indexes, bool deletable = false)
    {
        var c = CollectionJson.Parse(CollectionJson.MergeForCreate(new JsonObject
        {
            ["name"] = name,
            ["type"] = Collection.Base,
            ["listRule"] = OwnerRule, ["viewRule"] = OwnerRule, ["deleteRule"] = deletable ? OwnerRule : null,
            ["fields"] = new JsonArray([Text("collectionRef", required: true), Text("recordRef", required: true), .. fields]),
            ["indexes"] = new JsonArray(indexes.Select(i => (JsonNode)i).ToArray()),
        }));
        c.Id = id;
        c.System = true;
        foreach (var field in c.Fields) field.System = true;
        return c;
    }

    private static JsonObject Text(string name, bool required = false, bool hidden = false) =>
        new() { ["name"] = name, ["type"] = FieldTypes.Text, ["required"] = required, ["hidden"] = hidden };

    private static JsonObject Date(string name) => new() { ["name"] = name, ["type"] = FieldTypes.Date };

    private static JsonObject Password(string name, int cost, bool required = true) =>
        new() { ["name"] = name, ["type"] = FieldTypes.Password, ["required"] = required, ["hidden"] = true, ["cost"] = cost };
}
