using Cairn.Collections;

namespace Cairn.Files;

/// <summary>One uploaded file, held in a temporary file until the record that names it is saved.</summary>
/// <param name="Field">The file field it was sent for.</param>
/// <param name="StoredName">The name it gets in storage (<see cref="StoredFileName"/>), which the record's field will hold.</param>
/// <param name="Type">The sniffed content type.</param>
public sealed record Upload(string Field, string ClientName, string StoredName, string TempPath, long Length, string Type);

/// <summary>What a multipart body may upload: the file field behind each part name, and where parts are spooled.</summary>
public sealed record UploadPolicy(Func<string, Field?> FileField, string TempFolder)
{
    public const long DefaultMaxSize = 5L * 1024 * 1024;

    /// <summary>A field's <c>maxSize</c>, 5 MiB when unset (POCKETBASE_API.md 3.2).</summary>
    public static long MaxSize(Field field) => Records.FieldValues.ToNumber(field.Options["maxSize"]) is > 0 and var n ? (long)n : DefaultMaxSize;
}

/// <summary>The temporary files of one request's uploads, deleted when the request ends.</summary>
public sealed class UploadSpool : IDisposable
{
    public List<Upload> Files { get; } = [];

    public Upload? Find(string storedName) => Files.FirstOrDefault(f => f.StoredName == storedName);

    public void Dispose()
    {
        foreach (var file in Files)
            try { File.Delete(file.TempPath); } catch (IOException) { }
    }
}
