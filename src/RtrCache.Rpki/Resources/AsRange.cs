using System.Globalization;

namespace RtrCache.Rpki.Resources;

/// <summary>An inclusive range of AS numbers (a single ASN when <see cref="Min"/> = <see cref="Max"/>).</summary>
public readonly record struct AsRange : IComparable<AsRange>
{
    public AsRange(uint min, uint max)
    {
        if (min > max) throw new ArgumentException($"AS range AS{min}-AS{max} has min > max");
        Min = min;
        Max = max;
    }

    public uint Min { get; }
    public uint Max { get; }

    /// <summary>Number of ASNs in the range (up to 2^32).</summary>
    public long Count => (long)Max - Min + 1;

    public static AsRange Single(uint asn) => new(asn, asn);

    public bool Contains(uint asn) => Min <= asn && asn <= Max;
    public bool Contains(AsRange other) => Min <= other.Min && other.Max <= Max;

    public int CompareTo(AsRange other)
    {
        int c = Min.CompareTo(other.Min);
        return c != 0 ? c : Max.CompareTo(other.Max);
    }

    public override string ToString()
        => Min == Max
            ? string.Create(CultureInfo.InvariantCulture, $"AS{Min}")
            : string.Create(CultureInfo.InvariantCulture, $"AS{Min}-AS{Max}");
}
