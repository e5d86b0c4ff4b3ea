namespace RtrCache.Payload.Verification;

/// <summary>
/// Prefix lookups over the VRPs of a <see cref="PayloadSet"/>: the VRPs whose prefix covers a given prefix
/// (route origin validation, RFC 6811 §2), the VRPs inside it, and the VRPs with exactly that prefix.
/// </summary>
/// <remarks>
/// <para>No extra index is built for this: each family's VRPs are already sorted by network address first
/// (<see cref="Vrp.CompareTo"/>), and every VRP that covers a prefix P of length L has as its address one of
/// P's truncations to lengths 0..L. There are at most L + 1 distinct truncations (one more per 1-bit of P), so a
/// covering lookup is at most 33 (IPv4) or 129 (IPv6) binary searches over the sorted array: a few microseconds
/// for the ~790,000 VRPs of the global table, with no memory beyond the set itself and nothing to rebuild when a
/// new snapshot is published. The VRPs inside P are one contiguous address range of the same array.</para>
/// <para>Every method returns VRPs in the set's natural order (IPv4 before IPv6, then address, max length,
/// prefix length, ASN), so results are stable across calls and pages.</para>
/// </remarks>
public static class VrpSearch
{
    /// <summary>
    /// The VRPs whose prefix covers <paramref name="prefix"/>: same family, prefix length ≤ its length, and equal
    /// in the first (VRP prefix length) bits. These are the "candidate" VRPs of RFC 6811 §2, whatever their
    /// max length or ASN.
    /// </summary>
    public static List<Vrp> Covering(PayloadSet set, IpPrefix prefix)
    {
        ArgumentNullException.ThrowIfNull(set);
        var vrps = prefix.IsIPv6 ? set.V6 : set.V4;
        var result = new List<Vrp>();
        int bits = prefix.FamilyBits;
        UInt128 previous = UInt128.Zero;
        for (int length = 0; length <= prefix.Length; length++)
        {
            UInt128 start = Truncate(prefix.AddressBits, length, bits);
            // Truncations only grow with the length; an equal one was searched already.
            if (length > 0 && start == previous) continue;
            previous = start;
            for (int i = LowerBound(vrps, start); i < vrps.Length && vrps[i].AddressBits == start; i++)
            {
                var v = vrps[i];
                // All VRPs starting at this address are visited once (the next distinct truncation is a larger
                // address); one of them covers P when its own length does not exceed P's and P agrees with it.
                if (v.PrefixLength <= prefix.Length && Truncate(prefix.AddressBits, v.PrefixLength, bits) == start)
                    result.Add(v);
            }
        }
        return result;
    }

    /// <summary>
    /// The VRPs whose prefix lies inside <paramref name="prefix"/> (equal or more specific, same family), in
    /// natural order. Enumerated lazily so that a caller paging through a large block stops early.
    /// </summary>
    public static IEnumerable<Vrp> Covered(PayloadSet set, IpPrefix prefix)
    {
        ArgumentNullException.ThrowIfNull(set);
        return CoveredIterator(set, prefix);
    }

    private static IEnumerable<Vrp> CoveredIterator(PayloadSet set, IpPrefix prefix)
    {
        bool v6 = prefix.IsIPv6;
        UInt128 start = prefix.AddressBits;
        UInt128 end = start | HostMask(prefix.Length, prefix.FamilyBits);
        int count = v6 ? set.V6Count : set.V4Count;
        for (int i = LowerBound(v6 ? set.V6 : set.V4, start); i < count; i++)
        {
            var v = v6 ? set.V6[i] : set.V4[i];
            if (v.AddressBits > end) yield break;
            // Inside the address range, only VRPs at P's own address can be shorter than P (and so not inside it).
            if (v.PrefixLength >= prefix.Length) yield return v;
        }
    }

    /// <summary>The VRPs whose prefix is exactly <paramref name="prefix"/> (any max length, any ASN).</summary>
    public static List<Vrp> Exact(PayloadSet set, IpPrefix prefix)
    {
        ArgumentNullException.ThrowIfNull(set);
        var vrps = prefix.IsIPv6 ? set.V6 : set.V4;
        var result = new List<Vrp>();
        for (int i = LowerBound(vrps, prefix.AddressBits); i < vrps.Length && vrps[i].AddressBits == prefix.AddressBits; i++)
            if (vrps[i].PrefixLength == prefix.Length) result.Add(vrps[i]);
        return result;
    }

    /// <summary>Index of the first VRP whose address is ≥ <paramref name="address"/> (the array length if none).</summary>
    private static int LowerBound(ReadOnlySpan<Vrp> vrps, UInt128 address)
    {
        int lo = 0, hi = vrps.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (vrps[mid].AddressBits < address) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>The host bits of a prefix of <paramref name="length"/> in a <paramref name="bits"/>-bit family.</summary>
    private static UInt128 HostMask(int length, int bits)
    {
        // Shifts of a UInt128 by 128 wrap to 0 in .NET, so the full-length case is handled apart.
        if (length >= bits) return UInt128.Zero;
        UInt128 all = bits == 128 ? UInt128.MaxValue : uint.MaxValue;
        return all >> length;
    }

    private static UInt128 Truncate(UInt128 address, int length, int bits) => address & ~HostMask(length, bits);
}
