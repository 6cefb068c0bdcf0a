using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace Cairn.Realtime.Connections;

/// <summary>One frame from the client (RFC 6455 section 5.2), its payload unmasked.</summary>
public readonly record struct WebSocketFrame(bool Fin, WebSocketOpcode Opcode, ReadOnlySequence<byte> Payload);

public enum WebSocketOpcode : byte { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 }

/// <summary>
/// The server side of WebSocket framing (RFC 6455 section 5), read from and written to a connection's pipes.
/// </summary>
/// <remarks>
/// Why our own rather than the framework's <c>WebSocket</c>: a connection waiting in <c>WebSocket.ReceiveAsync</c>
/// holds a chain of five suspended reads (about 2 KB) for as long as it is idle, which is most of its life, and the
/// idle memory goal is 10 KB (bench/RESULTS.md, run N). Parsing frames straight off the connection's pipe, an idle
/// connection waits in one read with nothing else held. Only what a server needs is here: client frames must be
/// masked, no extensions are negotiated, control frames are short and unfragmented.
/// </remarks>
public static class WebSocketFrames
{
    /// <summary>RFC 6455 section 7.4.1.</summary>
    public const ushort ProtocolError = 1002, InvalidPayload = 1007, MessageTooBig = 1009;

    /// <summary>
    /// Reads one whole frame from the front of <paramref name="buffer"/>. False with no error when more bytes are needed;
    /// false with <paramref name="error"/> (a close code) when the bytes break the protocol or exceed
    /// <paramref name="maxPayload"/>. The payload is unmasked in place.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, long maxPayload, out WebSocketFrame frame, out ushort error)
    {
        frame = default;
        error = 0;
        Span<byte> head = stackalloc byte[14];
        var available = (int)Math.Min(buffer.Length, head.Length);
        if (available < 2) return false;
        buffer.Slice(0, available).CopyTo(head);
        var fin = (head[0] & 0x80) != 0;
        var opcode = (WebSocketOpcode)(head[0] & 0x0F);
        var masked = (head[1] & 0x80) != 0;
        long length = head[1] & 0x7F;
        var headerLength = 2;
        if (length == 126) headerLength += 2;
        else if (length == 127) headerLength += 8;
        headerLength += 4; // the mask
        if (available < headerLength) return false;
        if (length == 126) length = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
        else if (length == 127) length = (long)BinaryPrimitives.ReadUInt64BigEndian(head[2..]);

        var control = (byte)opcode >= 8;
        if ((head[0] & 0x70) != 0 || !masked || length < 0 || !Enum.IsDefined(opcode) || control && (!fin || length > 125))
        {
            error = ProtocolError;
            return false;
        }
        if (length > maxPayload)
        {
            error = MessageTooBig;
            return false;
        }
        if (buffer.Length < headerLength + length) return false;

        var mask = head.Slice(headerLength - 4, 4);
        var payload = buffer.Slice(headerLength, length);
        Unmask(payload, BinaryPrimitives.ReadUInt32LittleEndian(mask));
        frame = new WebSocketFrame(fin, opcode, payload);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    // The pipe's memory is ours to change until it is advanced past.
    private static void Unmask(ReadOnlySequence<byte> payload, uint mask)
    {
        var offset = 0;
        foreach (var segment in payload)
        {
            var span = System.Runtime.InteropServices.MemoryMarshal.AsMemory(segment).Span;
            for (var i = 0; i < span.Length; i++, offset++) span[i] ^= (byte)(mask >> (offset % 4 * 8));
        }
    }

    /// <summary>Writes one unfragmented, unmasked frame (a server never masks).</summary>
    public static void Write(PipeWriter output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var header = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var span = output.GetSpan(header + payload.Length);
        span[0] = (byte)(0x80 | (byte)opcode);
        if (header == 2) span[1] = (byte)payload.Length;
        else if (header == 4)
        {
            span[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)payload.Length);
        }
        else
        {
            span[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(span[2..], (ulong)payload.Length);
        }
        payload.CopyTo(span[header..]);
        output.Advance(header + payload.Length);
    }

    /// <summary>A close frame: the code, then a reason of at most 123 bytes.</summary>
    public static void WriteClose(PipeWriter output, ushort code, string reason)
    {
        Span<byte> payload = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        var length = 2 + Encoding.UTF8.GetBytes(reason.Length > 40 ? reason[..40] : reason, payload[2..]);
        Write(output, WebSocketOpcode.Close, payload[..length]);
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> answer to a <c>Sec-WebSocket-Key</c> (RFC 6455 section 4.2.2).</summary>
    public static string AcceptKey(string key) =>
        Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
}
