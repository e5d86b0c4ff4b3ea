using System.Net;
using System.Net.Sockets;

namespace RtrCache.Interop.Peers;

/// <summary>
/// Picks a free TCP port on loopback by binding a listener to port 0 and closing it again.
/// Ports already handed out by this process are never handed out twice, which avoids the
/// obvious race between two peers of one test; another process could still grab the port
/// before the peer binds it, which is rare on a test machine.
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> Issued = [];

    /// <summary>A free port on <paramref name="address"/> (default 127.0.0.1).</summary>
    public static int Tcp(IPAddress? address = null)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var listener = new TcpListener(address ?? IPAddress.Loopback, 0);
            listener.Start();
            int port;
            try
            {
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            finally
            {
                listener.Stop();
            }

            lock (Issued)
            {
                if (Issued.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("No free TCP port found in 50 attempts");
    }
}
