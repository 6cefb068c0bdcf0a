namespace Cairn.Tests.Api;

public sealed class HealthApiTests
{
    [Fact]
    public async Task Health_AnyCaller_ReportsHealthyWithCodeShape()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/health");
        Assert.Equal(200, response.Status);
        Assert.Equal("API is healthy.", response.Json!["message"]!.GetValue<string>());
        Assert.Equal(200, response.Json["code"]!.GetValue<int>());
        Assert.NotNull(response.Header("X-Request-Id"));
        Assert.Equal("nosniff", response.Header("X-Content-Type-Options"));
    }

    [Fact]
    public async Task Health_TrailingSlash_Is404InErrorShape()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/health/");
        Assert.Equal(404, response.Status);
        Assert.Equal(404, response.Json!["status"]!.GetValue<int>());
        Assert.Equal("{}", response.Json["data"]!.ToJsonString());
    }

    [Fact]
    public async Task RequestId_SentByClient_IsEchoed()
    {
        await using var server = await TestServer.StartAsync();
        var response = await server.SendAsync(HttpMethod.Get, "/api/health", configure: r => r.Headers.Add("X-Request-Id", "abc-123"));
        Assert.Equal("abc-123", response.Header("X-Request-Id"));
    }
}
