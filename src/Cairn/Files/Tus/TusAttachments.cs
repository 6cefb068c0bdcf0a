using System.Text.Json.Nodes;
using Cairn.Auth;
using Cairn.Collections;

namespace Cairn.Files.Tus;

/// <summary>
/// Finished tus uploads named in a record body: a file field's value <c>tus:ID</c> (alone, in a list, or with the
/// <c>+</c> modifiers) becomes an upload of the request, exactly like a multipart file part, so the field's
/// <c>maxSize</c>, <c>mimeTypes</c> (against the sniffed bytes) and <c>maxSelect</c> apply as usual. Stored names
/// never contain a colon, so a reference cannot be mistaken for an existing file. The upload stays locked while the
/// record is written and is deleted once the record is saved; an unknown, foreign, unfinished or expired upload is
/// left as it is and fails validation as a file that was not uploaded.
/// </summary>
public sealed class TusAttachments(TusUploads uploads)
{
    public const string Prefix = "tus:";

    /// <summary>Replaces each claimable reference in <paramref name="data"/> (a record body) by the name its file will have, adding the file to <paramref name="spool"/>.</summary>
    public async Task ClaimAsync(JsonObject data, Collection collection, RequestAuth auth, UploadSpool spool, CancellationToken cancellationToken)
    {
        if (auth.Record is not { } caller) return;
        var owner = $"{caller.Collection.Id}/{caller.Id}";
        foreach (var (key, value) in data.ToList())
        {
            if (key.EndsWith('-')) continue; // removals name stored files
            var field = collection.Fields.FirstOrDefault(f => f.Type == FieldTypes.File && f.Name.Equals(key.Trim('+'), StringComparison.OrdinalIgnoreCase));
            if (field is null) continue;
            switch (value)
            {
                case JsonValue v when v.TryGetValue<string>(out var single) && single.StartsWith(Prefix, StringComparison.Ordinal):
                    data[key] = await ClaimAsync(spool, field, owner, single, cancellationToken) ?? single;
                    break;
                case JsonArray list:
                    for (var i = 0; i < list.Count; i++)
                        if (list[i] is JsonValue item && item.TryGetValue<string>(out var name) && name.StartsWith(Prefix, StringComparison.Ordinal))
                            list[i] = await ClaimAsync(spool, field, owner, name, cancellationToken) ?? name;
                    break;
            }
        }
    }

    private async Task<string?> ClaimAsync(UploadSpool spool, Field field, string owner, string reference, CancellationToken cancellationToken)
    {
        var id = reference[Prefix.Length..];
        if (uploads.Find(id, owner) is null) return null;
        var lease = await uploads.LockAsync(id, cancellationToken);
        if (lease is null) return null;
        var upload = uploads.Find(id, owner);
        if (upload is not { IsFinished: true })
        {
            lease.Dispose();
            return null;
        }
        spool.Hold(lease);
        var type = await SniffAsync(uploads.DataPath(upload), cancellationToken);
        var claimed = new Upload(field.Name, upload.ClientName, StoredFileName.New(upload.ClientName, type), uploads.DataPath(upload), upload.Length, type, Temporary: false);
        spool.Files.Add(claimed);
        spool.AfterSave(() => uploads.Delete(id));
        return claimed.StoredName;
    }

    private static async Task<string> SniffAsync(string path, CancellationToken cancellationToken)
    {
        var header = new byte[ContentSniffer.HeaderLength];
        await using var file = File.OpenRead(path);
        var read = await file.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        return ContentSniffer.Sniff(header.AsSpan(0, read));
    }
}
