namespace RtrCache.Rtr.Protocol;

/// <summary>RTR Error Report codes. Codes 8 and up do not exist in every version; see <see cref="ErrorCodes"/>.</summary>
public enum ErrorCode : ushort
{
    CorruptData = 0,
    InternalError = 1,
    NoDataAvailable = 2,
    InvalidRequest = 3,
    UnsupportedProtocolVersion = 4,
    UnsupportedPduType = 5,
    WithdrawalOfUnknownRecord = 6,
    DuplicateAnnouncementReceived = 7,
    /// <summary>RFC 8210 and later.</summary>
    UnexpectedProtocolVersion = 8,
    /// <summary>v2 only.</summary>
    AspaProviderListError = 9,
    /// <summary>v2 only.</summary>
    TransportFailure = 10,
    /// <summary>v2 only.</summary>
    OrderingError = 11,
    /// <summary>v2 only.</summary>
    CacheRestart = 12,
    /// <summary>v2 only.</summary>
    CacheShutdown = 13,
}

/// <summary>
/// Which error codes a version defines. A router that receives a code its version does not know drops the
/// session, so a cache must fall back to a code the session understands.
/// </summary>
public static class ErrorCodes
{
    /// <summary>Highest code defined in <paramref name="version"/>: 7 for v0, 8 for v1, 13 for v2.</summary>
    public static ErrorCode HighestFor(byte version) => version switch
    {
        0 => ErrorCode.DuplicateAnnouncementReceived,
        1 => ErrorCode.UnexpectedProtocolVersion,
        _ => ErrorCode.CacheShutdown,
    };

    public static bool IsDefinedIn(ErrorCode code, byte version) => code <= HighestFor(version);

    /// <summary>
    /// The code to send to a session of <paramref name="version"/>: <paramref name="code"/> when defined there,
    /// otherwise Corrupt Data (the catch-all every version has).
    /// </summary>
    public static ErrorCode ForVersion(ErrorCode code, byte version)
        => IsDefinedIn(code, version) ? code : ErrorCode.CorruptData;

    /// <summary>Errors after which the session is dropped and the router flushes the cache's data.</summary>
    public static bool IsFatal(ErrorCode code)
        => code is not (ErrorCode.NoDataAvailable or ErrorCode.UnsupportedProtocolVersion or ErrorCode.CacheRestart);
}
