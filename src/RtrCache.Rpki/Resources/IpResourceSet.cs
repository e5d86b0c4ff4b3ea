using System.Collections.Immutable;
using RtrCache.Payload;

namespace RtrCache.Rpki.Resources;

/// <summary>
/// The IP resources of a certificate (RFC 3779 §2): per address family either <c>inherit</c> or an explicit list of
/// ranges, kept sorted, disjoint and non-adjacent so that containment is a binary search (one prefix) or a linear
/// merge (a whole set) even for certificates with thousands of entries.
/// </summary>
public sealed class IpResourceSet : IEquatable<IpResourceSet>
{
    public static IpResourceSet Empty { get; } = new(false, [], false, []);

    /// <summary>Both families <c>inherit</c>.</summary>
    public static IpResourceSet InheritAll { get; } = new(true, [], true, []);

    private IpResourceSet(bool v4Inherit, ImmutableArray<IpRange> v4, bool v6Inherit, ImmutableArray<IpRange> v6)
    {
        IPv4Inherit = v4Inherit;
        IPv6Inherit = v6Inherit;
        IPv4 = v4;
        IPv6 = v6;
    }

    public bool IPv4Inherit { get; }
    public bool IPv6Inherit { get; }

    /// <summary>Explicit IPv4 ranges (empty when the family is absent or <c>inherit</c>).</summary>
    public ImmutableArray<IpRange> IPv4 { get; }

    /// <summary>Explicit IPv6 ranges (empty when the family is absent or <c>inherit</c>).</summary>
    public ImmutableArray<IpRange> IPv6 { get; }

    public bool HasInherit => IPv4Inherit || IPv6Inherit;
    public bool IsEmpty => !HasInherit && IPv4.IsEmpty && IPv6.IsEmpty;

    /// <summary>Number of explicit entries (prefixes and ranges) over both families.</summary>
    public int Count => IPv4.Length + IPv6.Length;

    public IEnumerable<IpRange> Ranges => IPv4.Concat(IPv6);

    /// <summary>Builds a set from any ranges: sorts them per family and merges overlapping and adjacent ones.</summary>
    public static IpResourceSet Create(IEnumerable<IpRange> ranges, bool ipv4Inherit = false, bool ipv6Inherit = false)
    {
        var all = ranges.ToList();
        var v4 = Normalize(all.Where(r => r.IsIPv4));
        var v6 = Normalize(all.Where(r => r.IsIPv6));
        if (ipv4Inherit && v4.Length > 0) throw new ArgumentException("IPv4 is 'inherit' and explicit at once");
        if (ipv6Inherit && v6.Length > 0) throw new ArgumentException("IPv6 is 'inherit' and explicit at once");
        return new IpResourceSet(ipv4Inherit, v4, ipv6Inherit, v6);
    }

    public static IpResourceSet Create(params IpPrefix[] prefixes) => Create(prefixes.Select(IpRange.FromPrefix));

    public static IpResourceSet Create(params string[] prefixes) => Create(prefixes.Select(IpPrefix.Parse).ToArray());

    internal static IpResourceSet FromCanonical(bool v4Inherit, ImmutableArray<IpRange> v4, bool v6Inherit, ImmutableArray<IpRange> v6)
        => new(v4Inherit, v4, v6Inherit, v6);

    private static ImmutableArray<IpRange> Normalize(IEnumerable<IpRange> ranges)
    {
        var sorted = ranges.ToList();
        sorted.Sort();
        var merged = ImmutableArray.CreateBuilder<IpRange>(sorted.Count);
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && (r.Min <= merged[^1].Max || r.Min - 1 == merged[^1].Max))
            {
                if (r.Max > merged[^1].Max) merged[^1] = new IpRange(r.IsIPv6, merged[^1].Min, r.Max);
            }
            else
            {
                merged.Add(r);
            }
        }
        return merged.ToImmutable();
    }

    /// <summary>The effective set: each <c>inherit</c> family replaced by the issuer's (effective) family.</summary>
    public IpResourceSet ResolveInherit(IpResourceSet issuerEffective)
    {
        if (!HasInherit) return this;
        return new IpResourceSet(
            IPv4Inherit && issuerEffective.IPv4Inherit, IPv4Inherit ? issuerEffective.IPv4 : IPv4,
            IPv6Inherit && issuerEffective.IPv6Inherit, IPv6Inherit ? issuerEffective.IPv6 : IPv6);
    }

    /// <summary>True when the whole prefix lies inside the set. Its family must not be <c>inherit</c>.</summary>
    public bool ContainsPrefix(IpPrefix prefix) => ContainsRange(IpRange.FromPrefix(prefix));

    /// <summary>True when the whole range lies inside one range of the set. Its family must not be <c>inherit</c>.</summary>
    public bool ContainsRange(IpRange range)
    {
        ThrowIfInherit(range.IsIPv6);
        var r = (range.IsIPv6 ? IPv6 : IPv4).AsSpan();
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
    /// True when every address of <paramref name="other"/> is in this set. An <c>inherit</c> family of
    /// <paramref name="other"/> is contained by definition; the matching family of this set must be explicit when
    /// <paramref name="other"/> lists addresses in it. Linear in the sizes of both sets.
    /// </summary>
    public bool Contains(IpResourceSet other)
    {
        if (!other.IPv4Inherit && other.IPv4.Length > 0)
        {
            ThrowIfInherit(false);
            if (!Covers(IPv4.AsSpan(), other.IPv4.AsSpan())) return false;
        }
        if (!other.IPv6Inherit && other.IPv6.Length > 0)
        {
            ThrowIfInherit(true);
            if (!Covers(IPv6.AsSpan(), other.IPv6.AsSpan())) return false;
        }
        return true;
    }

    private static bool Covers(ReadOnlySpan<IpRange> outer, ReadOnlySpan<IpRange> inner)
    {
        int i = 0;
        foreach (var r in inner)
        {
            while (i < outer.Length && outer[i].Max < r.Min) i++;
            if (i == outer.Length || outer[i].Min > r.Min || outer[i].Max < r.Max) return false;
        }
        return true;
    }

    private void ThrowIfInherit(bool v6)
    {
        if (v6 ? IPv6Inherit : IPv4Inherit)
            throw new InvalidOperationException($"the IPv{(v6 ? 6 : 4)} resources are 'inherit'; resolve them against the issuer first");
    }

    public bool Equals(IpResourceSet? other)
        => other is not null && IPv4Inherit == other.IPv4Inherit && IPv6Inherit == other.IPv6Inherit
           && IPv4.AsSpan().SequenceEqual(other.IPv4.AsSpan()) && IPv6.AsSpan().SequenceEqual(other.IPv6.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as IpResourceSet);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(IPv4Inherit);
        h.Add(IPv6Inherit);
        foreach (var r in IPv4) h.Add(r);
        foreach (var r in IPv6) h.Add(r);
        return h.ToHashCode();
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (IPv4Inherit) parts.Add("IPv4 inherit");
        if (IPv6Inherit) parts.Add("IPv6 inherit");
        parts.AddRange(Ranges.Select(r => r.ToString()));
        return parts.Count == 0 ? "(none)" : string.Join(", ", parts);
    }
}
