namespace RtrCache.Rtr.Protocol;

/// <summary>RTR PDU types (IANA "rpki-rtr-pdu" registry). Type 5 was never assigned.</summary>
public enum PduType : byte
{
    SerialNotify = 0,
    SerialQuery = 1,
    ResetQuery = 2,
    CacheResponse = 3,
    Ipv4Prefix = 4,
    Ipv6Prefix = 6,
    EndOfData = 7,
    CacheReset = 8,
    RouterKey = 9,
    ErrorReport = 10,
    Aspa = 11,
}

/// <summary>
/// The protocol versions this codec speaks and which PDUs each allows. A router negotiates one version per
/// connection; every PDU of that connection then carries it, and payload the version cannot express
/// (router keys before v1, ASPA before v2) is never sent.
/// </summary>
public static class RtrVersion
{
    /// <summary>RFC 6810.</summary>
    public const byte V0 = 0;

    /// <summary>RFC 8210.</summary>
    public const byte V1 = 1;

    /// <summary>draft-ietf-sidrops-8210bis (current 12-byte-base ASPA PDU).</summary>
    public const byte V2 = 2;

    public const byte Max = V2;

    /// <summary>Length of the fixed header every PDU starts with.</summary>
    public const int HeaderLength = 8;

    /// <summary>Largest PDU allowed on the wire (8210bis §5).</summary>
    public const int MaxPduLength = 65535;

    public static bool IsSupported(byte version) => version <= Max;

    /// <summary>True when <paramref name="type"/> is a defined PDU type in <paramref name="version"/>.</summary>
    public static bool Defines(byte version, byte type) => type switch
    {
        0 or 1 or 2 or 3 or 4 or 6 or 7 or 8 or 10 => version <= Max,
        9 => version is V1 or V2,
        11 => version == V2,
        _ => false,
    };

    /// <summary>The exact length of a fixed-size PDU type in a version, or -1 when the type has a variable length.</summary>
    public static int FixedLength(byte version, PduType type) => type switch
    {
        PduType.SerialNotify or PduType.SerialQuery => 12,
        PduType.ResetQuery or PduType.CacheResponse or PduType.CacheReset => 8,
        PduType.Ipv4Prefix => 20,
        PduType.Ipv6Prefix => 32,
        PduType.EndOfData => version == V0 ? 12 : 24,
        _ => -1,
    };
}
