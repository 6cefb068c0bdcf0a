using Cairn.Files;
using Cairn.Files.S3;

namespace Cairn.Tests.Files.S3;

/// <summary>The blob contract on an S3 bucket (s3rver), plus what is particular to S3: large objects go up in parts, and a failed upload leaves nothing.</summary>
public sealed class S3BlobStoreTests(S3rver s3rver) : BlobStoreContract, IClassFixture<S3rver>, IDisposable
{
    private readonly List<S3BlobStore> _stores = [];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override async Task<IBlobStore> CreateStoreAsync() => await NewStoreAsync();

    private readonly RequestLog _requests = new();

    private async Task<S3BlobStore> NewStoreAsync()
    {
        var store = new S3BlobStore(await s3rver.NewBucketAsync(), _requests);
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task ALargeObject_GoesUpInParts_AndReadsBackWhole()
    {
        var store = await NewStoreAsync();
        var bytes = new byte[12 * 1024 * 1024 + 123];
        Random.Shared.NextBytes(bytes);

        await store.WriteAsync("c1/r1/big.bin", new MemoryStream(bytes), Ct);

        await using (var read = await store.OpenReadAsync("c1/r1/big.bin", cancellationToken: Ct))
        {
            using var copy = new MemoryStream();
            await read!.CopyToAsync(copy, Ct);
            Assert.Equal(bytes, copy.ToArray());
        }
        Assert.Equal(3, _requests.Uris.Count(u => u.Query.Contains("partNumber=")));
        Assert.Single(_requests.Uris, u => u.Query.Contains("uploadId=") && !u.Query.Contains("partNumber="));
    }

    [Fact]
    public async Task ASmallObject_IsOnePut()
    {
        var store = await NewStoreAsync();

        await store.WriteAsync("c1/r1/small.txt", new MemoryStream(new byte[1000]), Ct);

        Assert.Single(_requests.Uris);
    }

    [Fact]
    public async Task AFailedLargeUpload_IsAborted_AndNoObjectAppears()
    {
        var store = await NewStoreAsync();

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("c1/r1/broken.bin", new FailingAfter(7 * 1024 * 1024), Ct));

        Assert.Null(await store.StatAsync("c1/r1/broken.bin", Ct));
        Assert.Contains(_requests.Methods, m => m == "DELETE"); // AbortMultipartUpload
    }

    /// <summary>Every request the store sends, seen through the SDK's HTTP client factory.</summary>
    private sealed class RequestLog : Amazon.Runtime.HttpClientFactory
    {
        public List<Uri> Uris { get; } = [];
        public List<string> Methods { get; } = [];

        public override HttpClient CreateHttpClient(Amazon.Runtime.IClientConfig clientConfig) => new(new Recorder(this));

        private sealed class Recorder(RequestLog log) : DelegatingHandler(new HttpClientHandler())
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                lock (log)
                {
                    log.Uris.Add(request.RequestUri!);
                    log.Methods.Add(request.Method.Method);
                }
                return base.SendAsync(request, cancellationToken);
            }
        }
    }

    /// <summary>Gives <paramref name="bytes"/> zero bytes, then fails like a broken client connection.</summary>
    private sealed class FailingAfter(int bytes) : Stream
    {
        private int _left = bytes;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left == 0) throw new IOException("The client went away.");
            var n = Math.Min(count, _left);
            Array.Clear(buffer, offset, n);
            _left -= n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public void Dispose()
    {
        foreach (var store in _stores) store.Dispose();
    }
}
