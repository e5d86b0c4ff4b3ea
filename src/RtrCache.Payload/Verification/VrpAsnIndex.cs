using System.Runtime.CompilerServices;

namespace RtrCache.Payload.Verification;

/// <summary>
/// The VRPs of one <see cref="PayloadSet"/> by origin AS. The set is sorted by prefix, so "all VRPs of AS X"
/// would otherwise be a scan of every VRP (~790,000 for the global table) per query; this index is built once
/// per set (one sort of 8-byte keys, ~6 MB for the global table) and answers with a binary search.
/// </summary>
/// <remarks>Immutable once built, like the set it indexes; readers need no locks.</remarks>
public sealed class VrpAsnIndex
{
    /// <summary>(ASN &lt;&lt; 32) | position, sorted; position counts IPv4 VRPs first, then IPv6 VRPs.</summary>
    private readonly ulong[] _keys;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per set over ~790,000 VRPs: skip tier-0 code
    public VrpAsnIndex(PayloadSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        Set = set;
        var v4 = set.V4;
        var v6 = set.V6;
        _keys = new ulong[v4.Length + v6.Length];
        for (int i = 0; i < v4.Length; i++) _keys[i] = ((ulong)v4[i].Asn << 32) | (uint)i;
        for (int i = 0; i < v6.Length; i++) _keys[v4.Length + i] = ((ulong)v6[i].Asn << 32) | (uint)(v4.Length + i);
        // Positions break ties, so each AS's VRPs come out in the set's natural order.
        Array.Sort(_keys);
    }

    /// <summary>The set this index was built from.</summary>
    public PayloadSet Set { get; }

    /// <summary>How many VRPs have origin <paramref name="asn"/>.</summary>
    public int Count(uint asn)
    {
        int first = FirstAtOrAbove(asn);
        return asn == uint.MaxValue ? _keys.Length - first : FirstAtOrAbove(asn + 1) - first;
    }

    /// <summary>The VRPs with origin <paramref name="asn"/>, in the set's natural order.</summary>
    public IEnumerable<Vrp> Find(uint asn)
    {
        int first = FirstAtOrAbove(asn);
        for (int i = first; i < _keys.Length && (uint)(_keys[i] >> 32) == asn; i++)
        {
            int position = (int)(uint)_keys[i];
            yield return position < Set.V4Count ? Set.V4[position] : Set.V6[position - Set.V4Count];
        }
    }

    /// <summary>Index of the first key whose ASN is ≥ <paramref name="asn"/>.</summary>
    private int FirstAtOrAbove(uint asn)
    {
        int lo = 0, hi = _keys.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if ((uint)(_keys[mid] >> 32) < asn) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
