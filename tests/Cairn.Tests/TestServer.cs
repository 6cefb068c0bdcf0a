using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cairn.Tests;

/// <summary>
/// A real Cairn on a random loopback port with its own temporary data folder, so every scenario
/// runs in isolation and in parallel. Created with a superuser whose token <see cref="SuperuserToken"/> holds.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string SuperuserEmail = "root@example.com", SuperuserPassword = "password123";

    private TestServer(WebApplication app, string dataDir, HttpClient client, bool ownsDataDir, bool ownsDatabase)
    {
        App = app;
        DataDir = dataDir;
        Client = client;
        _ownsDataDir = ownsDataDir;
        _ownsDatabase = ownsDatabase;
    }

    private readonly bool _ownsDataDir, _ownsDatabase;

    public WebApplication App { get; }
    public string DataDir { get; }
    public HttpClient Client { get; }
    public string SuperuserToken { get; private set; } = "";
    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>
    /// Starts a server; <paramref name="services"/> may replace registrations (a fake <see cref="TimeProvider"/>, for example).
    /// A data folder or database that <paramref name="configure"/> sets is the caller's: it is kept when the server is disposed.
    /// </summary>
    public static async Task<TestServer> StartAsync(Func<CairnOptions, CairnOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "cairn-test-" + Guid.NewGuid().ToString("N"));
        var database = await TestDatabase.CreateAsync();
        var options = new CairnOptions
        {
            DataDir = dataDir, Database = database, Http = "127.0.0.1:0", SynchronousFull = false, RequestLogToConsole = false,
            CreateUsersCollection = false, // scenarios create the users collection they need
            // Every test client is 127.0.0.1; the per-IP credential limit has its own tests (CredentialRateLimitTests).
            BruteForce = new() { CredentialRequestsPerMinute = 0 },
            // scripts/test.sh runs one leg with every rule's responses cached, so that each scenario also checks invalidation.
            Cache = new() { Mode = Enum.TryParse<global::Cairn.Caching.ResponseCacheMode>(Environment.GetEnvironmentVariable("CAIRN_TEST_CACHE"), true, out var mode) ? mode : null },
        };
        options = configure?.Invoke(options) ?? options;
        var ownsDatabase = TestDatabase.SameDatabase(options.Database, database);
        if (!ownsDatabase) await TestDatabase.DropAsync(database);
        var app = await CairnApp.BuildAsync(options, b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            services?.Invoke(b.Services);
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => options.MetricsHttp is null || !a.EndsWith(":" + options.MetricsHttp.Split(':')[^1], StringComparison.Ordinal)); // the API's, not the metrics'
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        var server = new TestServer(app, options.DataDir, client, ownsDataDir: options.DataDir == dataDir, ownsDatabase);
        await server.CreateSuperuserAsync();
        return server;
    }

    private async Task CreateSuperuserAsync()
    {
        var records = Service<global::Cairn.Records.RecordService>();
        var superusers = Service<global::Cairn.Collections.CollectionRegistry>().Find(global::Cairn.Collections.Collection.SuperusersId)!;
        // A server started on existing data (a migrated database) already has this superuser.
        var existing = await records.Database.ReadAsync(c => Service<global::Cairn.Records.RecordStore>().FindByField(c, superusers, "email", SuperuserEmail));
        var superuser = existing ?? await records.CreateAsync(superusers, new JsonObject { ["email"] = SuperuserEmail, ["password"] = SuperuserPassword, ["passwordConfirm"] = SuperuserPassword },
            global::Cairn.Auth.RequestAuth.System, TestContext.Current.CancellationToken);
        // Issued directly rather than through auth-with-password: one bcrypt check less per scenario (AuthApiTests cover sign-in).
        SuperuserToken = Service<global::Cairn.Auth.TokenService>().Issue(superuser, global::Cairn.Auth.TokenService.Auth);
    }

    /// <summary>Sends a request with an optional JSON body and token; returns status, headers and parsed body.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string url, JsonNode? body = null, string? token = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
        configure?.Invoke(request);
        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonNode? json = null;
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json") json = JsonNode.Parse(text);
        return new ApiResponse((int)response.StatusCode, json, text, response.Headers, response.Content.Headers);
    }

    public Task<ApiResponse> AsSuperuser(HttpMethod method, string url, JsonNode? body = null) => SendAsync(method, url, body, SuperuserToken);

    /// <summary>Creates a collection as superuser and fails the test if that does not succeed.</summary>
    public async Task<JsonObject> CreateCollectionAsync(JsonObject body)
    {
        var response = await AsSuperuser(HttpMethod.Post, "/api/collections", body);
        Assert.True(response.Status == 200, response.Text);
        return response.Json!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        var database = Service<CairnOptions>().Database;
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        if (_ownsDatabase) await TestDatabase.DropAsync(database);
        if (_ownsDataDir) try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

public sealed record ApiResponse(int Status, JsonNode? Json, string Text, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders)
{
    public string? Header(string name) =>
        Headers.TryGetValues(name, out var values) ? values.First() : ContentHeaders.TryGetValues(name, out var c) ? c.First() : null;
}
