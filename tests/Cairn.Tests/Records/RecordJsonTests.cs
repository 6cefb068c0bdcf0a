using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Api;
using Cairn.Auth;
using Cairn.Collections;
using Cairn.Records;
using Cairn.Records.Expand;
using Record = Cairn.Records.Record;

namespace Cairn.Tests.Records;

/// <summary>
/// <see cref="RecordJson.Write"/> (straight to the response, used whenever there is no <c>?fields=</c>, expand
/// included) must give byte for byte the JSON of <see cref="RecordJson.ToJson"/> (the tree the picker reshapes).
/// </summary>
public sealed class RecordJsonTests
{
    [Fact]
    public void Write_RecordWithSingleAndMultipleExpand_MatchesToJson()
    {
        var users = CollectionScaffolds.For(Collection.Auth, "users");
        users.Id = "pbc_users";
        users.Fields.Add(new Field { Name = "name", Type = FieldTypes.Text });
        var posts = CollectionScaffolds.For(Collection.Base, "posts");
        posts.Id = "pbc_posts";
        posts.Fields.AddRange(
        [
            new Field { Name = "title", Type = FieldTypes.Text },
            new Field { Name = "likes", Type = FieldTypes.Number },
            new Field { Name = "ratio", Type = FieldTypes.Number },
            new Field { Name = "draft", Type = FieldTypes.Bool },
            new Field { Name = "tags", Type = FieldTypes.Select, Options = new JsonObject { ["maxSelect"] = 3 } },
            new Field { Name = "meta", Type = FieldTypes.Json },
            new Field { Name = "secret", Type = FieldTypes.Text, Hidden = true },
            new Field { Name = "author", Type = FieldTypes.Relation },
            new Field { Name = "readers", Type = FieldTypes.Relation, Options = new JsonObject { ["maxSelect"] = 5 } },
        ]);

        var author = User(users, "u1", "a@example.com", visible: false);
        var reader = User(users, "u2", "b@example.com \"quoted\" <tag>", visible: true);
        var post = new Record(posts)
        {
            Id = "p1", ["title"] = "Héllo \"world\" <b>&", ["likes"] = 3.0, ["ratio"] = 0.25, ["draft"] = true,
            ["tags"] = new List<string> { "a", "b" }, ["meta"] = JsonNode.Parse("""{"k":[1,2.5,null,"x"]}"""),
            ["secret"] = "hidden", ["author"] = "u1", ["readers"] = new List<string> { "u1", "u2" },
        };
        post.Expand = new()
        {
            ["author"] = new ExpandedRelation(true, [author]),
            ["readers"] = new ExpandedRelation(false, [author.Clone(), reader]),
        };

        foreach (var auth in new[] { RequestAuth.Guest, new RequestAuth(author) })
            Assert.Equal(Tree(post, auth), Direct(post, auth));
    }

    [Fact]
    public void Write_EmptyExpand_WritesAnEmptyObjectAsToJsonDoes()
    {
        var posts = CollectionScaffolds.For(Collection.Base, "posts");
        var post = new Record(posts) { Id = "p1", Expand = [] };
        Assert.Equal(Tree(post, RequestAuth.Guest), Direct(post, RequestAuth.Guest));
        Assert.Contains("\"expand\":{}", Direct(post, RequestAuth.Guest));
    }

    private static Record User(Collection users, string id, string email, bool visible) => new(users)
    {
        Id = id, ["email"] = email, ["emailVisibility"] = visible, ["verified"] = false, ["name"] = "User " + id,
        ["password"] = "$2a$04$hash", ["tokenKey"] = "key",
    };

    // As PickedJson writes a tree with no picker.
    private static string Tree(Record record, RequestAuth auth) => Written(w => RecordJson.ToJson(record, auth).WriteTo(w, CairnJson.Options));

    private static string Direct(Record record, RequestAuth auth) => Written(w => RecordJson.Write(w, record, auth));

    private static string Written(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, CairnJson.WriterOptions)) write(writer);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
