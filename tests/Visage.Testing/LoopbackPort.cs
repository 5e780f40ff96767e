using System.Net;
using System.Net.Sockets;

namespace Visage.Testing;

/// <summary>A TCP port free on 127.0.0.1 right now, for a server a test or bench starts (it may be taken again before the
/// server binds it: callers that can, retry).</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
