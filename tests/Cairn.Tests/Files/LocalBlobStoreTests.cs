using Cairn.Files;

namespace Cairn.Tests.Files;

/// <summary>The blob contract on a local folder, plus what only a folder can show: nothing is left outside the root or half-written.</summary>
public sealed class LocalBlobStoreTests : BlobStoreContract, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-blobs-" + Guid.NewGuid().ToString("N"));

    protected override Task<IBlobStore> CreateStoreAsync() => Task.FromResult<IBlobStore>(new LocalBlobStore(Path.Combine(_root, "storage")));

    [Fact]
    public async Task AFailedWrite_LeavesNeitherTheObjectNorATemporaryFile()
    {
        var store = new LocalBlobStore(Path.Combine(_root, "storage"));

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("c1/r1/a.txt", new FailingStream(), TestContext.Current.CancellationToken));

        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task RefusedKeys_WriteNothingAnywhere()
    {
        var store = new LocalBlobStore(Path.Combine(_root, "storage"));
        foreach (var key in new[] { "../x", "../../x", "a/../../x" })
            await Assert.ThrowsAsync<ArgumentException>(() => store.WriteAsync(key, new MemoryStream([1]), TestContext.Current.CancellationToken));

        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private sealed class FailingStream : Stream
    {
        private int _reads;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _reads++ == 0 ? count : throw new IOException("connection reset");
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
