using RtrCache.Payload;

namespace RtrCache.Rtr.Protocol;

/// <summary>
/// One decoded PDU. A single value type for every PDU kind keeps the read loop free of allocations for the
/// queries a cache receives (Serial Query, Reset Query); only the variable-length kinds a router receives
/// (Router Key, ASPA, Error Report) carry arrays.
/// </summary>
public readonly struct RtrPdu
{
    public byte Version { get; init; }
    public PduType Type { get; init; }

    /// <summary>Header bytes 2–3: Session ID, Error Code, zero, or (byte 2) flags, depending on the type.</summary>
    public ushort HeaderField { get; init; }

    public int Length { get; init; }

    public SessionId SessionId => new(HeaderField);
    public ErrorCode ErrorCode => (ErrorCode)HeaderField;

    /// <summary>Serial of Serial Notify, Serial Query and End of Data.</summary>
    public Serial Serial { get; init; }

    /// <summary>Timers of a v1/v2 End of Data; null for v0 and other PDUs.</summary>
    public RtrTimers? Timers { get; init; }

    /// <summary>Flag bit 0 of Prefix, Router Key and ASPA PDUs: true = announce, false = withdraw.</summary>
    public bool Announce { get; init; }

    /// <summary>The VRP of an IPv4/IPv6 Prefix PDU.</summary>
    public Vrp Vrp { get; init; }

    public RouterKey? RouterKey { get; init; }

    public uint AspaCustomer { get; init; }

    /// <summary>Providers of an ASPA announcement (empty for a withdrawal).</summary>
    public uint[]? AspaProviders { get; init; }

    /// <summary>The PDU an Error Report encapsulates (may be empty).</summary>
    public byte[]? EncapsulatedPdu { get; init; }

    public string? ErrorText { get; init; }

    public override string ToString() => Type switch
    {
        PduType.SerialNotify or PduType.SerialQuery => $"v{Version} {Type} session {SessionId} serial {Serial}",
        PduType.CacheResponse => $"v{Version} {Type} session {SessionId}",
        PduType.EndOfData => $"v{Version} {Type} session {SessionId} serial {Serial} {Timers}",
        PduType.Ipv4Prefix or PduType.Ipv6Prefix => $"v{Version} {(Announce ? "+" : "-")}{Vrp}",
        PduType.RouterKey => $"v{Version} {(Announce ? "+" : "-")}{RouterKey}",
        PduType.Aspa => $"v{Version} {(Announce ? "+" : "-")}ASPA AS{AspaCustomer} [{string.Join(",", AspaProviders ?? [])}]",
        PduType.ErrorReport => $"v{Version} {Type} {ErrorCode} \"{ErrorText}\" ({EncapsulatedPdu?.Length ?? 0}-byte PDU)",
        _ => $"v{Version} {Type}",
    };
}
