using Cairn.Tests.Records;

namespace Cairn.Tests.Collections;

/// <summary><c>GET /api/collections?filter=</c> over id, created, updated, name, system and type.</summary>
public sealed class CollectionsFilterTests
{
    [Theory]
    [InlineData("name = 'posts'", "posts")]
    [InlineData("name ~ 'o' && system = false", "posts,tokens")]
    [InlineData("type = 'auth' && system = false", "tokens")]
    [InlineData("system = true && name = '_superusers'", "_superusers")]
    [InlineData("created != '' && name !~ '_' && (type = 'base' || type = 'view')", "posts")]
    [InlineData("id = 'pbc_3142635823'", "_superusers")]
    public async Task Filter_SelectsCollections(string filter, string expected)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"posts"}"""));
        await server.CreateCollectionAsync(TestCollections.Json("""{"name":"tokens","type":"auth"}"""));
        var response = await server.AsSuperuser(HttpMethod.Get, "/api/collections?perPage=500&filter=" + Uri.EscapeDataString(filter));
        Assert.True(response.Status == 200, response.Text);
        Assert.Equal(expected.Split(','), response.Titles("name").Order());
    }

    [Theory]
    [InlineData("nope = 1")]
    [InlineData("name = ")]
    [InlineData("fields = 1")]
    [InlineData("@collection.posts.id = 1")]
    public async Task Filter_Invalid_Is400(string filter)
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.AsSuperuser(HttpMethod.Get, "/api/collections?filter=" + Uri.EscapeDataString(filter));
        response.AssertError(400);
    }
}
