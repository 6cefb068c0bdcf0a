using Cairn.Files.Thumbnails;
using Cairn.Files.Tus;
using Microsoft.Extensions.DependencyInjection;

namespace Cairn.Files;

public static class FilesServices
{
    /// <summary>
    /// Record files: the blob store (an S3-compatible bucket while <c>settings.s3</c> is enabled, else <c>storage/</c> in
    /// the data folder; it follows the settings without a restart), thumbnails, view files and tus uploads.
    /// </summary>
    public static IServiceCollection AddFiles(this IServiceCollection services, CairnOptions options)
    {
        services.AddSingleton<IBlobStore>(s => new SettingsBlobStore(s.GetRequiredService<Settings.LiveSettings>(), Path.Combine(options.DataDir, "storage")));
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
