namespace RtrCache.Payload.Formats;

/// <summary>
/// The parts of an rpki-client JSON file that are about the file rather than the payload. Read back so that the
/// cache can tell how old its input is (StayRTR refuses files whose <c>generated</c>/<c>buildtime</c> is more
/// than 24 hours old); supplied when writing so that the file carries a build time and, optionally, the trust
/// anchor label and expiry that rpki-client puts on every entry.
/// </summary>
public sealed record RpkiClientJsonMetadata
{
    /// <summary><c>metadata.buildmachine</c>: host name of the producer; omitted when null.</summary>
    public string? BuildMachine { get; init; }

    /// <summary><c>metadata.buildtime</c>, an RFC 3339 UTC time (<c>2026-11-25T10:00:00Z</c>).</summary>
    public DateTimeOffset? BuildTime { get; init; }

    /// <summary><c>metadata.generated</c>, Unix seconds. StayRTR prefers it over <see cref="BuildTime"/>.
    /// When writing and this is null, <see cref="BuildTime"/> is written here as well.</summary>
    public DateTimeOffset? Generated { get; init; }

    /// <summary>Writer only: the <c>ta</c> label put on every ROA and router key (rpki-client writes the TAL
    /// name; the payload set does not keep it). Empty by default.</summary>
    public string TrustAnchor { get; init; } = "";

    /// <summary>Writer only: the <c>expires</c> put on every entry; omitted when null (then readers keep the
    /// entries forever).</summary>
    public DateTimeOffset? Expires { get; init; }
}
