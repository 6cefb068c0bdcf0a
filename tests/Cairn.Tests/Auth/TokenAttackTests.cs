using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Storage;
using Cairn.Tests.Records;
using Microsoft.Extensions.DependencyInjection;
using Record = Cairn.Records.Record;

namespace Cairn.Tests.Auth;

/// <summary>
/// Forged, altered, expired, revoked and misused tokens. Every one makes the request a guest's: 401 on
/// auth-refresh and on superuser routes, a guest's view on public routes, and nothing written.
/// </summary>
public sealed class TokenAttackTests
{
    private const long Now = 1_900_000_000;

    private sealed record Fixture(TestServer Server, ManualClock Clock, Record Me, Record Other, Record Member, string MyToken) : IAsyncDisposable
    {
        public Collection Users => Me.Collection;
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    private static async Task<Fixture> StartAsync()
    {
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(Now));
        var server = await TestServer.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        await server.CreateUsersAsync(updateRule: "id = @request.auth.id");
        var (me, token) = await server.CreateUserAsync("me@example.com");
        var (other, _) = await server.CreateUserAsync("other@example.com");
        await server.CreateCollectionAsync(new JsonObject { ["name"] = "members", ["type"] = "auth", ["viewRule"] = "" });
        var member = await server.CreateRecordAsync("members", """{"email":"member@example.com","password":"password123","passwordConfirm":"password123"}""");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token)).Status); // used once: cached as verified
        return new Fixture(server, clock, await LoadAsync(server, "users", me.Str("id")), await LoadAsync(server, "users", other.Str("id")),
            await LoadAsync(server, "members", member.Str("id")), token);
    }

    private static async Task<Record> LoadAsync(TestServer server, string collection, string id)
    {
        var c = server.Service<CollectionRegistry>().Find(collection)!;
        return (await server.Service<IDatabase>().ReadAsync(conn => server.Service<RecordStore>().FindById(conn, null, c, id), TestContext.Current.CancellationToken))!;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    private static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    private static string Sign(string header, string payload, byte[] key)
    {
        var signed = B64(header) + "." + B64(payload);
        return signed + "." + B64(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signed)));
    }

    private static byte[] Key(Record record, string kind) => Encoding.UTF8.GetBytes(record.GetString("tokenKey") + record.Collection.TokenSecret(kind));

    private static string Claims(Record record, string exp = "9999999999", string type = "auth") =>
        $$"""{"collectionId":"{{record.Collection.Id}}","exp":{{exp}},"id":"{{record.Id}}","refreshable":true,"type":"{{type}}"}""";

    private const string Hs256 = """{"alg":"HS256","typ":"JWT"}""";

    private static string WithPayload(string token, string payload)
    {
        var parts = token.Split('.');
        return parts[0] + "." + B64(payload) + "." + parts[2];
    }

    public static TheoryData<string> Attacks =>
    [
        "alg none", "alg None", "alg NONE", "alg nOnE", "alg none with a valid signature", "alg missing",
        "HS256 with a wrong key", "HS256 with an empty key", "HS256 with the secret but not the tokenKey", "HS256 with the tokenKey but not the secret",
        "HS512 with the right key", "RS256 header with an HS signature", "ES256 header with an HS signature",
        "kid and jku injected, wrong key", "kid pointing at an empty file",
        "id changed, original signature", "collectionId changed, original signature", "refreshable flipped, original signature",
        "signature removed", "signature of another token",
        "expired by one second", "exp as a string", "exp missing", "exp as a fraction in the past",
        "file token", "verification token", "passwordReset token", "emailChange token", "auth claim signed with the file secret",
        "deleted record", "after password change", "another collection's record", "another collection's key",
        "JWE-shaped", "payload not JSON", "type missing", "id empty",
    ];

    private static async Task<string> ForgeAsync(Fixture f, string attack)
    {
        var tokens = f.Server.Service<TokenService>();
        var me = f.Me;
        var auth = Key(me, "authToken");
        switch (attack)
        {
            case "alg none": case "alg None": case "alg NONE": case "alg nOnE":
                return B64($$"""{"alg":"{{attack[4..]}}","typ":"JWT"}""") + "." + B64(Claims(me)) + ".";
            case "alg none with a valid signature":
                return Sign("""{"alg":"none","typ":"JWT"}""", Claims(me), auth);
            case "alg missing":
                return Sign("""{"typ":"JWT"}""", Claims(me), auth);
            case "HS256 with a wrong key":
                return Sign(Hs256, Claims(me), Encoding.UTF8.GetBytes("not-the-key-not-the-key-not-the-key-not-the-key"));
            case "HS256 with an empty key":
                return Sign(Hs256, Claims(me), []);
            case "HS256 with the secret but not the tokenKey":
                return Sign(Hs256, Claims(me), Encoding.UTF8.GetBytes(f.Users.TokenSecret("authToken")));
            case "HS256 with the tokenKey but not the secret":
                return Sign(Hs256, Claims(me), Encoding.UTF8.GetBytes(me.GetString("tokenKey")));
            case "HS512 with the right key":
            {
                var signed = B64("""{"alg":"HS512","typ":"JWT"}""") + "." + B64(Claims(me));
                return signed + "." + B64(HMACSHA512.HashData(auth, Encoding.ASCII.GetBytes(signed)));
            }
            case "RS256 header with an HS signature":
                return Sign("""{"alg":"RS256","typ":"JWT"}""", Claims(me), auth);
            case "ES256 header with an HS signature":
                return Sign("""{"alg":"ES256","typ":"JWT"}""", Claims(me), auth);
            case "kid and jku injected, wrong key":
                return Sign("""{"alg":"HS256","typ":"JWT","kid":"attacker","jku":"http://127.0.0.1:9/jwks.json","jwk":{"kty":"oct","k":"AAAA"}}""", Claims(me),
                    Convert.FromBase64String("AAA="));
            case "kid pointing at an empty file":
                return Sign("""{"alg":"HS256","typ":"JWT","kid":"../../../../../../dev/null"}""", Claims(me), []);
            case "id changed, original signature":
                return WithPayload(f.MyToken, Claims(f.Other));
            case "collectionId changed, original signature":
                return WithPayload(f.MyToken, Claims(me).Replace(me.Collection.Id, f.Member.Collection.Id));
            case "refreshable flipped, original signature":
            {
                var impersonated = tokens.Issue(me, TokenService.Auth, TimeSpan.FromHours(1), refreshable: false);
                Assert.Equal(200, (await f.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: impersonated)).Status);
                return WithPayload(impersonated, Claims(me, exp: (Now + 3600).ToString()));
            }
            case "signature removed":
                return string.Join('.', f.MyToken.Split('.')[..2]) + ".";
            case "signature of another token":
            {
                var otherToken = tokens.Issue(f.Other, TokenService.Auth);
                return string.Join('.', f.MyToken.Split('.')[..2]) + "." + otherToken.Split('.')[2];
            }
            case "expired by one second":
                f.Clock.Now = DateTimeOffset.FromUnixTimeSeconds(Now + 432000 + 1); // my token was issued at Now for the default 432000 s
                return f.MyToken;
            case "exp as a string":
                return Sign(Hs256, Claims(me, exp: "\"9999999999\""), auth);
            case "exp missing":
                return Sign(Hs256, $$"""{"collectionId":"{{me.Collection.Id}}","id":"{{me.Id}}","refreshable":true,"type":"auth"}""", auth);
            case "exp as a fraction in the past":
                return Sign(Hs256, Claims(me, exp: $"{Now - 1}.999"), auth);
            case "file token":
                return tokens.Issue(me, TokenService.File);
            case "verification token":
                return tokens.Issue(me, TokenService.Verification, extra: new Dictionary<string, string> { ["email"] = "me@example.com" });
            case "passwordReset token":
                return tokens.Issue(me, TokenService.PasswordReset, extra: new Dictionary<string, string> { ["email"] = "me@example.com" });
            case "emailChange token":
                return tokens.Issue(me, TokenService.EmailChange, extra: new Dictionary<string, string> { ["email"] = "me@example.com", ["newEmail"] = "new@example.com" });
            case "auth claim signed with the file secret":
                return Sign(Hs256, Claims(me), Key(me, "fileToken"));
            case "deleted record":
                Assert.Equal(204, (await f.Server.AsSuperuser(HttpMethod.Delete, $"/api/collections/users/records/{me.Id}")).Status);
                return f.MyToken;
            case "after password change":
                Assert.Equal(200, (await f.Server.SendAsync(HttpMethod.Patch, $"/api/collections/users/records/{me.Id}",
                    TestCollections.Json("""{"oldPassword":"password123","password":"password456","passwordConfirm":"password456"}"""), f.MyToken)).Status);
                return f.MyToken;
            case "another collection's record":
                // Correctly signed for the members record, but claiming the users collection.
                return Sign(Hs256, Claims(f.Member).Replace(f.Member.Collection.Id, f.Users.Id), Key(f.Member, "authToken"));
            case "another collection's key":
                // My claims, signed with the members record's key.
                return Sign(Hs256, Claims(me), Key(f.Member, "authToken"));
            case "JWE-shaped":
                return string.Join('.', Enumerable.Repeat(B64("{}"), 5));
            case "payload not JSON":
                return B64(Hs256) + "." + B64("not json") + "." + B64(HMACSHA256.HashData(auth, Encoding.ASCII.GetBytes(B64(Hs256) + "." + B64("not json"))));
            case "type missing":
                return Sign(Hs256, $$"""{"collectionId":"{{me.Collection.Id}}","exp":9999999999,"id":"{{me.Id}}","refreshable":true}""", auth);
            case "id empty":
                return Sign(Hs256, $$"""{"collectionId":"{{me.Collection.Id}}","exp":9999999999,"id":"","refreshable":true,"type":"auth"}""", auth);
        }
        throw new ArgumentOutOfRangeException(nameof(attack), attack, null);
    }

    // Every row of both auth collections and the superusers, with its version: any write shows.
    private static Task<string> SnapshotAsync(TestServer server) =>
        server.Service<IDatabase>().ReadAsync(connection =>
        {
            var rows = new StringBuilder();
            foreach (var table in new[] { "users", "members", "_superusers" })
            {
                using var command = connection.CreateCommand($"SELECT id, email, password, \"tokenKey\", _cairn_version FROM \"{table}\" ORDER BY id");
                using var reader = command.ExecuteReader();
                while (reader.Read())
                    rows.AppendLine($"{table} {reader.GetValue(0)} {reader.GetValue(1)} {reader.GetValue(2)} {reader.GetValue(3)} {reader.GetValue(4)}");
            }
            return rows.ToString();
        }, TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Attack_IsAGuest_AndWritesNothing(string attack)
    {
        await using var f = await StartAsync();
        var token = await ForgeAsync(f, attack);
        var before = await SnapshotAsync(f.Server);

        (await f.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: token))
            .AssertError(401, "The request requires valid record authorization token.");
        (await f.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: "Bearer " + token)).AssertError(401);
        (await f.Server.SendAsync(HttpMethod.Post, "/api/collections/members/auth-refresh", token: token)).AssertError(401);
        (await f.Server.SendAsync(HttpMethod.Get, "/api/collections", token: token)).AssertError(401);
        (await f.Server.SendAsync(HttpMethod.Post, $"/api/collections/users/impersonate/{f.Other.Id}", token: token)).AssertError(401);

        var list = await f.Server.SendAsync(HttpMethod.Get, "/api/collections/users/records", token: token);
        Assert.Equal(200, list.Status);
        Assert.All(list.Json!["items"]!.AsArray(), item => Assert.False(item!.AsObject().ContainsKey("email"))); // no owner's view
        var update = await f.Server.SendAsync(HttpMethod.Patch, $"/api/collections/users/records/{f.Me.Id}",
            TestCollections.Json("""{"emailVisibility":true}"""), token);
        update.AssertError(404); // the update rule needs the owner's token

        Assert.Equal(before, await SnapshotAsync(f.Server));
    }

    [Fact]
    public async Task GenuineToken_PassesTheSameChecks_SoTheAttacksAreMeaningful()
    {
        await using var f = await StartAsync();
        Assert.Equal(200, (await f.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: f.MyToken)).Status);
        var forged = Sign(Hs256, Claims(f.Me), Key(f.Me, "authToken")); // a token signed as the server signs: accepted
        Assert.Equal(200, (await f.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: forged)).Status);
        var update = await f.Server.SendAsync(HttpMethod.Patch, $"/api/collections/users/records/{f.Me.Id}", TestCollections.Json("""{"emailVisibility":true}"""), f.MyToken);
        Assert.Equal(200, update.Status);
    }

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(64 * 1024)]
    public async Task HugeToken_IsRefusedWithA4xx_NeverA500(int length)
    {
        await using var f = await StartAsync();
        var parts = f.MyToken.Split('.');
        var huge = parts[0] + "." + B64(new string('a', length * 3 / 4)) + "." + parts[2];

        var response = await f.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: huge);

        Assert.True(response.Status is 401 or 431, $"{response.Status}: {response.Text}");
        // The server is fine afterwards.
        Assert.Equal(200, (await f.Server.SendAsync(HttpMethod.Post, "/api/collections/users/auth-refresh", token: f.MyToken)).Status);
    }
}
