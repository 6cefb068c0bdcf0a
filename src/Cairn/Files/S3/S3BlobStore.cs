using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Cairn.Files.S3;

/// <summary>
/// Blobs as objects in an S3-compatible bucket (AWSSDK.S3). A write streams: up to one part (<see cref="S3Options.PartSize"/>)
/// is buffered at a time, so an object that fits in one part is a single PUT and a larger one a multipart upload whose
/// parts are sent as they fill; a failed multipart upload is aborted, so no half object ever becomes visible. Reads are
/// ranged GETs streamed to the caller. Checked against s3rver (a protocol-level fake) only, see docs/files.md.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly IAmazonS3 _s3;
    private readonly S3Options _options;

    /// <param name="httpClientFactory">Tests observe the requests through it.</param>
    public S3BlobStore(S3Options options, HttpClientFactory? httpClientFactory = null)
    {
        _options = options;
        var config = new AmazonS3Config
        {
            ServiceURL = options.Endpoint,
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // Trailing checksums need aws-chunked bodies, which many S3-compatible services (and s3rver) store as data.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (httpClientFactory is not null) config.HttpClientFactory = httpClientFactory;
        _s3 = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public string Bucket => _options.Bucket;

    public async Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        BlobKeys.Require(key);
        var buffer = ArrayPool<byte>.Shared.Rent(_options.PartSize);
        try
        {
            var filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, _options.PartSize), _options.PartSize, throwOnEndOfStream: false, cancellationToken);
            if (filled < _options.PartSize)
            {
                using var whole = new MemoryStream(buffer, 0, filled, writable: false);
                await _s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, InputStream = whole, UseChunkEncoding = false, AutoCloseStream = false }, cancellationToken);
                return;
            }
            await WriteMultipartAsync(key, content, buffer, filled, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task WriteMultipartAsync(string key, Stream content, byte[] buffer, int filled, CancellationToken cancellationToken)
    {
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key }, cancellationToken);
        var parts = new List<PartETag>();
        try
        {
            while (filled > 0)
            {
                using var part = new MemoryStream(buffer, 0, filled, writable: false);
                var response = await _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Bucket, Key = key, UploadId = upload.UploadId, PartNumber = parts.Count + 1, InputStream = part, PartSize = filled,
                    UseChunkEncoding = false,
                }, cancellationToken);
                parts.Add(new PartETag(parts.Count + 1, response.ETag));
                filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, _options.PartSize), _options.PartSize, throwOnEndOfStream: false, cancellationToken);
            }
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId, PartETags = parts }, cancellationToken);
        }
        catch (Exception failure)
        {
            // The parts never become an object either way; aborting frees their storage at once. If the abort fails too
            // (some S3-compatible services do not offer it), the bucket's lifecycle rule for incomplete uploads does it,
            // and the write's own failure is the one reported.
            try
            {
                await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None);
            }
            catch (AmazonServiceException abort)
            {
                failure.Data["S3AbortFailure"] = abort.Message; // logged with the write's failure by whoever handles it
            }
            throw;
        }
    }

    public async Task<BlobInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        BlobKeys.Require(key);
        try
        {
            var metadata = await _s3.GetObjectMetadataAsync(Bucket, key, cancellationToken);
            return new BlobInfo(key, metadata.ContentLength, metadata.LastModified is { } time ? new DateTimeOffset(time.ToUniversalTime()) : DateTimeOffset.UnixEpoch);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<Stream?> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        BlobKeys.Require(key);
        if (length == 0) return await StatAsync(key, cancellationToken) is null ? null : new MemoryStream([], writable: false);
        var request = new GetObjectRequest { BucketName = Bucket, Key = key };
        if (length is { } n) request.ByteRange = new ByteRange(offset, offset + n - 1);
        else if (offset > 0) request.ByteRange = new ByteRange($"bytes={offset}-");
        try
        {
            var response = await _s3.GetObjectAsync(request, cancellationToken);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return new MemoryStream([], writable: false); // from the end of the object: nothing more to read
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        BlobKeys.Require(key);
        await _s3.DeleteObjectAsync(Bucket, key, cancellationToken);
    }

    public async Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        if (!BlobKeys.IsValidPrefix(prefix)) throw new ArgumentException($"\"{prefix}\" is not a valid blob key prefix.", nameof(prefix));
        var batch = new List<KeyVersion>();
        await foreach (var key in ListAsync(prefix, cancellationToken))
        {
            batch.Add(new KeyVersion { Key = key });
            if (batch.Count == 1000) await DeleteBatchAsync(batch, cancellationToken);
        }
        if (batch.Count > 0) await DeleteBatchAsync(batch, cancellationToken);
    }

    private async Task DeleteBatchAsync(List<KeyVersion> batch, CancellationToken cancellationToken)
    {
        await _s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = Bucket, Objects = [.. batch], Quiet = true }, cancellationToken);
        batch.Clear();
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        while (true)
        {
            var page = await _s3.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in page.S3Objects ?? []) yield return item.Key;
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public void Dispose() => _s3.Dispose();

    /// <summary>The object's body; disposing it releases the HTTP response it comes from.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) response.Dispose();
            base.Dispose(disposing);
        }
    }
}
