using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace Cairn.Files.Thumbnails;

/// <summary>
/// Makes thumbnails with SkiaSharp, lazily, once per size: concurrent requests for one thumbnail wait on a single
/// generation, at most <c>ProcessorCount + 2</c> run at once (PocketBase's worker count), and a caller waits at most
/// 60 s. The image's dimensions are read from its header before anything is decoded, so a small file that claims
/// 50,000 × 50,000 pixels (a decompression bomb) is refused without allocating its pixels. Whatever fails, the caller
/// serves the original.
/// </summary>
public sealed class ThumbnailGenerator(ILogger<ThumbnailGenerator> logger)
{
    public const long MaxPixels = 40_000_000, MaxInputBytes = 50L * 1024 * 1024;

    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _workers = new(Environment.ProcessorCount + 2);
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _running = new(StringComparer.Ordinal);

    /// <summary>Images Skia decodes and PocketBase thumbs: PNG, JPEG, GIF (first frame), WebP.</summary>
    public static bool CanThumb(string type) => type is "image/png" or "image/jpeg" or "image/gif" or "image/webp";

    /// <summary>Whether the thumbnail exists afterwards: it was there, or it has been made now.</summary>
    public async Task<bool> EnsureAsync(IBlobStore store, string originalKey, string thumbKey, ThumbSize size, CancellationToken cancellationToken)
    {
        if (await store.StatAsync(thumbKey, cancellationToken) is not null) return true;
        var generation = _running.GetOrAdd(thumbKey, _ => new Lazy<Task<bool>>(() => GenerateOnceAsync(store, originalKey, thumbKey, size)));
        try
        {
            return await generation.Value.WaitAsync(MaxWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    // Not cancelled by the request that started it: the others waiting on it still want the thumbnail.
    private async Task<bool> GenerateOnceAsync(IBlobStore store, string originalKey, string thumbKey, ThumbSize size)
    {
        try
        {
            if (!await _workers.WaitAsync(MaxWait)) return false;
            try
            {
                return await GenerateAsync(store, originalKey, thumbKey, size);
            }
            finally
            {
                _workers.Release();
            }
        }
        finally
        {
            _running.TryRemove(thumbKey, out _);
        }
    }

    private async Task<bool> GenerateAsync(IBlobStore store, string originalKey, string thumbKey, ThumbSize size)
    {
        if (await store.StatAsync(originalKey) is not { Length: > 0 and <= MaxInputBytes }) return false;
        byte[] bytes;
        await using (var source = await store.OpenReadAsync(originalKey))
        {
            if (source is null) return false;
            using var copy = new MemoryStream();
            await source.CopyToAsync(copy);
            bytes = copy.ToArray();
        }
        var encoded = await Task.Run(() => Render(bytes, size));
        if (encoded is null) return false;
        await store.WriteAsync(thumbKey, new MemoryStream(encoded));
        return true;
    }

    /// <summary>The encoded thumbnail, or null when the input is not an image Skia decodes within the limits.</summary>
    public byte[]? Render(byte[] input, ThumbSize size)
    {
        try
        {
            using var data = SKData.CreateCopy(input);
            using var codec = SKCodec.Create(data);
            if (codec is null) return null;
            var (width, height) = (codec.Info.Width, codec.Info.Height);
            if (width <= 0 || height <= 0 || (long)width * height > MaxPixels) return null; // from the header, before decoding
            var format = codec.EncodedFormat == SKEncodedImageFormat.Jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
            using var original = new SKBitmap(info);
            // A truncated or corrupt file decodes partly (IncompleteInput): it gets no thumbnail, the original is served.
            if (codec.GetPixels(info, original.GetPixels()) != SKCodecResult.Success) return null;

            var (scaledWidth, scaledHeight) = Scaled(width, height, size);
            using var scaled = original.Resize(new SKImageInfo(scaledWidth, scaledHeight, SKColorType.Rgba8888, SKAlphaType.Premul),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            if (scaled is null) return null;
            using var cropped = new SKBitmap();
            var crop = Crop(scaledWidth, scaledHeight, size);
            if (!scaled.ExtractSubset(cropped, crop)) return null;
            using var image = SKImage.FromBitmap(cropped);
            using var encoded = image.Encode(format, 85);
            return encoded?.ToArray();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            logger.LogDebug(e, "Thumbnail {Size} could not be made", size.Text);
            return null;
        }
    }

    private static (int Width, int Height) Scaled(int width, int height, ThumbSize size)
    {
        double scale = size.Mode switch
        {
            ThumbMode.ResizeToHeight => (double)size.Height / height,
            ThumbMode.ResizeToWidth => (double)size.Width / width,
            ThumbMode.Fit => Math.Min((double)size.Width / width, (double)size.Height / height),
            _ => Math.Max((double)size.Width / width, (double)size.Height / height), // fill, then crop
        };
        var w = Math.Max(1, (int)Math.Round(width * scale));
        var h = Math.Max(1, (int)Math.Round(height * scale));
        return size.Mode is ThumbMode.CropCenter or ThumbMode.CropTop or ThumbMode.CropBottom
            ? (Math.Max(w, size.Width), Math.Max(h, size.Height))
            : (w, h);
    }

    private static SKRectI Crop(int width, int height, ThumbSize size)
    {
        if (size.Mode is ThumbMode.Fit or ThumbMode.ResizeToHeight or ThumbMode.ResizeToWidth) return new SKRectI(0, 0, width, height);
        var left = (width - size.Width) / 2;
        var top = size.Mode switch
        {
            ThumbMode.CropTop => 0,
            ThumbMode.CropBottom => height - size.Height,
            _ => (height - size.Height) / 2,
        };
        return SKRectI.Create(left, top, size.Width, size.Height);
    }
}
