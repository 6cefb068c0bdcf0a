using System.Text;
using Cairn.Files;

namespace Cairn.Tests.Files;

/// <summary>
/// What every <see cref="IBlobStore"/> must do, run against each implementation (a subclass supplies the store):
/// whole-object writes and replaces, ranges, deletes by key and prefix, listing, and refusal of any key that could
/// leave the store.
/// </summary>
public abstract class BlobStoreContract
{
    protected abstract Task<IBlobStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MemoryStream Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    private static async Task<string?> ReadAsync(IBlobStore store, string key, long offset = 0, long? length = null)
    {
        await using var stream = await store.OpenReadAsync(key, offset, length, Ct);
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(Ct);
    }

    [Fact]
    public async Task Write_ThenRead_GivesTheSameBytes_AndStatTheirLength()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync("c1/r1/hello.txt", Bytes("hello, world"), Ct);

        Assert.Equal("hello, world", await ReadAsync(store, "c1/r1/hello.txt"));
        Assert.Equal(12, (await store.StatAsync("c1/r1/hello.txt", Ct))!.Length);
    }

    [Fact]
    public async Task Write_ReplacesAnExistingObject()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync("c1/r1/a.txt", Bytes("first version, longer"), Ct);
        await store.WriteAsync("c1/r1/a.txt", Bytes("second"), Ct);

        Assert.Equal("second", await ReadAsync(store, "c1/r1/a.txt"));
    }

    [Fact]
    public async Task Read_ARange()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync("c1/r1/abc.txt", Bytes("0123456789"), Ct);

        Assert.Equal("345", await ReadAsync(store, "c1/r1/abc.txt", 3, 3));
        Assert.Equal("789", await ReadAsync(store, "c1/r1/abc.txt", 7));
    }

    [Fact]
    public async Task Missing_IsNull_AndDeletingItIsNoError()
    {
        var store = await CreateStoreAsync();

        Assert.Null(await store.StatAsync("c1/r1/none.txt", Ct));
        Assert.Null(await store.OpenReadAsync("c1/r1/none.txt", cancellationToken: Ct));
        await store.DeleteAsync("c1/r1/none.txt", Ct);
    }

    [Fact]
    public async Task Delete_AndDeletePrefix_RemoveOnlyWhatTheyName()
    {
        var store = await CreateStoreAsync();
        foreach (var key in new[] { "c1/r1/a.txt", "c1/r1/thumbs_a.txt/10x10_a.txt", "c1/r2/b.txt", "c1/r10/c.txt" })
            await store.WriteAsync(key, Bytes(key), Ct);

        await store.DeleteAsync("c1/r2/b.txt", Ct);
        await store.DeletePrefixAsync("c1/r1/", Ct);

        var left = new List<string>();
        await foreach (var key in store.ListAsync("c1/", Ct)) left.Add(key);
        Assert.Equal(["c1/r10/c.txt"], left);
    }

    [Fact]
    public async Task Large_Object_IsStreamed_Whole()
    {
        var store = await CreateStoreAsync();
        var data = new byte[12 * 1024 * 1024 + 17];
        new Random(7).NextBytes(data);
        await store.WriteAsync("c1/r1/big.bin", new MemoryStream(data), Ct);

        await using var read = (await store.OpenReadAsync("c1/r1/big.bin", cancellationToken: Ct))!;
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, Ct);
        Assert.Equal(data, copy.ToArray());
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("c1/../../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("c1/r1/..")]
    [InlineData("c1\\r1\\a.txt")]
    [InlineData("c1/r1/a\0.txt")]
    [InlineData("c1//a.txt")]
    [InlineData("c1/r1/.hidden")]
    [InlineData("c1/r1/%2e%2e")]
    [InlineData("c1/r1/\u202Etxt.exe")]
    public async Task Keys_ThatCouldLeaveTheStore_AreRefused(string key)
    {
        var store = await CreateStoreAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(key, Bytes("x"), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.OpenReadAsync(key, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteAsync(key, Ct));
    }
}
