using System.Text.Json.Nodes;

namespace Cairn.Collections;

/// <summary>The default models of each collection type: system fields and default auth options.</summary>
public static class CollectionScaffolds
{
    public static Collection For(string type, string name = "")
    {
        var collection = new Collection { Type = type, Name = name };
        collection.Fields.Add(IdField());
        if (type == Collection.Auth)
        {
            collection.Fields.AddRange(AuthFields());
            collection.AuthOptions = DefaultAuthOptions();
        }
        return collection;
    }

    public static Field IdField() => new()
    {
        Id = "text3208210256", Name = "id", Type = FieldTypes.Text, System = true, Required = true,
        Options = Options(FieldTypes.Text, ("min", 15), ("max", 15), ("pattern", "^[a-z0-9]+$"),
            ("autogeneratePattern", "[a-z0-9]{15}"), ("primaryKey", true)),
    };

    public static IEnumerable<Field> AuthFields() =>
    [
        new() { Id = "password901924565", Name = "password", Type = FieldTypes.Password, System = true, Hidden = true, Required = true,
                Options = Options(FieldTypes.Password, ("min", 8)) },
        new() { Id = "text2504183744", Name = "tokenKey", Type = FieldTypes.Text, System = true, Hidden = true, Required = true,
                Options = Options(FieldTypes.Text, ("min", 30), ("max", 60), ("autogeneratePattern", "[a-zA-Z0-9]{50}")) },
        new() { Id = "email3885137012", Name = "email", Type = FieldTypes.Email, System = true, Required = true,
                Options = Options(FieldTypes.Email) },
        new() { Id = "bool1547992806", Name = "emailVisibility", Type = FieldTypes.Bool, System = true, Options = Options(FieldTypes.Bool) },
        new() { Id = "bool256245529", Name = "verified", Type = FieldTypes.Bool, System = true, Options = Options(FieldTypes.Bool) },
    ];

    public static IEnumerable<Field> AutodateFields() =>
    [
        new() { Id = "autodate2990389176", Name = "created", Type = FieldTypes.Autodate, Options = Options(FieldTypes.Autodate, ("onCreate", true), ("onUpdate", false)) },
        new() { Id = "autodate3332085495", Name = "updated", Type = FieldTypes.Autodate, Options = Options(FieldTypes.Autodate, ("onCreate", true), ("onUpdate", true)) },
    ];

    public static JsonObject Options(string type, params (string Key, JsonNode? Value)[] values)
    {
        var options = FieldTypes.DefaultOptions(type);
        foreach (var (key, value) in values) options[key] = value;
        return options;
    }

    /// <summary>Defaults of POCKETBASE_API.md 3.1; every token kind gets its own fresh 50-character secret.</summary>
    public static JsonObject DefaultAuthOptions() => new()
    {
        ["authRule"] = "",
        ["manageRule"] = null,
        ["authAlert"] = new JsonObject { ["enabled"] = true, ["emailTemplate"] = Template("Login from a new location", "<p>Hello,</p><p>We noticed a login to your {APP_NAME} account from a new location.</p>") },
        ["oauth2"] = new JsonObject
        {
            ["enabled"] = false,
            ["mappedFields"] = new JsonObject { ["id"] = "", ["name"] = "", ["username"] = "", ["avatarURL"] = "" },
            ["providers"] = new JsonArray(),
        },
        ["passwordAuth"] = new JsonObject { ["enabled"] = true, ["identityFields"] = new JsonArray("email") },
        ["mfa"] = new JsonObject { ["enabled"] = false, ["duration"] = 600, ["rule"] = "" },
        ["otp"] = new JsonObject
        {
            ["enabled"] = false, ["duration"] = 180, ["length"] = 8,
            ["emailTemplate"] = Template("OTP for {APP_NAME}", "<p>Hello,</p><p>Your one-time password is: <strong>{OTP}</strong></p>"),
        },
        ["authToken"] = Token(432000),
        ["passwordResetToken"] = Token(1800),
        ["emailChangeToken"] = Token(1800),
        ["verificationToken"] = Token(86400),
        ["fileToken"] = Token(180),
        ["verificationTemplate"] = Template("Verify your {APP_NAME} email", "<p>Hello,</p><p>Click on the link below to verify your email address.</p><p><a href=\"{APP_URL}/_/#/auth/confirm-verification/{TOKEN}\">Verify</a></p>"),
        ["resetPasswordTemplate"] = Template("Reset your {APP_NAME} password", "<p>Hello,</p><p>Click on the link below to reset your password.</p><p><a href=\"{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}\">Reset password</a></p>"),
        ["confirmEmailChangeTemplate"] = Template("Confirm your {APP_NAME} new email address", "<p>Hello,</p><p>Click on the link below to confirm your new email address.</p><p><a href=\"{APP_URL}/_/#/auth/confirm-email-change/{TOKEN}\">Confirm new email</a></p>"),
    };

    private static JsonObject Token(int seconds) => new() { ["duration"] = seconds, ["secret"] = CollectionIds.RandomAlphanumeric(50) };

    private static JsonObject Template(string subject, string body) => new() { ["subject"] = subject, ["body"] = body };

    /// <summary><c>GET /api/collections/meta/scaffolds</c>: default models with empty id and name.</summary>
    public static JsonObject All()
    {
        var result = new JsonObject();
        foreach (var type in new[] { Collection.Base, Collection.Auth, Collection.View })
        {
            var scaffold = For(type);
            if (type == Collection.View) scaffold.Fields.Clear();
            EnsureAuthIndexes(scaffold);
            result[type] = scaffold.ToJson();
        }
        return result;
    }

    /// <summary>
    /// Gives an auth collection the single-column unique indexes on <c>tokenKey</c> and <c>email</c>
    /// that PocketBase keeps on every save (3.3); an index the model already has for the column is kept.
    /// Default indexes are named after the collection id, as PocketBase names them, so renaming a
    /// collection never blocks a new one from taking its old name.
    /// </summary>
    public static void EnsureAuthIndexes(Collection collection)
    {
        if (!collection.IsAuth) return;
        var defaults = AuthIndexes(collection.Id, collection.Name).ToList();
        for (var i = 0; i < collection.Indexes.Count; i++)
        {
            // A scaffold's default indexes carry its empty id; a model built from a scaffold gets its own id in them.
            var name = IndexDefinition.TryParse(collection.Indexes[i])?.Name;
            if (name == "idx_tokenKey_") collection.Indexes[i] = defaults[0];
            else if (name == "idx_email_") collection.Indexes[i] = defaults[1];
        }
        foreach (var (column, sql) in new[] { ("tokenKey", defaults[0]), ("email", defaults[1]) })
            if (!CollectionValidator.UniqueColumns(collection).Contains(column)) collection.Indexes.Add(sql);
    }

    private static IEnumerable<string> AuthIndexes(string id, string table) =>
    [
        $"CREATE UNIQUE INDEX `idx_tokenKey_{id}` ON `{table}` (`tokenKey`)",
        $"CREATE UNIQUE INDEX `idx_email_{id}` ON `{table}` (`email`) WHERE `email` != ''",
    ];
}
