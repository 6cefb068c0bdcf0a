using System.Text.RegularExpressions;
using Cairn.Files;

namespace Cairn.Tests.Files;

/// <summary>Stored names (POCKETBASE_API.md 1.5): the client's name is a hint in snake_case, never a path.</summary>
public sealed partial class StoredFileNameTests
{
    [GeneratedRegex("^[a-z0-9_]+_[a-z0-9]{10}(\\.[a-z0-9]{1,20})?$")]
    private static partial Regex StoredShape();

    [Theory]
    [InlineData("My Photo.PNG", "image/png", "my_photo_", ".png")]
    [InlineData("myPhoto2024.jpeg", "image/jpeg", "my_photo2024_", ".jpeg")]
    [InlineData("report", "application/pdf", "report_", ".pdf")]
    [InlineData("C:\\Users\\me\\notes.txt", "text/plain", "notes_", ".txt")]
    public void Name_IsSnakeCase_PlusTenRandom_PlusTheExtension(string client, string type, string start, string end)
    {
        var stored = StoredFileName.New(client, type);

        Assert.StartsWith(start, stored);
        Assert.EndsWith(end, stored);
        Assert.Matches(StoredShape(), stored);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("..\\..\\windows\\win.ini")]
    [InlineData("%2e%2e%2f%2e%2e%2fsecret")]
    [InlineData("%252e%252e%252fsecret")]
    [InlineData("evil\0.png")]
    [InlineData("\u202Egnp.exe")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData(".htaccess")]
    public void HostileNames_BecomeHarmlessStoredNames(string client)
    {
        var stored = StoredFileName.New(client, "text/plain");

        Assert.Matches(StoredShape(), stored);
        Assert.True(BlobKeys.IsValid("c/r/" + stored), stored);
    }

    [Fact]
    public void AVeryLongName_IsCutTo100Characters()
    {
        var stored = StoredFileName.New(new string('a', 10_000) + ".png", "image/png");

        Assert.Equal(100 + 1 + 10 + 4, stored.Length);
    }

    [Fact]
    public void AShortName_GetsTenMoreRandomCharacters()
    {
        var stored = StoredFileName.New("a.png", "image/png");

        Assert.Matches("^a[a-z0-9]{10}_[a-z0-9]{10}\\.png$", stored);
    }
}
