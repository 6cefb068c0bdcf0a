using System.Text;
using Cairn.Files;
using Cairn.Files.Thumbnails;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace Cairn.Tests.Files.Thumbnails;

/// <summary>Thumbnail sizes and cuts (POCKETBASE_API.md 1.5), refusals that never decode, and one generation per thumbnail.</summary>
[Collection(nameof(MemoryMeasurements))]
public sealed class ThumbnailGeneratorTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-thumbs-" + Guid.NewGuid().ToString("N"));
    private readonly ThumbnailGenerator _generator = new(NullLogger<ThumbnailGenerator>.Instance);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A 400×200 image: top half red, bottom half blue.</summary>
    private static byte[] RedOverBlue(SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(400, 200);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.DrawRect(0, 0, 400, 100, new SKPaint { Color = SKColors.Red });
            canvas.DrawRect(0, 100, 400, 100, new SKPaint { Color = SKColors.Blue });
        }
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(format, 95).ToArray();
    }

    private SKBitmap Render(byte[] input, string size)
    {
        Assert.True(ThumbSize.TryParse(size, out var parsed));
        var output = _generator.Render(input, parsed);
        Assert.NotNull(output);
        return SKBitmap.Decode(output);
    }

    [Theory]
    [InlineData("100x100", 100, 100)]
    [InlineData("100x100t", 100, 100)]
    [InlineData("100x100b", 100, 100)]
    [InlineData("100x100f", 100, 50)]
    [InlineData("0x50", 100, 50)]
    [InlineData("200x0", 200, 100)]
    public void EachMode_GivesItsSize(string size, int width, int height)
    {
        using var thumb = Render(RedOverBlue(), size);

        Assert.Equal((width, height), (thumb.Width, thumb.Height));
    }

    [Fact]
    public void TopAndBottomCrops_KeepTheirHalf()
    {
        using var top = Render(RedOverBlue(), "100x20t");
        using var bottom = Render(RedOverBlue(), "100x20b");

        Assert.Equal(SKColors.Red, top.GetPixel(50, 10));
        Assert.Equal(SKColors.Blue, bottom.GetPixel(50, 10));
    }

    [Fact]
    public void JpegStaysJpeg_OthersBecomePng()
    {
        Assert.True(ThumbSize.TryParse("50x50", out var size));
        using var jpeg = SKCodec.Create(SKData.CreateCopy(_generator.Render(RedOverBlue(SKEncodedImageFormat.Jpeg), size)!));
        using var webp = SKCodec.Create(SKData.CreateCopy(_generator.Render(RedOverBlue(SKEncodedImageFormat.Webp), size)!));

        Assert.Equal(SKEncodedImageFormat.Jpeg, jpeg.EncodedFormat);
        Assert.Equal(SKEncodedImageFormat.Png, webp.EncodedFormat);
    }

    [Theory]
    [InlineData("100")]
    [InlineData("0x0")]
    [InlineData("0x10t")]
    [InlineData("10x10z")]
    [InlineData("99999x1")]
    [InlineData("-1x10")]
    public void BadSizes_DoNotParse(string size) => Assert.False(ThumbSize.TryParse(size, out _));


    [Fact]
    public void ADecompressionBomb_IsRefusedFromItsHeader_WithoutAllocatingItsPixels()
    {
        Assert.True(ThumbSize.TryParse("100x100", out var size));
        var before = GC.GetTotalAllocatedBytes(precise: true);

        Assert.Null(_generator.Render(FileKit.BombHeader(), size));

        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 10 * 1024 * 1024);
    }

    [Theory]
    [InlineData("just text")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")]
    [InlineData("<html><body>not an image</body></html>")]
    public void NotAnImage_GivesNothing(string text)
    {
        Assert.True(ThumbSize.TryParse("100x100", out var size));
        Assert.Null(_generator.Render(Encoding.UTF8.GetBytes(text), size));
    }

    [Fact]
    public void ATruncatedPng_GivesNothing()
    {
        Assert.True(ThumbSize.TryParse("100x100", out var size));
        var png = RedOverBlue();
        Assert.Null(_generator.Render(png[..(png.Length / 3)], size));
    }

    /// <summary>Counts the writes that reach a store.</summary>
    private sealed class CountingStore(IBlobStore inner) : IBlobStore
    {
        public int Writes;
        public async Task WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Writes);
            await Task.Delay(50, cancellationToken); // long enough for every caller to pile up
            await inner.WriteAsync(key, content, cancellationToken);
        }
        public Task<BlobInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => inner.StatAsync(key, cancellationToken);
        public Task<Stream?> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, offset, length, cancellationToken);
        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
        public Task DeletePrefixAsync(string prefix, CancellationToken cancellationToken = default) => inner.DeletePrefixAsync(prefix, cancellationToken);
        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);
    }

    [Fact]
    public async Task TwentyConcurrentRequests_MakeOneThumbnail_AndALaterOneMakesNone()
    {
        var local = new LocalBlobStore(_root);
        await local.WriteAsync("c/r/pic.png", new MemoryStream(RedOverBlue()), Ct);
        var store = new CountingStore(local);
        Assert.True(ThumbSize.TryParse("100x100", out var size));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _generator.EnsureAsync(store, "c/r/pic.png", "c/r/thumbs_pic.png/100x100_pic.png", size, Ct)));
        var again = await _generator.EnsureAsync(store, "c/r/pic.png", "c/r/thumbs_pic.png/100x100_pic.png", size, Ct);

        Assert.All(results, Assert.True);
        Assert.True(again);
        Assert.Equal(1, store.Writes);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
