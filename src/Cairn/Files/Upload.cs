using Cairn.Collections;

namespace Cairn.Files;

/// <summary>One uploaded file, held in a temporary file until the record that names it is saved.</summary>
/// <param name="Field">The file field it was sent for.</param>
/// <param name="StoredName">The name it gets in storage (<see cref="StoredFileName"/>), which the record's field will hold.</param>
/// <param name="Type">The sniffed content type.</param>
/// <param name="Temporary">The file at <paramref name="TempPath"/> is the request's own (a multipart part) and may be moved into
/// storage; false for a tus upload, which is copied and removed only once the record is saved.</param>
public sealed record Upload(string Field, string ClientName, string StoredName, string TempPath, long Length, string Type, bool Temporary = true);

/// <summary>Where a file part goes: the field it is for, and how large it may be.</summary>
public sealed record UploadTarget(string Field, long MaxSize);

/// <summary>What a multipart body may upload: the target of each part name (without its <c>+</c>/<c>-</c> modifiers; null ignores the part), and where parts are spooled.</summary>
public sealed record UploadPolicy(Func<string, UploadTarget?> Target, string TempFolder)
{
    public const long DefaultMaxSize = 5L * 1024 * 1024;

    /// <summary>Parts named after one of <paramref name="fields"/>, each under its field's <c>maxSize</c>.</summary>
    public static UploadPolicy ForFields(IReadOnlyList<Field> fields, string tempFolder) => new(name =>
        fields.FirstOrDefault(f => f.Type == FieldTypes.File && f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } field
            ? new UploadTarget(field.Name, MaxSize(field))
            : null, tempFolder);

    /// <summary>A field's <c>maxSize</c>, 5 MiB when unset (POCKETBASE_API.md 3.2).</summary>
    public static long MaxSize(Field field) => Records.FieldValues.ToNumber(field.Options["maxSize"]) is > 0 and var n ? (long)n : DefaultMaxSize;
}

/// <summary>One request's uploads: temporary files are deleted and held locks released when the request ends.</summary>
public sealed class UploadSpool : IDisposable
{
    private readonly List<IDisposable> _held = [];
    private readonly List<Action> _afterSave = [];

    public List<Upload> Files { get; } = [];

    public Upload? Find(string storedName) => Files.FirstOrDefault(f => f.StoredName == storedName);

    /// <summary>Keeps <paramref name="lease"/> (a tus upload's lock) until the request ends.</summary>
    public void Hold(IDisposable lease) => _held.Add(lease);

    /// <summary>Runs <paramref name="action"/> once the record that takes these uploads is committed.</summary>
    public void AfterSave(Action action) => _afterSave.Add(action);

    public void Saved()
    {
        foreach (var action in _afterSave) action();
        _afterSave.Clear();
    }

    public void Dispose()
    {
        foreach (var file in Files.Where(f => f.Temporary))
            try { File.Delete(file.TempPath); } catch (IOException) { }
        foreach (var lease in _held) lease.Dispose();
        _held.Clear();
    }
}
