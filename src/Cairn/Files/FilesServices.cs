using Cairn.Files.S3;
using Cairn.Files.Thumbnails;
using Cairn.Files.Tus;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Files;

public static class FilesServices
{
    /// <summary>
    /// Record files: the blob store (an S3-compatible bucket when <c>settings.s3</c> is enabled, else <c>storage/</c> in the
    /// data folder), thumbnails, view files and tus uploads. The store is chosen once, from the settings in force at start
    /// (stored ones included): switching stores under live uploads is not supported, so an S3 change waits for the next start.
    /// </summary>
    public static IServiceCollection AddFiles(this IServiceCollection services, CairnOptions options)
    {
        services.AddSingleton<IBlobStore>(s => s.GetRequiredService<Settings.LiveSettings>().Current.S3.ToOptions() is { } s3
            ? new S3BlobStore(s3)
            : new LocalBlobStore(Path.Combine(options.DataDir, "storage")));
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
