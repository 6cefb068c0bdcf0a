using System.Net;
using System.Net.Sockets;

namespace Cairn.Tests;

/// <summary>Ports for processes a test starts itself (a server killed and restarted, s3rver, Prometheus).</summary>
internal static class Loopback
{
    /// <summary>A port nothing listens on right now (the OS picks it, so parallel tests do not collide).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
