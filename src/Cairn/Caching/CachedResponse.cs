using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.AspNetCore.Http;

namespace Cairn.Caching;

/// <summary>
/// A list or view response as sent: its JSON bytes and its ETag. Not marked immutable on purpose: HybridCache then keeps
/// it serialized (<see cref="CachedResponseSerializer"/>) and sizes the memory entry by those bytes, which is what bounds
/// the cache in bytes; a hit costs one copy of the body.
/// </summary>
public sealed class CachedResponse(byte[] body, string? etag) : IResult
{
    public byte[] Body { get; } = body;
    public string? ETag { get; } = etag;

    public Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = Body.Length;
        if (ETag is not null) response.Headers.ETag = ETag;
        return response.Body.WriteAsync(Body, context.RequestAborted).AsTask();
    }
}

/// <summary>
/// HybridCache measures (and, with a second-level cache, stores) every entry in serialized form; without this it would
/// write the body as base64 JSON. Here: the ETag's length and characters, then the body's bytes as they are.
/// </summary>
internal sealed class CachedResponseSerializer : IHybridCacheSerializer<CachedResponse>
{
    public CachedResponse Deserialize(ReadOnlySequence<byte> source)
    {
        var reader = new SequenceReader<byte>(source);
        if (!reader.TryReadLittleEndian(out int etagLength)) throw new InvalidDataException("A cached response ends early.");
        string? etag = null;
        if (etagLength >= 0)
        {
            var etagBytes = new byte[etagLength];
            if (!reader.TryCopyTo(etagBytes)) throw new InvalidDataException("A cached response ends early.");
            reader.Advance(etagLength);
            etag = Encoding.UTF8.GetString(etagBytes);
        }
        return new CachedResponse(reader.UnreadSequence.ToArray(), etag);
    }

    public void Serialize(CachedResponse value, IBufferWriter<byte> target)
    {
        var etag = value.ETag is null ? null : Encoding.UTF8.GetBytes(value.ETag);
        BinaryPrimitives.WriteInt32LittleEndian(target.GetSpan(4), etag?.Length ?? -1);
        target.Advance(4);
        if (etag is not null) target.Write(etag);
        target.Write(value.Body);
    }
}
