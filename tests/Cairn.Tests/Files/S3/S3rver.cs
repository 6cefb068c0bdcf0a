using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Cairn.Files.S3;

namespace Cairn.Tests.Files.S3;

/// <summary>
/// s3rver (npm, tests/s3rver; scripts/test.sh installs it) on a free loopback port with a temporary folder, for the
/// tests of one class; each test takes a bucket of its own from <see cref="NewBucketAsync"/>. A missing install fails
/// the tests rather than skipping them.
/// </summary>
public sealed class S3rver : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cairn-s3rver-" + Guid.NewGuid().ToString("N"));
    private Process? _process;

    public string Endpoint { get; private set; } = "";

    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "tests", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
            if (File.Exists(script)) return script;
        }
        throw new InvalidOperationException("s3rver is not installed: run `npm ci` in tests/s3rver (scripts/test.sh does).");
    }

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        var port = Loopback.FreePort();
        _process = Process.Start(new ProcessStartInfo("node", [Script(), "-d", _folder, "-a", "127.0.0.1", "-p", port.ToString(), "-s"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Endpoint = $"http://127.0.0.1:{port}";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }


    /// <summary>s3rver accepts any well-formed signature made with its fixed key pair.</summary>
    public S3Options Options(string bucket, int partSize = 5 * 1024 * 1024) =>
        new() { Endpoint = Endpoint, Bucket = bucket, AccessKey = "S3RVER", SecretKey = "S3RVER", PartSize = partSize };

    public async Task<S3Options> NewBucketAsync(int partSize = 5 * 1024 * 1024)
    {
        var bucket = "cairn-" + Guid.NewGuid().ToString("N")[..20];
        using var client = Client();
        await client.PutBucketAsync(bucket);
        return Options(bucket, partSize);
    }

    /// <summary>A plain client, to look at the bucket from outside the store.</summary>
    public AmazonS3Client Client() => new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
    {
        ServiceURL = Endpoint, ForcePathStyle = true,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit(5000);
        _process?.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
