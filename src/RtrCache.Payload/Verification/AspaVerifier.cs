using System.Collections.Immutable;
using System.Globalization;

namespace RtrCache.Payload.Verification;

/// <summary>Which procedure of draft-ietf-sidrops-aspa-verification §5.5/§5.6 applies.</summary>
public enum AspaDirection
{
    /// <summary>Route received from a customer, a lateral peer, or as a route server / RS client (§5.5).</summary>
    Upstream,

    /// <summary>Route received from a provider (§5.6).</summary>
    Downstream,
}

/// <summary>The verification outcome of an AS_PATH.</summary>
public enum AspaVerdict
{
    Valid,
    Invalid,
    Unknown,
}

/// <summary>The provider authorization function <c>authorized(x, y)</c> ("is y an attested provider of x?").</summary>
public enum AspaHopCheck
{
    /// <summary>x has an ASPA and it lists y (a provider or non-transparent route server).</summary>
    ProviderPlus,

    /// <summary>x has an ASPA and it does not list y.</summary>
    NotProviderPlus,

    /// <summary>x has no ASPA.</summary>
    NoAttestation,
}

/// <summary>Which rule produced the verdict.</summary>
public enum AspaReason
{
    /// <summary>Valid: every hop the procedure needs is attested (or the path has one AS).</summary>
    Attested,

    /// <summary>Invalid: the AS_PATH holds no AS (procedure step 1).</summary>
    EmptyPath,

    /// <summary>Invalid: the most recent AS is not the neighbor AS the caller gave (step 2).</summary>
    NeighborMismatch,

    /// <summary>Invalid: the AS_PATH contains an AS_SET (step 3; RFC 9774).</summary>
    AsSet,

    /// <summary>Invalid: the ramps are provably too short: some AS attested providers that do not include the next AS (step 4).</summary>
    NotProviderPlus,

    /// <summary>Unknown: the path would be valid or invalid depending on ASes that publish no ASPA (step 5).</summary>
    NoAttestation,
}

/// <summary>
/// One evaluated pair of adjacent ASes of the compressed path: <c>authorized(Customer, Provider)</c>.
/// </summary>
/// <param name="Index">
/// The 1-based position of <paramref name="Customer"/> in the compressed path counted from the origin, the
/// spec's <c>i</c> of <c>A(i)</c>: the origin is 1, the neighbor is N.
/// </param>
/// <param name="Customer">The AS whose ASPA is consulted.</param>
/// <param name="Provider">The adjacent AS that must be among its providers.</param>
/// <param name="Check">The result of the provider authorization function.</param>
/// <param name="Up">True for an up-ramp hop (A(i) → A(i+1), towards the neighbor); false for a down-ramp hop
/// (A(j) → A(j−1), towards the origin; downstream only).</param>
public sealed record AspaHop(int Index, uint Customer, uint Provider, AspaHopCheck Check, bool Up);

/// <summary>
/// The outcome of verifying one AS_PATH, with everything needed to explain it: the compressed path, the four ramp
/// bounds, every hop evaluated, and the hops that decided the verdict.
/// </summary>
public sealed class AspaVerificationResult
{
    internal AspaVerificationResult(AspaDirection direction, AspaVerdict verdict, AspaReason reason, string description)
    {
        Direction = direction;
        Verdict = verdict;
        Reason = reason;
        Description = description;
    }

    public AspaDirection Direction { get; }
    public AspaVerdict Verdict { get; }
    public AspaReason Reason { get; }

    /// <summary>One sentence for people, naming the deciding hop(s) by AS number.</summary>
    public string Description { get; }

    /// <summary>
    /// The COMPRESSED_AS_PATH from the origin (first) to the neighbor (last): the spec's A(1)..A(N), i.e. the
    /// reverse of the wire order with consecutive duplicates (prepends) collapsed. Empty when verification stopped
    /// before it was computed (empty path, neighbor mismatch, AS_SET).
    /// </summary>
    public ImmutableArray<uint> CompressedPath { get; internal init; } = [];

