using System.Net;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Rtr.Server;

/// <summary>Settings of the RTR listener that apply to every session.</summary>
public sealed class RtrServerOptions
{
    /// <summary>Highest protocol version offered; a router asking for more gets Error 4 naming this one.</summary>
    public byte MaxVersion { get; set; } = RtrVersion.Max;

    /// <summary>Total concurrent sessions; further connections are refused. 0 = no limit.</summary>
    public int MaxConnections { get; set; }

    /// <summary>Concurrent sessions from one client address; further connections are refused. 0 = no limit.</summary>
    public int MaxConnectionsPerAddress { get; set; }

    /// <summary>Client prefixes allowed to connect; empty = everyone.</summary>
    public IReadOnlyList<IpPrefix> Allow { get; set; } = [];

    /// <summary>
    /// Least time between two Serial Notify PDUs on one session (8210bis §10: at most one per minute). Lower
    /// only for tests.
    /// </summary>
    public TimeSpan NotifyInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a started but unfinished PDU may sit in the buffer before the session is dropped.</summary>
    public TimeSpan PartialPduTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the router may leave our writes unread before the session is dropped.</summary>
    public TimeSpan WriteStallTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>True when <paramref name="address"/> passes the allow-list.</summary>
    public bool IsAllowed(IPAddress address)
    {
        if (Allow.Count == 0) return true;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out int n)) return false;
        UInt128 bits = n == 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b) : System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(b);
        var host = new IpPrefix(n == 16, bits, (byte)(n * 8));
        foreach (var p in Allow)
            if (p.Covers(host)) return true;
        return false;
    }
}
