using System.Net;
using RtrCache.Payload;

namespace RtrCache.Rtr.Server;

/// <summary>
/// The visible state of one router connection, for logs, metrics and the status API. Written only by its own
/// session; readers see a consistent-enough view without locks.
/// </summary>
public sealed class RtrSessionInfo
{
    public RtrSessionInfo(string id, IPEndPoint? remote, DateTimeOffset connectedAt)
    {
        Id = id;
        Remote = remote;
        ConnectedAt = connectedAt;
    }

    public string Id { get; }
    public IPEndPoint? Remote { get; }
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>Negotiated version, null until the first query was accepted.</summary>
    public byte? Version { get; internal set; }

    /// <summary>Serial of the last End of Data sent, null before the first.</summary>
    public Serial? Serial { get; internal set; }

    public DateTimeOffset? LastQueryAt { get; internal set; }

    public override string ToString() => $"#{Id} {Remote}";
}
