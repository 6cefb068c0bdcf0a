using System.Globalization;
using System.Text.RegularExpressions;

namespace Cairn.Files.Thumbnails;

/// <summary>How a thumbnail is cut (POCKETBASE_API.md 1.5).</summary>
public enum ThumbMode { CropCenter, CropTop, CropBottom, Fit, ResizeToHeight, ResizeToWidth }

/// <summary>
/// A thumbnail size as the <c>thumb</c> query and a file field's <c>thumbs</c> write it: <c>WxH</c> fills WxH and crops
/// from the centre, <c>WxHt</c> / <c>WxHb</c> crop from the top / bottom, <c>WxHf</c> fits inside WxH without
/// cropping, <c>0xH</c> and <c>Wx0</c> resize to that height / width keeping the aspect ratio.
/// </summary>
public sealed partial record ThumbSize(int Width, int Height, ThumbMode Mode, string Text)
{
    /// <summary>Served for every image field whatever its <c>thumbs</c> list (PocketBase's default).</summary>
    public const string Default = "100x100";

    public const int MaxSide = 10_000;

    [GeneratedRegex(@"^(\d{1,5})x(\d{1,5})([tbf]?)$")]
    private static partial Regex Shape();

    public static bool TryParse(string text, out ThumbSize size)
    {
        size = null!;
        var match = Shape().Match(text);
        if (!match.Success) return false;
        var width = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var height = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        var suffix = match.Groups[3].Value;
        if (width > MaxSide || height > MaxSide || (width == 0 && height == 0)) return false;
        ThumbMode mode;
        if (width == 0) mode = ThumbMode.ResizeToHeight;
        else if (height == 0) mode = ThumbMode.ResizeToWidth;
        else mode = suffix switch { "t" => ThumbMode.CropTop, "b" => ThumbMode.CropBottom, "f" => ThumbMode.Fit, _ => ThumbMode.CropCenter };
        if ((width == 0 || height == 0) && suffix.Length > 0) return false;
        size = new ThumbSize(width, height, mode, text);
        return true;
    }
}
