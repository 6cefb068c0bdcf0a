using System.Text;
using System.Text.Json.Nodes;
using Cairn.Observability;

namespace Cairn.Tests.Observability;

public sealed class RequestLogConsoleTests
{
    private static LogEntry Entry(int level, string message) =>
        new(level, message, new JsonObject { ["status"] = level >= 4 ? 404 : 200 }, new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));

    [Fact]
    public void Write_Batch_PrintsOneJsonLinePerEntryAtOrAboveTheMinimumLevel()
    {
        using var output = new MemoryStream();
        var console = new RequestLogConsole(output, minimumLevel: 0);
        LogEntry[] entries = [Entry(-4, "debug"), Entry(0, "GET /a 200"), Entry(4, "GET /b 404")];

        console.Write(entries, entries.Select(e => e.Data.ToJsonString()).ToList());

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var first = JsonNode.Parse(lines[0])!;
        Assert.Equal("2026-01-02T03:04:05.678Z", first["Timestamp"]!.GetValue<string>());
        Assert.Equal("Information", first["LogLevel"]!.GetValue<string>());
        Assert.Equal("GET /a 200", first["Message"]!.GetValue<string>());
        Assert.Equal(200, first["State"]!["status"]!.GetValue<int>());
        Assert.Equal("Warning", JsonNode.Parse(lines[1])!["LogLevel"]!.GetValue<string>());
    }
}
