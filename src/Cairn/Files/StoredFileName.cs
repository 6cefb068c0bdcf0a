using System.Text;
using Cairn.Collections;

namespace Cairn.Files;

/// <summary>
/// The name a file is stored under (POCKETBASE_API.md 1.5): the client's base name in snake_case (at most 100
/// characters; under 3, ten random characters are added), <c>_</c>, ten random <c>[a-z0-9]</c>, and the cleaned
/// extension (detected from the content when there is none). The client's name is only ever a hint: every character
/// that reaches storage is an ASCII letter, digit, <c>_</c> or <c>.</c>, so no name a client sends (<c>../</c>,
/// <c>..\</c>, encoded dots, NUL, RTL marks, 10,000 characters) can leave the record's folder or disguise its type.
/// PocketBase keeps non-ASCII letters and a few more extension characters; Cairn drops them.
/// </summary>
public static class StoredFileName
{
    public const int MaxBaseLength = 100, MaxExtensionLength = 20;

    public static string New(string? clientName, string sniffedType)
    {
        var name = Path.GetFileName((clientName ?? "").Replace('\\', '/'));
        var dot = name.LastIndexOf('.');
        var extension = dot > 0 ? Clean(name[(dot + 1)..], keepCase: false) : "";
        if (extension.Length == 0) extension = ContentSniffer.ExtensionOf(sniffedType);
        if (extension.Length > MaxExtensionLength) extension = extension[^MaxExtensionLength..];
        var baseName = SnakeCase(dot > 0 ? name[..dot] : name);
        if (baseName.Length < 3) baseName += CollectionIds.Random(10);
        else if (baseName.Length > MaxBaseLength) baseName = baseName[..MaxBaseLength].TrimEnd('_');
        return $"{baseName}_{CollectionIds.Random(10)}{(extension.Length > 0 ? "." + extension : "")}";
    }

    private static string Clean(string text, bool keepCase) =>
        new(text.Where(char.IsAsciiLetterOrDigit).Select(c => keepCase ? c : char.ToLowerInvariant(c)).ToArray());

    /// <summary><c>My Photo-2024 (1)</c> → <c>my_photo_2024_1</c>; <c>myPhoto</c> → <c>my_photo</c>.</summary>
    public static string SnakeCase(string text)
    {
        var result = new StringBuilder(Math.Min(text.Length, 4 * MaxBaseLength));
        var previous = '\0';
        foreach (var c in text)
        {
            if (result.Length >= 4 * MaxBaseLength) break;
            if (!char.IsAsciiLetterOrDigit(c))
            {
                if (result.Length > 0 && result[^1] != '_') result.Append('_');
            }
            else
            {
                if (char.IsAsciiLetterUpper(c) && (char.IsAsciiLetterLower(previous) || char.IsAsciiDigit(previous)) && result.Length > 0 && result[^1] != '_')
                    result.Append('_');
                result.Append(char.ToLowerInvariant(c));
            }
            previous = c;
        }
        return result.ToString().Trim('_');
    }
}
