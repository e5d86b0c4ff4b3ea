namespace RtrCache.Rpki.Objects;

/// <summary>What a repository file is, by its extension and (for certificates) its content.</summary>
public enum RpkiObjectType
{
    /// <summary>An extension the RPKI does not define (or none): recognised as "not ours", ignored.</summary>
    Unknown,
    TrustAnchorLocator,
    /// <summary>A CA or trust anchor certificate (.cer).</summary>
    Certificate,
    /// <summary>A BGPsec router certificate (.cer with the id-kp-bgpsec-router EKU).</summary>
    RouterCertificate,
    Crl,
    Manifest,
    Roa,
    Aspa,
    Ghostbusters,
    TrustAnchorKey,
    SignedPrefixList,
    SignedChecklist,
}

/// <summary>Base of every decoded repository object. All objects are immutable.</summary>
public abstract class RpkiObject
{
    public abstract RpkiObjectType Type { get; }

    /// <summary>
    /// The time-window check the object's own fields allow: null when it is current at <paramref name="now"/>,
    /// otherwise the reason (not yet valid, expired, stale).
    /// </summary>
    public abstract string? CheckValidityAt(DateTimeOffset now);

    /// <summary>The earliest time at which this object stops being usable (null when it has no expiry).</summary>
    public abstract DateTimeOffset? ExpiresAt { get; }

    internal static string? CheckWindow(string what, DateTimeOffset from, DateTimeOffset until, DateTimeOffset now, string late = "expired at")
    {
        if (now < from) return $"{what} not valid before {FormatTime(from)}";
        if (now > until) return $"{what} {late} {FormatTime(until)}";
        return null;
    }

    /// <summary>UTC time as <c>yyyy-MM-ddTHH:mm:ssZ</c>.</summary>
    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
