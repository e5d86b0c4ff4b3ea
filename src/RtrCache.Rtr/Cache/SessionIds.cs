using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Rtr.Cache;

/// <summary>
/// One Session ID per protocol version. 8210bis says a cache should not reuse a Session ID across versions
/// (routers treat them as different sessions anyway), and StayRTR and Routinator keep them apart too.
/// </summary>
public sealed record SessionIds(SessionId V0, SessionId V1, SessionId V2)
{
    /// <summary>Three distinct random IDs, for a start without persisted state.</summary>
    public static SessionIds NewRandom()
    {
        var v0 = SessionId.NewRandom();
        var v1 = new SessionId(unchecked((ushort)(v0.Value + 1 + System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 21844))));
        var v2 = new SessionId(unchecked((ushort)(v1.Value + 1 + System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 21844))));
        return new SessionIds(v0, v1, v2);
    }

    public SessionId For(byte version) => version switch
    {
        RtrVersion.V0 => V0,
        RtrVersion.V1 => V1,
        RtrVersion.V2 => V2,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "unsupported RTR version"),
    };
}
