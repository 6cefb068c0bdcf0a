namespace Cairn.Files.S3;

/// <summary>
/// An S3-compatible bucket for record files instead of the local folder: AWS S3 or any service that speaks its API
/// (MinIO, Ceph, R2, Backblaze, Wasabi…), reached at <see cref="Endpoint"/> with path-style addressing.
/// </summary>
public sealed record S3Options
{
    /// <summary>The service's URL, <c>https://s3.eu-west-1.amazonaws.com</c> or <c>http://127.0.0.1:9000</c>.</summary>
    public required string Endpoint { get; init; }

    public required string Bucket { get; init; }

    /// <summary>The signing region; most S3-compatible services accept any.</summary>
    public string Region { get; init; } = "us-east-1";

    public required string AccessKey { get; init; }

    public required string SecretKey { get; init; }

    /// <summary>Path-style URLs (<c>endpoint/bucket/key</c>), which every S3-compatible service supports; off for virtual-hosted style.</summary>
    public bool ForcePathStyle { get; init; } = true;

    /// <summary>Objects larger than this go up as a multipart upload of parts this size (S3's minimum part is 5 MiB).</summary>
    public int PartSize { get; init; } = 8 * 1024 * 1024;

    public string? Validate()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            return $"--s3-endpoint \"{Endpoint}\" must be an http(s) URL.";
        if (string.IsNullOrWhiteSpace(Bucket)) return "--s3-bucket must name a bucket.";
        if (string.IsNullOrEmpty(AccessKey) || string.IsNullOrEmpty(SecretKey)) return "S3 needs an access key and a secret key (CAIRN_S3_ACCESS_KEY, CAIRN_S3_SECRET_KEY).";
        if (PartSize < 5 * 1024 * 1024) return "The S3 part size must be at least 5 MiB.";
        return null;
    }
}
