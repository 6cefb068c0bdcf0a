using Cairn.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Cairn.Files;

/// <summary>
/// Reads a multipart record body part by part as it arrives. Text parts are collected as they are; each file part is
/// streamed to a temporary file while its bytes are counted, so no file is ever held in memory and a file over its
/// field's <c>maxSize</c> is refused with 413 the moment it passes the limit, before the rest is read. The part's
/// value in the body becomes the name the file will be stored under, so modifiers such as <c>documents+</c> apply
/// to new files exactly as to existing names.
/// </summary>
public static class MultipartUploadReader
{
    private const int MaxTextPartBytes = 8 * 1024 * 1024;

    public static async Task<(List<(string Key, string Value)> Values, UploadSpool Spool)> ReadAsync(HttpRequest request, UploadPolicy policy, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw ApiException.BadRequest("Failed to read the request body.");
        // Part headers may carry a long client file name (kept only as a hint); 64 KiB still bounds what one part header can cost.
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null, HeadersLengthLimit = 64 * 1024 };
        var values = new List<(string, string)>();
        var spool = new UploadSpool();
        try
        {
            Directory.CreateDirectory(policy.TempFolder);
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                    throw ApiException.BadRequest("Failed to read the request body: a part has an invalid Content-Disposition.");
                if (!disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)) continue;
                var key = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (key.Length == 0) throw ApiException.BadRequest("Failed to read the request body: a part has no name.");
                if (disposition.IsFileDisposition())
                {
                    var target = policy.Target(FieldName(key));
                    if (target is null)
                    {
                        await section.Body.CopyToAsync(Stream.Null, cancellationToken); // not a file field: ignored, like any unknown key
                        continue;
                    }
                    var clientName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                    var upload = await SpoolAsync(section.Body, target.Field, clientName, target.MaxSize, policy.TempFolder, cancellationToken);
                    spool.Files.Add(upload);
                    values.Add((key, upload.StoredName));
                }
                else
                {
                    using var text = new StreamReader(new LengthLimitedStream(section.Body, MaxTextPartBytes));
                    values.Add((key, await text.ReadToEndAsync(cancellationToken)));
                }
            }
            return (values, spool);
        }
        catch (BadHttpRequestException e) when (e.StatusCode is >= 400 and < 500)
        {
            // Kestrel's limits: 413 past the body size, 408 when the body arrives too slowly (or not at all).
            spool.Dispose();
            throw new ApiException(e.StatusCode, ErrorResponses.DefaultMessage(e.StatusCode));
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
        {
            spool.Dispose();
            throw ApiException.BadRequest("Failed to read the request body.");
        }
        catch
        {
            spool.Dispose();
            throw;
        }
    }

    // "documents+", "+documents" and "documents-" name the field "documents".
    private static string FieldName(string key) => key.Trim('+').TrimEnd('-');

    private static async Task<Upload> SpoolAsync(Stream body, string field, string clientName, long maxSize, string folder, CancellationToken cancellationToken)
    {
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".upload");
        var header = new byte[ContentSniffer.HeaderLength];
        var headerLength = 0;
        long length = 0;
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                length += read;
                if (length > maxSize)
                    throw new ApiException(413, "Request entity too large.", new System.Text.Json.Nodes.JsonObject
                    {
                        [field] = new System.Text.Json.Nodes.JsonObject { ["code"] = "validation_file_size_limit", ["message"] = $"The file must be no larger than {maxSize} bytes." },
                    });
                if (headerLength < header.Length)
                {
                    var take = Math.Min(read, header.Length - headerLength);
                    Array.Copy(buffer, 0, header, headerLength, take);
                    headerLength += take;
                }
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        var type = ContentSniffer.Sniff(header.AsSpan(0, headerLength));
        return new Upload(field, clientName, StoredFileName.New(clientName, type), path, length, type);
    }

    /// <summary>A text part over the limit is a broken or hostile body, not a value to store.</summary>
    private sealed class LengthLimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Count(await inner.ReadAsync(buffer, cancellationToken));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new ApiException(413, "Request entity too large.") : read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
