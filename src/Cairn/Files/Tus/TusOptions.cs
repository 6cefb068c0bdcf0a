namespace Cairn.Files.Tus;

/// <summary>Limits of tus resumable uploads (<see cref="TusApi"/>).</summary>
public sealed record TusOptions
{
    /// <summary>The largest upload a client may announce (<c>Tus-Max-Size</c>); a file field's own <c>maxSize</c> still applies when it is attached.</summary>
    public long MaxSize { get; init; } = 10L * 1024 * 1024 * 1024;

    /// <summary>An upload untouched for this long (unfinished, or finished and never attached) is deleted.</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// While a chunk streams in without a checksum, the bytes received so far are made durable and acknowledged as the
    /// upload's offset every this many bytes, so a client whose connection (or the server) dies mid-chunk loses at most this much.
    /// </summary>
    public long CheckpointBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// How long a request waits for another request on the same upload to finish (a resumed PATCH whose dead predecessor
    /// the server has not noticed yet) before it is answered 423.
    /// </summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(15);

    public string? Validate()
    {
        if (MaxSize < 1) return "--tus-max-size must be at least 1 byte.";
        if (Expiry <= TimeSpan.Zero) return "--tus-expiry-hours must be positive.";
        if (CheckpointBytes < 1 || LockWait < TimeSpan.Zero) return "The tus checkpoint and lock wait must be positive.";
        return null;
    }
}
