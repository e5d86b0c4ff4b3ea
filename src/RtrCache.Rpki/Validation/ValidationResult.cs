using System.Collections.Immutable;
using RtrCache.Payload;
using RtrCache.Rpki.Objects;

namespace RtrCache.Rpki.Validation;

/// <summary>Knobs of a validation run.</summary>
public sealed record ValidatorOptions
{
    /// <summary>Maximum certificate chain depth below the TA (rpki-client: 12).</summary>
    public int MaxDepth { get; init; } = 12;

    /// <summary>Largest file read (rpki-client: 8 MB).</summary>
    public long MaxFileSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Worker threads; default: the number of cores.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Report files present in a publication point directory but not on its manifest (as ignored).</summary>
    public bool ReportUnlistedFiles { get; init; } = true;

    /// <summary>
    /// Results of unchanged publication points kept across runs (<see cref="PublicationPointCache"/>); null, the
    /// default, computes every point afresh. A long-running host passes the same instance to every run.
    /// </summary>
    public PublicationPointCache? Cache { get; init; }

    /// <summary>Counters a caller may watch while the run goes on (console progress); null for none.</summary>
    public ValidationProgress? Progress { get; init; }

    public static ValidatorOptions Default { get; } = new();
}

/// <summary>Live counts of a run in progress, updated by the workers without locks.</summary>
public sealed class ValidationProgress
{
    private int _publicationPoints;
    private long _objects;

    /// <summary>Publication points whose manifest and files were accepted so far.</summary>
    public int PublicationPoints => Volatile.Read(ref _publicationPoints);

    /// <summary>Objects read from accepted publication points so far (manifests and CRLs included).</summary>
    public long Objects => Interlocked.Read(ref _objects);

    internal void PublicationPointDone(int objects)
    {
        Interlocked.Increment(ref _publicationPoints);
        Interlocked.Add(ref _objects, objects);
    }

    public override string ToString() => $"{PublicationPoints} publication points, {Objects} objects";
}

/// <summary>An object that was not used, and why.</summary>
public sealed record RejectedObject(string Uri, string Reason)
{
    public override string ToString() => $"{Uri}: {Reason}";
}

/// <summary>A publication point whose manifest or CRL failed: none of the CA's products (nor its children) are used.</summary>
public sealed record FailedPublicationPoint(string CaUri, string ManifestUri, string Reason)
{
    public override string ToString() => $"{ManifestUri} (CA {CaUri}): {Reason}";
}

/// <summary>Counts and output of one trust anchor.</summary>
public sealed class TrustAnchorReport
{
    public required string Name { get; init; }
    /// <summary>URI of the TA certificate used, or null when none was accepted.</summary>
    public string? CertificateUri { get; init; }
    /// <summary>Why the TA was not used (null when it was).</summary>
    public string? Error { get; init; }
    /// <summary>This TA's payload (deduplicated within the TA).</summary>
    public PayloadSet Payload { get; init; } = PayloadSet.Empty;
    public int CaCount { get; init; }
    public int PublicationPointsFailed { get; init; }
    public int Rejected { get; init; }
    /// <summary>Accepted objects by type (certificates, manifests, CRLs, ROAs, ...).</summary>
    public ImmutableDictionary<RpkiObjectType, int> ObjectsByType { get; init; } = ImmutableDictionary<RpkiObjectType, int>.Empty;

    public int VrpsV4 => Payload.V4Count;
    public int VrpsV6 => Payload.V6Count;
    public int Aspas => Payload.AspaCount;
    public int RouterKeys => Payload.RouterKeyCount;

    public override string ToString()
        => Error is not null ? $"{Name}: {Error}"
           : $"{Name}: {CaCount} CAs, {VrpsV4} IPv4 + {VrpsV6} IPv6 VRPs, {Aspas} ASPAs, {RouterKeys} router keys, {Rejected} rejected, {PublicationPointsFailed} failed publication points";
}

/// <summary>The outcome of a <see cref="Validator"/> run.</summary>
public sealed class ValidationResult
{
    /// <summary>Union of all TAs' payloads.</summary>
    public required PayloadSet Payload { get; init; }
    public required ImmutableArray<TrustAnchorReport> TrustAnchors { get; init; }
    public required ImmutableArray<RejectedObject> Rejected { get; init; }
    public required ImmutableArray<FailedPublicationPoint> FailedPublicationPoints { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required DateTimeOffset Now { get; init; }
    /// <summary>Earliest expiry (notAfter / nextUpdate) among the objects used; null when nothing was used.</summary>
    public DateTimeOffset? EarliestExpiry { get; init; }

    public int ObjectCount(RpkiObjectType type) => TrustAnchors.Sum(t => t.ObjectsByType.GetValueOrDefault(type));
}