    /// <summary>N, the length of <see cref="CompressedPath"/>.</summary>
    public int N => CompressedPath.Length;

    /// <summary>The ramp bounds of §5.4 (1-based, N when no hop limits them); null when not computed. Downstream
    /// bounds are null for the upstream procedure, which takes them as 0.</summary>
    public int? MaxUpRamp { get; internal init; }
    public int? MinUpRamp { get; internal init; }
    public int? MaxDownRamp { get; internal init; }
    public int? MinDownRamp { get; internal init; }

    /// <summary>Up-ramp hops A(i) → A(i+1) for i = 1..N−1, in that order.</summary>
    public IReadOnlyList<AspaHop> UpHops { get; internal init; } = [];

    /// <summary>Down-ramp hops A(j) → A(j−1) for j = N..2, in that order (downstream only).</summary>
    public IReadOnlyList<AspaHop> DownHops { get; internal init; } = [];

    /// <summary>
    /// The hops that decided an Invalid or Unknown verdict: upstream the hop at max_up_ramp (Invalid) or
    /// min_up_ramp (Unknown); downstream the up-ramp hop and the down-ramp hop at those bounds, whose ramps do not
    /// meet. Empty for Valid and for the early Invalid steps (empty path, neighbor, AS_SET).
    /// </summary>
    public IReadOnlyList<AspaHop> DecidingHops { get; internal init; } = [];

    /// <summary>For <see cref="AspaReason.AsSet"/> and <see cref="AspaReason.NeighborMismatch"/>: the 0-based index,
    /// in <see cref="AsPath.Segments"/>, of the segment that decided it.</summary>
    public int? SegmentIndex { get; internal init; }

    public override string ToString() => $"{Verdict} ({Reason}): {Description}";
}

