using System.Collections.Immutable;

namespace RtrCache.Rpki.Resources;

/// <summary>
/// The AS resources of a certificate (RFC 3779 §3): either <c>inherit</c> (the issuer's set) or an explicit list of
/// ranges, kept sorted, disjoint and non-adjacent so containment is a binary search or a linear merge.
/// </summary>
public sealed class AsResourceSet : IEquatable<AsResourceSet>
{
    /// <summary>The <c>inherit</c> choice.</summary>
    public static AsResourceSet Inherit { get; } = new(true, []);

    /// <summary>No AS resources.</summary>
    public static AsResourceSet Empty { get; } = new(false, []);

    private AsResourceSet(bool inherit, ImmutableArray<AsRange> ranges)
    {
        IsInherit = inherit;
        Ranges = ranges;
    }

    public bool IsInherit { get; }

    /// <summary>Sorted, disjoint, non-adjacent ranges; empty when <see cref="IsInherit"/>.</summary>
    public ImmutableArray<AsRange> Ranges { get; }

    /// <summary>Number of entries (single ASNs and ranges).</summary>
    public int Count => Ranges.Length;

    public bool IsEmpty => !IsInherit && Ranges.IsEmpty;

    /// <summary>Total number of AS numbers covered.</summary>
    public long AsnCount
    {
        get
        {
            long n = 0;
            foreach (var r in Ranges) n += r.Count;
            return n;
        }
    }

    /// <summary>Builds a set from any ranges: sorts them and merges overlapping and adjacent ones.</summary>
    public static AsResourceSet Create(IEnumerable<AsRange> ranges)
    {
        var sorted = ranges.ToList();
        sorted.Sort();
        var merged = ImmutableArray.CreateBuilder<AsRange>(sorted.Count);
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && (ulong)r.Min <= (ulong)merged[^1].Max + 1)
            {
                if (r.Max > merged[^1].Max) merged[^1] = new AsRange(merged[^1].Min, r.Max);
            }
            else
            {
                merged.Add(r);
            }
        }
        return new AsResourceSet(false, merged.ToImmutable());
    }

    public static AsResourceSet Create(params uint[] asns) => Create(asns.Select(AsRange.Single));

    /// <summary>Wraps ranges the decoder already proved canonical.</summary>
    internal static AsResourceSet FromCanonical(ImmutableArray<AsRange> ranges) => new(false, ranges);

    /// <summary>The effective set: the issuer's when this is <c>inherit</c>, else this.</summary>
    public AsResourceSet ResolveInherit(AsResourceSet issuerEffective) => IsInherit ? issuerEffective : this;

    /// <summary>True when <paramref name="asn"/> is in the set. The set must not be <c>inherit</c> (resolve it first).</summary>
    public bool ContainsAsn(uint asn)
    {
        ThrowIfInherit();
        var r = Ranges.AsSpan();
        int lo = 0, hi = r.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (r[mid].Max < asn) lo = mid + 1;
            else if (r[mid].Min > asn) hi = mid - 1;
            else return true;
        }
        return false;
    }

    /// <summary>True when the range lies entirely inside one range of the set.</summary>
    public bool ContainsRange(AsRange range)
    {
        ThrowIfInherit();
        var r = Ranges.AsSpan();
        int lo = 0, hi = r.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (r[mid].Max < range.Min) lo = mid + 1;
            else if (r[mid].Min > range.Min) hi = mid - 1;
            else return range.Max <= r[mid].Max;
        }
        return false;
    }

    /// <summary>
    /// True when every ASN of <paramref name="other"/> is in this set. An <c>inherit</c> <paramref name="other"/> is
    /// contained by definition; this set itself must be explicit. Linear in the sizes of both sets.
    /// </summary>
    public bool Contains(AsResourceSet other)
    {
        if (other.IsInherit) return true;
        ThrowIfInherit();
        var outer = Ranges.AsSpan();
        int i = 0;
        foreach (var r in other.Ranges)
        {
            while (i < outer.Length && outer[i].Max < r.Min) i++;
            if (i == outer.Length || outer[i].Min > r.Min || outer[i].Max < r.Max) return false;
        }
        return true;
    }

    /// <summary>All ASNs of the set, in order (beware of large ranges).</summary>
    public IEnumerable<uint> EnumerateAsns()
    {
        foreach (var r in Ranges)
            for (ulong a = r.Min; a <= r.Max; a++) yield return (uint)a;
    }

    private void ThrowIfInherit()
    {
        if (IsInherit) throw new InvalidOperationException("the AS resource set is 'inherit'; resolve it against the issuer first");
    }

    public bool Equals(AsResourceSet? other)
        => other is not null && IsInherit == other.IsInherit && Ranges.AsSpan().SequenceEqual(other.Ranges.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as AsResourceSet);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(IsInherit);
        foreach (var r in Ranges) h.Add(r);
        return h.ToHashCode();
    }

    public override string ToString() => IsInherit ? "inherit" : Ranges.IsEmpty ? "(none)" : string.Join(", ", Ranges);
}
