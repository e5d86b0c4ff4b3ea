namespace RtrCache.Rtr.Protocol;

/// <summary>Why a PDU could not be decoded; each kind maps to one Error Report code.</summary>
public enum PduErrorKind
{
    /// <summary>Version byte not 0, 1 or 2 → Unsupported Protocol Version (4).</summary>
    UnsupportedVersion,

    /// <summary>Type unknown, or not defined in the PDU's version → Unsupported PDU Type (5).</summary>
    UnsupportedPduType,

    /// <summary>Length field wrong for the type, below 8, or above 65,535 → Corrupt Data (0).</summary>
    InvalidLength,

    /// <summary>A field holds an impossible value (prefix length, host bits, inner lengths, UTF-8) → Corrupt Data (0).</summary>
    InvalidField,

    /// <summary>ASPA announcement with no, unsorted, duplicate or AS0-mixed providers → ASPA Provider List Error (9, v2).</summary>
    AspaProviderList,
}

/// <summary>
/// A typed decoding failure, holding what is needed to answer it: the Error Report code for the session's
/// version and the offending bytes to encapsulate (at most the declared PDU, at least what was read of its
/// header).
/// </summary>
public sealed class PduDecodeError
{
    public PduDecodeError(PduErrorKind kind, string message, byte[] offendingPdu)
    {
        Kind = kind;
        Message = message;
        OffendingPdu = offendingPdu;
    }

    public PduErrorKind Kind { get; }
    public string Message { get; }
    public byte[] OffendingPdu { get; }

    /// <summary>The Error Report code for this failure in a session of <paramref name="sessionVersion"/>.</summary>
    public ErrorCode ToErrorCode(byte sessionVersion) => ErrorCodes.ForVersion(Kind switch
    {
        PduErrorKind.UnsupportedVersion => ErrorCode.UnsupportedProtocolVersion,
        PduErrorKind.UnsupportedPduType => ErrorCode.UnsupportedPduType,
        PduErrorKind.AspaProviderList => ErrorCode.AspaProviderListError,
        _ => ErrorCode.CorruptData,
    }, sessionVersion);

    public override string ToString() => $"{Kind}: {Message}";
}