/// <summary>
/// ASPA-based AS_PATH verification, draft-ietf-sidrops-aspa-verification-28 §5 (the -27/-28 ramp algorithm,
/// as summarised in shared/spec/aspa-verification.md), against the ASPAs of a <see cref="PayloadSet"/>.
/// </summary>
/// <remarks>
/// <para>Input order: the path is in wire order (<see cref="AsPath"/>: neighbor first, origin last). Consecutive
/// repeats of an AS (prepending) are collapsed; non-consecutive repeats (<c>X Y X</c>) are kept, as the spec says.</para>
/// <para>Steps, as in §5.5/§5.6: (1) no AS ⇒ Invalid; (2) when a neighbor AS is given and the most recent AS differs
/// ⇒ Invalid (omit it to skip the check, e.g. for a transparent route server); (3) any AS_SET ⇒ Invalid (RFC 9774);
/// then the ramp comparison. The payload set holds one ASPA per customer, already the union of that customer's
/// provider sets (U-SPAS), which is what the authorization function reads.</para>
/// <para>AS 0 never counts as a provider: an AS 0 ASPA means "no providers", and AS 0 is never a real neighbor
/// (RFC 7607), so <c>authorized(x, 0)</c> is Not Provider+ when x has an ASPA, even the AS 0 ASPA.</para>
/// <para>Every hop is evaluated (not only up to the first Not Provider+ as in the reference pseudo-code) so that
/// the result can show the whole path; the bounds are the §5.4 definitions and do not depend on that.</para>
/// </remarks>
public static class AspaVerifier
{
    /// <summary>Verifies <paramref name="path"/> for a route received under <paramref name="direction"/>.</summary>
    /// <param name="set">The ASPAs to use (one record per customer).</param>
    /// <param name="path">The AS_PATH in wire order.</param>
    /// <param name="direction">Upstream (from a customer, peer or route server) or downstream (from a provider).</param>
    /// <param name="neighbor">The neighbor AS of the session, for the first-AS check; null skips it.</param>
    public static AspaVerificationResult Verify(PayloadSet set, AsPath path, AspaDirection direction, uint? neighbor = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(path);

        if (path.IsEmpty)
            return new(direction, AspaVerdict.Invalid, AspaReason.EmptyPath, "The AS_PATH is empty.");

        if (neighbor is uint n)
        {
            var first = path.Segments[0];
            if (first.IsSet || first.Asns[0] != n)
            {
                string found = first.IsSet ? "an AS_SET " + first : "AS" + Format(first.Asns[0]);
                return new(direction, AspaVerdict.Invalid, AspaReason.NeighborMismatch,
                    $"The most recently added AS is {found}, not the neighbor AS{Format(n)}.")
                { SegmentIndex = 0 };
            }
        }

        for (int s = 0; s < path.Segments.Length; s++)
        {
            if (path.Segments[s].IsSet)
                return new(direction, AspaVerdict.Invalid, AspaReason.AsSet,
                    $"The AS_PATH contains the AS_SET {path.Segments[s]} (RFC 9774: AS_SETs are not allowed).")
                { SegmentIndex = s };
        }

        var a = Compress(path);
        int count = a.Length;

        // Up-ramp hops, pair (A(i) → A(i+1)) for i = 1..N-1 (0-based k = i - 1).
        var up = new AspaHop[count - 1];
        int maxUp = count, minUp = count;
        for (int k = 0; k < count - 1; k++)
        {
            var check = Authorized(set, a[k], a[k + 1]);
            up[k] = new AspaHop(k + 1, a[k], a[k + 1], check, Up: true);
            if (check != AspaHopCheck.ProviderPlus && minUp == count) minUp = k + 1;
            if (check == AspaHopCheck.NotProviderPlus && maxUp == count) maxUp = k + 1;
        }

        if (direction == AspaDirection.Upstream)
        {
            // §5.5 with the down-ramp taken as 0: max_up_ramp < N ⇒ Invalid, min_up_ramp < N ⇒ Unknown.
            if (maxUp < count)
            {
                var hop = up[maxUp - 1];
                return new(direction, AspaVerdict.Invalid, AspaReason.NotProviderPlus,
                    $"AS{Format(hop.Customer)} attests providers that do not include AS{Format(hop.Provider)}, so the route did not only travel upwards from the origin (AS{Format(hop.Customer)} is AS {hop.Index} of {count} on the path, counted from the origin).")
                {
                    CompressedPath = a, MaxUpRamp = maxUp, MinUpRamp = minUp, UpHops = up, DecidingHops = [hop],
                };
            }
            if (minUp < count)
            {
                var hop = up[minUp - 1];
                return new(direction, AspaVerdict.Unknown, AspaReason.NoAttestation,
                    $"AS{Format(hop.Customer)} publishes no ASPA, so whether AS{Format(hop.Provider)} is its provider cannot be checked (AS{Format(hop.Customer)} is AS {hop.Index} of {count} on the path, counted from the origin).")
                {
                    CompressedPath = a, MaxUpRamp = maxUp, MinUpRamp = minUp, UpHops = up, DecidingHops = [hop],
                };
            }
            return new(direction, AspaVerdict.Valid, AspaReason.Attested,
                count == 1 ? "The path has a single AS." : "Every AS on the path attests the next AS as its provider.")
            {
                CompressedPath = a, MaxUpRamp = maxUp, MinUpRamp = minUp, UpHops = up,
            };
        }

        // Down-ramp hops, pair (A(j) → A(j-1)) for j = N..2 (0-based k = j - 1). The bounds are N - j + 1 for the
        // largest such j, i.e. the first one met walking from the neighbor end.
        var down = new AspaHop[count - 1];
        int maxDown = count, minDown = count;
        for (int k = count - 1; k >= 1; k--)
        {
            var check = Authorized(set, a[k], a[k - 1]);
            int j = k + 1;
            down[count - 1 - k] = new AspaHop(j, a[k], a[k - 1], check, Up: false);
            if (check != AspaHopCheck.ProviderPlus && minDown == count) minDown = count - j + 1;
            if (check == AspaHopCheck.NotProviderPlus && maxDown == count) maxDown = count - j + 1;
        }

        AspaHop UpAt(int bound) => up[bound - 1];
        AspaHop DownAt(int bound) => down[bound - 1]; // bound = N - j + 1 ⇒ j = N - bound + 1 ⇒ entry bound - 1

        if (maxUp + maxDown < count)
        {
            // Both bounds are below N here (each is at least 1), so both hops exist.
            var u = UpAt(maxUp);
            var d = DownAt(maxDown);
            return new(direction, AspaVerdict.Invalid, AspaReason.NotProviderPlus,
                $"The up-ramp from the origin ends at AS{Format(u.Customer)} (AS{Format(u.Provider)} is not among its attested providers) and the down-ramp from the neighbor ends at AS{Format(d.Customer)} (AS{Format(d.Provider)} is not among its attested providers); the ramps ({maxUp} + {maxDown} hops) cannot cover the {count} ASes, so the path has a valley or a leak.")
            {
                CompressedPath = a, MaxUpRamp = maxUp, MinUpRamp = minUp, MaxDownRamp = maxDown, MinDownRamp = minDown,
                UpHops = up, DownHops = down, DecidingHops = [u, d],
            };
        }
        if (minUp + minDown < count)
        {
            var u = UpAt(minUp);
            var d = DownAt(minDown);
            return new(direction, AspaVerdict.Unknown, AspaReason.NoAttestation,
                $"The attested ramps meet only if unattested hops are good: up-ramp hop AS{Format(u.Customer)} → AS{Format(u.Provider)} is {Describe(u.Check)}, down-ramp hop AS{Format(d.Customer)} → AS{Format(d.Provider)} is {Describe(d.Check)} ({minUp} + {minDown} attested hops for {count} ASes).")
            {
                CompressedPath = a, MaxUpRamp = maxUp, MinUpRamp = minUp, MaxDownRamp = maxDown, MinDownRamp = minDown,
                UpHops = up, DownHops = down, DecidingHops = [u, d],
            };
        }
        return new(direction, AspaVerdict.Valid, AspaReason.Attested,
            count == 1 ? "The path has a single AS." : $"The attested up-ramp ({minUp}) and down-ramp ({minDown}) cover all {count} ASes.")
        {
            CompressedPath = a, MaxUpRamp = maxUp, MinUpRamp = minUp, MaxDownRamp = maxDown, MinDownRamp = minDown,
            UpHops = up, DownHops = down,
        };
    }

