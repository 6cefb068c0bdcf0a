using Cairn.Files.S3;
using Cairn.Files.Thumbnails;
using Cairn.Files.Tus;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Files;

public static class FilesServices
{
    /// <summary>Record files: the blob store (an S3-compatible bucket when <see cref="CairnOptions.S3"/> is set, else <c>storage/</c> in the data folder), thumbnails, view files and tus uploads.</summary>
    public static IServiceCollection AddFiles(this IServiceCollection services, CairnOptions options)
    {
        services.AddSingleton<IBlobStore>(options.S3 is { } s3 ? new S3BlobStore(s3) : new LocalBlobStore(Path.Combine(options.DataDir, "storage")));
        services.AddSingleton<RecordFiles>();
        services.AddHostedService(s => s.GetRequiredService<RecordFiles>());
        services.AddSingleton<ThumbnailGenerator>();
        services.AddSingleton<ViewFileSources>();
        services.AddSingleton<TusUploads>();
        services.AddHostedService(s => s.GetRequiredService<TusUploads>());
        services.AddSingleton<TusAttachments>();
        return services;
    }
}
