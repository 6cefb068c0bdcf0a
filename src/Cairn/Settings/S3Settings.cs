using Cairn.Files.S3;

namespace Cairn.Settings;

/// <summary><c>settings.s3</c>: the bucket for record files; the next file operation after a change uses it (<c>Files/SettingsBlobStore.cs</c>).</summary>
public sealed record S3Settings
{
    public bool Enabled { get; init; }
    public string Bucket { get; init; } = "";
    public string Region { get; init; } = "";
    public string Endpoint { get; init; } = "";
    public string AccessKey { get; init; } = "";

    /// <summary>Never returned by the API, never logged.</summary>
    public string Secret { get; init; } = "";

    public bool ForcePathStyle { get; init; } = true;

    /// <summary>The blob store's options, or null when record files stay in the data folder.</summary>
    public S3Options? ToOptions() => Enabled
        ? new S3Options { Endpoint = Endpoint, Bucket = Bucket, Region = Region, AccessKey = AccessKey, SecretKey = Secret, ForcePathStyle = ForcePathStyle }
        : null;

    // Records print every property; this one must not print the secret.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Bucket = {Bucket}, Region = {Region}, Endpoint = {Endpoint}, AccessKey = {AccessKey}, ForcePathStyle = {ForcePathStyle}");
        return true;
    }
}
