using System.Buffers;
using System.Text.Json;

namespace Cairn.Observability;

/// <summary>
/// Prints request log entries as JSON lines on standard output, in the shape of the JSON console
/// logger's lines (<c>Timestamp</c>, <c>LogLevel</c>, <c>Category</c>, <c>Message</c>, <c>State</c>).
/// Why not the console logger itself: at tens of thousands of requests a second, formatting each
/// line on the request thread and writing it with one system call cost about a third of a record
/// view (bench/RESULTS.md). Here the log loop formats a whole batch off the request path and writes
/// it with one call. Other events (warnings, errors, start-up) still go through ILogger.
/// </summary>
public sealed class RequestLogConsole(Stream output, int minimumLevel)
{
    public const string Category = "Cairn.Observability.RequestLog";

    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    /// <summary>Writes the entries whose level is at least the minimum; <paramref name="data"/> holds each entry's serialized data.</summary>
    public void Write(IReadOnlyList<LogEntry> entries, IReadOnlyList<string> data)
    {
        _buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_buffer))
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                if (entry.Level < minimumLevel) continue;
                writer.Reset(_buffer);
                writer.WriteStartObject();
                writer.WriteString("Timestamp", entry.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
                writer.WriteString("LogLevel", entry.Level switch { >= 8 => "Error", >= 4 => "Warning", >= 0 => "Information", _ => "Debug" });
                writer.WriteString("Category", Category);
                writer.WriteString("Message", entry.Message);
                writer.WritePropertyName("State");
                writer.WriteRawValue(data[i], skipInputValidation: true);
                writer.WriteEndObject();
                writer.Flush();
                _buffer.Write("\n"u8);
            }
        }
        if (_buffer.WrittenCount == 0) return;
        try
        {
            output.Write(_buffer.WrittenSpan);
            output.Flush();
        }
        catch (IOException)
        {
            // A closed standard output (a detached service) must not stop the logs database.
        }
    }
}
