using System.Net;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Rtr.Server;

/// <summary>Why a connection was turned away before a session started.</summary>
public enum RefusalReason
{
    NotAllowed,
    TooManyConnections,
    TooManyFromAddress,
}

/// <summary>
/// What the RTR server reports about itself. The server knows nothing of the metrics library; the host turns
/// these calls into Prometheus counters. Calls come from many sessions at once and must be cheap.
/// </summary>
public interface IRtrObserver
{
    void ConnectionRefused(IPAddress? address, RefusalReason reason) { }
    void SessionStarted(RtrSessionInfo session) { }
    void SessionNegotiated(RtrSessionInfo session) { }
    void SessionEnded(RtrSessionInfo session, string reason) { }
    void QueryReceived(byte version, PduType type) { }
    void ResponseSent(byte version, bool full, int pdus, long bytes, TimeSpan elapsed) { }
    void CacheResetSent(byte version) { }
    void SerialNotifySent(byte version) { }

    /// <summary>A Serial Notify was written <paramref name="sincePublished"/> after its serial was published (the notify fan-out time, including any --notify-interval wait).</summary>
    void SerialNotifySent(byte version, TimeSpan sincePublished) => SerialNotifySent(version);
    void ErrorReportSent(byte version, ErrorCode code) { }
    void ErrorReportReceived(byte version, ErrorCode code) { }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullRtrObserver : IRtrObserver
{
    public static NullRtrObserver Instance { get; } = new();
}
