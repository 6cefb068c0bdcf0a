using global::Cairn.Auth;
using global::Cairn.Collections;
using global::Cairn.Records;
using global::Cairn.Storage;

namespace Cairn.Tests.Auth;

public sealed class AuthRefreshTests
{
    [Fact]
    public async Task Refresh_NonRefreshableToken_ComesBackUnchanged()
    {
        await using var server = await TestServer.StartAsync();
        var superusers = server.Service<CollectionRegistry>().Find(Collection.SuperusersId)!;
        var record = await server.Service<IDatabase>().ReadAsync(c =>
            server.Service<RecordStore>().FindByField(c, superusers, "email", TestServer.SuperuserEmail), TestContext.Current.CancellationToken);
        var staticToken = server.Service<TokenService>().Issue(record!, TokenService.Auth, refreshable: false);

        var refreshed = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/auth-refresh", token: staticToken);
        var normal = await server.SendAsync(HttpMethod.Post, "/api/collections/_superusers/auth-refresh", token: server.SuperuserToken);

        Assert.Equal(200, refreshed.Status);
        Assert.Equal(staticToken, refreshed.Json!["token"]!.GetValue<string>());
        Assert.Equal(200, normal.Status);
        Assert.Equal(record!.Id, normal.Json!["record"]!["id"]!.GetValue<string>());
    }
}
