using System.Diagnostics.CodeAnalysis;

namespace RtrCache.Payload.Formats;

/// <summary>
/// The outcome of reading one rpki-client JSON file: either a complete payload set with counts, or an error
/// that names the offending entry. A file is used whole or not at all, so there is never a partial set; the
/// counts exist for logs and metrics (how much was read, how much was dropped as expired).
/// </summary>
public sealed class RpkiClientJsonResult
{
    internal RpkiClientJsonResult(PayloadSet? set, string? error)
    {
        Set = set;
        Error = error;
    }

    internal static RpkiClientJsonResult Failed(string error) => new(null, error);

    /// <summary>The payload (expired entries removed, ASPAs merged per customer); null when <see cref="Error"/> is set.</summary>
    public PayloadSet? Set { get; }

    /// <summary>Why the file was rejected, e.g. <c>roas[1234]: max length 20 outside 24..32 for 192.0.2.0/24</c>.</summary>
    public string? Error { get; }

    [MemberNotNullWhen(true, nameof(Set))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Set is not null;

    /// <summary>Entries in <c>roas</c>, expired ones included.</summary>
    public int RoasRead { get; internal init; }

    /// <summary>Entries in <c>aspas</c>, expired ones included (several may be for one customer).</summary>
    public int AspasRead { get; internal init; }

    /// <summary>Entries in <c>bgpsec_keys</c>, expired ones included.</summary>
    public int RouterKeysRead { get; internal init; }

    /// <summary>
    /// The earliest <c>expires</c> among the entries kept: when this time passes the file must be read again
    /// (even if unchanged) so the expired entries leave the served set. Null when no kept entry expires.
    /// </summary>
    public DateTimeOffset? NextExpiry { get; internal init; }

    public int RoasExpired { get; internal init; }
    public int AspasExpired { get; internal init; }
    public int RouterKeysExpired { get; internal init; }

    /// <summary>All entries dropped because their <c>expires</c> lay before the given time.</summary>
    public int ExpiredDropped => RoasExpired + AspasExpired + RouterKeysExpired;

    /// <summary><c>metadata.buildmachine</c>, <c>buildtime</c> and <c>generated</c> as found (null when absent
    /// or not readable as a time).</summary>
    public RpkiClientJsonMetadata Metadata { get; internal init; } = new();

    public override string ToString()
        => Success
            ? $"{Set}; read {RoasRead} ROAs, {AspasRead} ASPAs, {RouterKeysRead} router keys; {ExpiredDropped} expired"
            : Error;
}