    /// <summary>The provider authorization function of §5.3 over the set's ASPAs.</summary>
    public static AspaHopCheck Authorized(PayloadSet set, uint customer, uint provider)
    {
        ArgumentNullException.ThrowIfNull(set);
        var aspa = set.FindAspa(customer);
        if (aspa is null) return AspaHopCheck.NoAttestation;
        // AS 0 is never a provider (see the type remarks); otherwise a binary search of the sorted provider list.
        return provider != 0 && aspa.Providers.AsSpan().BinarySearch(provider) >= 0
            ? AspaHopCheck.ProviderPlus
            : AspaHopCheck.NotProviderPlus;
    }

    /// <summary>COMPRESSED_AS_PATH from the origin: the wire order reversed, consecutive duplicates collapsed.</summary>
    private static ImmutableArray<uint> Compress(AsPath path)
    {
        var wire = new List<uint>(path.AsnCount);
        foreach (var segment in path.Segments)
            foreach (uint asn in segment.Asns)
                if (wire.Count == 0 || wire[^1] != asn) wire.Add(asn);
        wire.Reverse();
        return [.. wire];
    }

    private static string Describe(AspaHopCheck check) => check switch
    {
        AspaHopCheck.ProviderPlus => "Provider+",
        AspaHopCheck.NotProviderPlus => "Not Provider+",
        _ => "No Attestation",
    };

    private static string Format(uint asn) => asn.ToString(CultureInfo.InvariantCulture);
}
