using Cairn.Collections;
using Cairn.Query;
using Cairn.Storage.Sqlite;

namespace Cairn.Tests.Query;

/// <summary>The shape of the SQL the compiler emits, where the shape itself is the point.</summary>
public sealed class FilterCompilerTests
{
    private static string Compile(string filter)
    {
        var posts = new Collection { Id = "posts", Name = "posts" };
        posts.Fields.Add(CollectionScaffolds.IdField());
        posts.Fields.Add(new Field { Name = "title", Type = FieldTypes.Text, Options = FieldTypes.DefaultOptions(FieldTypes.Text) });
        var context = new QueryContext(posts, "_m", _ => null, RequestData.Guest, SqliteDialect.Instance, TimeProvider.System);
        return FilterCompiler.Compile(filter, context, new QueryBindings());
    }

    [Theory]
    [InlineData("title = 'x' || title = 'x' || title = 'x'", "title = 'x'")]
    [InlineData("title = 'x' && title = 'x'", "title = 'x'")]
    [InlineData("(title = 'x' || title = 'y') || title = 'x'", "title = 'x' || title = 'y'")]
    public void RepeatedTermsOfOneOperator_AreCompiledOnce(string repeated, string once) =>
        Assert.Equal(Compile(once), Compile(repeated));

    [Fact]
    public void AChainOfOneOperator_IsOneFlatList()
    {
        var sql = Compile("title = 'a' || title = 'b' || title = 'c' || title = 'd'");
        // The condition, wrapped once as a term of the WHERE and once as the chain: no nesting per operator.
        Assert.Matches(@"^\(\([^()]* OR [^()]* OR [^()]* OR [^()]*\)\)$", sql);
    }
}
