using System.Buffers;
using System.IO.Pipelines;
using Cairn.Realtime.Connections;

namespace Cairn.Tests.Realtime.Connections;

/// <summary>WebSocketFrames on its own: lengths of every size, frames split across buffer segments, and what it refuses.</summary>
public sealed class WebSocketFramesTests
{
    private static readonly byte[] Mask = [0xA1, 0xB2, 0xC3, 0xD4];

    /// <summary>A client frame as RFC 6455 5.2 lays it out, masked.</summary>
    private static byte[] ClientFrame(int opcode, byte[] payload, bool fin = true)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        if (payload.Length < 126) frame.Add((byte)(0x80 | payload.Length));
        else if (payload.Length <= ushort.MaxValue) frame.AddRange([0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length]);
        else
        {
            frame.Add(0x80 | 127);
            for (var shift = 56; shift >= 0; shift -= 8) frame.Add((byte)((long)payload.Length >> shift));
        }
        frame.AddRange(Mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ Mask[i % 4])));
        return [.. frame];
    }

    /// <summary>The bytes as a sequence of segments of <paramref name="segmentSize"/> bytes, as a pipe may hand them out.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize)
    {
        var chunks = bytes.Chunk(segmentSize).ToArray();
        var first = new Segment(chunks[0], 0);
        var last = first;
        foreach (var chunk in chunks.Skip(1)) last = last.Append(chunk);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long index)
        {
            Memory = bytes.ToArray();
            RunningIndex = index;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(125, 1000)]
    [InlineData(126, 1000)]
    [InlineData(70_000, 1000)]
    [InlineData(300, 3)] // header, mask and payload all cut across segments
    public void AFrameOfAnyLength_ReadsBackUnmasked(int length, int segmentSize)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        var buffer = Segmented([.. ClientFrame(0x2, payload), .. ClientFrame(0x9, [1, 2, 3])], segmentSize);

        Assert.True(WebSocketFrames.TryRead(ref buffer, 1 << 20, out var frame, out var error));
        Assert.Equal(0, error);
        Assert.True(frame.Fin);
        Assert.Equal(WebSocketOpcode.Binary, frame.Opcode);
        Assert.Equal(payload, frame.Payload.ToArray());
        Assert.True(WebSocketFrames.TryRead(ref buffer, 1 << 20, out var ping, out _));
        Assert.Equal(WebSocketOpcode.Ping, ping.Opcode);
        Assert.Equal([1, 2, 3], ping.Payload.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void AnIncompleteFrame_WaitsForMoreBytes_WithoutConsumingAny()
    {
        var whole = ClientFrame(0x1, "hello"u8.ToArray());
        for (var cut = 0; cut < whole.Length; cut++)
        {
            var buffer = new ReadOnlySequence<byte>(whole[..cut]);
            Assert.False(WebSocketFrames.TryRead(ref buffer, 1 << 20, out _, out var error));
            Assert.Equal(0, error);
            Assert.Equal(cut, buffer.Length);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0x05, 1, 2, 3, 4, 5 }, WebSocketFrames.ProtocolError)] // not masked
    [InlineData(new byte[] { 0xC1, 0x80, 0, 0, 0, 0 }, WebSocketFrames.ProtocolError)] // RSV1 without an extension
    [InlineData(new byte[] { 0x83, 0x80, 0, 0, 0, 0 }, WebSocketFrames.ProtocolError)] // opcode 3 is reserved
    [InlineData(new byte[] { 0x09, 0x80, 0, 0, 0, 0 }, WebSocketFrames.ProtocolError)] // a fragmented control frame
    [InlineData(new byte[] { 0x89, 0xFE, 0, 200, 0, 0, 0, 0 }, WebSocketFrames.ProtocolError)] // a control frame over 125 bytes
    [InlineData(new byte[] { 0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 1, 0, 0, 0, 0 }, WebSocketFrames.MessageTooBig)] // over the limit, refused from its header
    public void AFrameThatBreaksTheProtocol_IsRefusedWithItsCloseCode(byte[] bytes, ushort code)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.False(WebSocketFrames.TryRead(ref buffer, 1 << 20, out _, out var error));
        Assert.Equal(code, error);
    }

    [Theory]
    [InlineData(5, 2)]
    [InlineData(200, 4)]
    [InlineData(70_000, 10)]
    public void AServerFrame_HasTheShortestLengthEncoding_AndNoMask(int length, int headerLength)
    {
        var pipe = new Pipe();
        WebSocketFrames.Write(pipe.Writer, WebSocketOpcode.Text, new byte[length]);
        pipe.Writer.Complete();
        Assert.True(pipe.Reader.TryRead(out var result));
        var bytes = result.Buffer.ToArray();

        Assert.Equal(headerLength + length, bytes.Length);
        Assert.Equal(0x81, bytes[0]);
        Assert.Equal(0, bytes[1] & 0x80);
    }

    [Fact]
    public void AcceptKey_IsRfc6455sExample() =>
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketFrames.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
}
