using Cairn.Tests.Records;

namespace Cairn.Tests.Auth.Totp;

/// <summary>The <c>_totps</c> system collection that keeps authenticator-app enrolments.</summary>
public sealed class TotpsCollectionTests
{
    [Fact]
    public async Task Totps_IsAnOwnerReadableSystemCollectionWhoseKeysAreNeverOutputFields()
    {
        await using var server = await TestServer.StartAsync();
        var c = (await server.AsSuperuser(HttpMethod.Get, "/api/collections/_totps")).Json!;
        Assert.True(c["system"]!.GetValue<bool>());
        Assert.Equal(global::Cairn.Collections.SystemCollections.OwnerRule, c["listRule"]!.GetValue<string>());
        Assert.Null(c["createRule"]);
        Assert.Null(c["updateRule"]);
        Assert.Null(c["deleteRule"]);
        var fields = c["fields"]!.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!);
        Assert.Equal("password", fields["sharedKey"]!["type"]!.GetValue<string>());     // the one type never output, to anyone
        Assert.Equal("password", fields["recoveryCodes"]!["type"]!.GetValue<string>());
        Assert.True(fields["lastStep"]!["hidden"]!.GetValue<bool>());
        (await server.AsSuperuser(HttpMethod.Delete, "/api/collections/_totps")).AssertError(400);
    }
}
