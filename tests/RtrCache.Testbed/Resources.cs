using Org.BouncyCastle.Asn1;
using RtrCache.Payload;

namespace RtrCache.Testbed;

/// <summary>An inclusive range of addresses of one family; IPv4 values live in the low 32 bits.</summary>
public readonly record struct IpRange(bool IsIPv6, UInt128 Min, UInt128 Max)
{
    public int Bits => IsIPv6 ? 128 : 32;

    public static IpRange FromPrefix(IpPrefix p)
    {
        int bits = p.FamilyBits;
        UInt128 host = p.Length == bits ? UInt128.Zero : (bits == 128 ? UInt128.MaxValue : (UInt128)uint.MaxValue) >> p.Length;
        return new IpRange(p.IsIPv6, p.AddressBits, p.AddressBits | host);
    }

    public static IpRange Parse(string prefix) => FromPrefix(IpPrefix.Parse(prefix));

    public bool Contains(IpRange other) => other.IsIPv6 == IsIPv6 && other.Min >= Min && other.Max <= Max;

    /// <summary>The prefix length if this range is exactly one prefix, else -1.</summary>
    public int PrefixLength
    {
        get
        {
            UInt128 span = Max - Min; // size - 1
            UInt128 familyMax = IsIPv6 ? UInt128.MaxValue : uint.MaxValue;
            if (span == familyMax) return Min == UInt128.Zero ? 0 : -1;
            UInt128 size = span + 1;
            if ((size & span) != UInt128.Zero) return -1; // not a power of two
            if ((Min & span) != UInt128.Zero) return -1;  // not aligned
            int hostBits = 0;
            while (hostBits < 128 && ((span >> hostBits) & UInt128.One) == UInt128.One) hostBits++;
            return Bits - hostBits;
        }
    }

    public override string ToString()
    {
        int plen = PrefixLength;
        bool v6 = IsIPv6;
        byte bits = (byte)Bits;
        string F(UInt128 a) => new IpPrefix(v6, a, bits).ToString().Split('/')[0];
        return plen >= 0 ? new IpPrefix(IsIPv6, Min, (byte)plen).ToString() : $"{F(Min)}-{F(Max)}";
    }
}

/// <summary>An inclusive range of AS numbers.</summary>
public readonly record struct AsRange(uint Min, uint Max)
{
    public bool Contains(AsRange o) => o.Min >= Min && o.Max <= Max;
    public override string ToString() => Min == Max ? $"AS{Min}" : $"AS{Min}-AS{Max}";
}

/// <summary>
/// The RFC 3779 resources of a certificate: per family either explicit ranges, <c>inherit</c>, or absent.
/// Encodes the two extensions in the canonical form RFC 3779 requires (IPv4 before IPv6; ranges sorted,
/// merged when adjacent or overlapping; a range that is one prefix as a prefix; range ends trimmed).
/// </summary>
public sealed class ResourceSet
{
    public List<IpRange>? V4 { get; set; }
    public List<IpRange>? V6 { get; set; }
    public List<AsRange>? As { get; set; }
    public bool InheritIp { get; set; }
    public bool InheritAs { get; set; }

    /// <summary>Skip canonicalisation (sorting/merging) when encoding: for broken variants.</summary>
    public bool Raw { get; set; }

    public static ResourceSet All() => new()
    {
        V4 = [new IpRange(false, 0, uint.MaxValue)],
        V6 = [new IpRange(true, UInt128.Zero, UInt128.MaxValue)],
        As = [new AsRange(1, uint.MaxValue)],
    };

    /// <summary>Parses <c>"10.0.0.0/8"</c>, <c>"2001:db8::/32"</c>, <c>"AS64496"</c>, <c>"AS64496-AS64511"</c> items.</summary>
    public static ResourceSet Parse(IEnumerable<string> items)
    {
        var r = new ResourceSet();
        foreach (var raw in items)
        {
            var item = raw.Trim();
            if (item.StartsWith("AS", StringComparison.OrdinalIgnoreCase))
            {
                var parts = item.Split('-');
                uint min = uint.Parse(parts[0][2..], System.Globalization.CultureInfo.InvariantCulture);
                uint max = parts.Length > 1 ? uint.Parse(parts[1].TrimStart('A', 'S', 'a', 's'), System.Globalization.CultureInfo.InvariantCulture) : min;
                (r.As ??= []).Add(new AsRange(min, max));
            }
            else
            {
                var range = IpRange.Parse(item);
                if (range.IsIPv6) (r.V6 ??= []).Add(range); else (r.V4 ??= []).Add(range);
            }
        }
        return r;
    }

    public static ResourceSet Inherit() => new() { InheritIp = true, InheritAs = true };

    public ResourceSet Clone() => new()
    {
        V4 = V4?.ToList(), V6 = V6?.ToList(), As = As?.ToList(), InheritIp = InheritIp, InheritAs = InheritAs, Raw = Raw,
    };

    public bool HasIp => InheritIp || (V4 is { Count: > 0 }) || (V6 is { Count: > 0 });
    public bool HasAs => InheritAs || (As is { Count: > 0 });

    /// <summary>True when every explicit resource here lies within <paramref name="parent"/> (inherit counts as covered).</summary>
    public bool IsCoveredBy(ResourceSet parent)
    {
        bool Ip(List<IpRange>? mine, List<IpRange>? theirs)
            => mine is null || mine.All(r => theirs is not null && theirs.Any(t => t.Contains(r)));
        bool Asn() => As is null || As.All(r => parent.As is not null && parent.As.Any(t => t.Contains(r)));
        return Ip(V4, parent.V4) && Ip(V6, parent.V6) && Asn();
    }

    /// <summary>The id-pe-ipAddrBlocks extension value, or null when there are no IP resources.</summary>
    public Asn1Encodable? EncodeIpAddrBlocks()
    {
        if (!HasIp) return null;
        var families = new Asn1EncodableVector();
        if (InheritIp)
        {
            families.Add(new DerSequence(new DerOctetString([0, 1]), DerNull.Instance));
            families.Add(new DerSequence(new DerOctetString([0, 2]), DerNull.Instance));
        }
        else
        {
            if (V4 is { Count: > 0 }) families.Add(EncodeFamily(false, V4));
            if (V6 is { Count: > 0 }) families.Add(EncodeFamily(true, V6));
        }
        return new DerSequence(families);
    }

    private Asn1Encodable EncodeFamily(bool v6, List<IpRange> ranges)
    {
        var list = Raw ? ranges : Canonical(ranges);
        var v = new Asn1EncodableVector();
        foreach (var r in list)
        {
            int plen = r.PrefixLength;
            if (plen >= 0)
                v.Add(PrefixBits(r.Min, plen, r.Bits));
            else
                v.Add(new DerSequence(RangeMin(r.Min, r.Bits), RangeMax(r.Max, r.Bits)));
        }
        return new DerSequence(new DerOctetString(v6 ? [0, 2] : [0, 1]), new DerSequence(v));
    }

    /// <summary>Sorted, overlapping and adjacent ranges merged.</summary>
    public static List<IpRange> Canonical(IEnumerable<IpRange> ranges)
    {
        var sorted = ranges.OrderBy(r => r.Min).ToList();
        var result = new List<IpRange>();
        foreach (var r in sorted)
        {
            if (result.Count > 0)
            {
                var last = result[^1];
                UInt128 familyMax = r.IsIPv6 ? UInt128.MaxValue : uint.MaxValue;
                if (last.Max == familyMax || r.Min <= last.Max + 1)
                {
                    result[^1] = last with { Max = r.Max > last.Max ? r.Max : last.Max };
                    continue;
                }
            }
            result.Add(r);
        }
        return result;
    }

    public static List<AsRange> Canonical(IEnumerable<AsRange> ranges)
    {
        var sorted = ranges.OrderBy(r => r.Min).ToList();
        var result = new List<AsRange>();
        foreach (var r in sorted)
        {
            if (result.Count > 0)
            {
                var last = result[^1];
                if (last.Max == uint.MaxValue || r.Min <= last.Max + 1)
                {
                    result[^1] = last with { Max = Math.Max(r.Max, last.Max) };
                    continue;
                }
            }
            result.Add(r);
        }
        return result;
    }

    /// <summary>An address as a BIT STRING of <paramref name="length"/> significant bits (unused bits zero).</summary>
    public static DerBitString PrefixBits(UInt128 address, int length, int familyBits)
    {
        int bytes = (length + 7) / 8;
        var full = new byte[familyBits / 8];
        for (int i = 0; i < full.Length; i++)
            full[i] = (byte)(address >> (familyBits - 8 * (i + 1)));
        var data = full[..bytes];
        int pad = bytes * 8 - length;
        if (pad > 0) data[^1] &= (byte)(0xFF << pad);
        return new DerBitString(data, pad);
    }

    private static DerBitString RangeMin(UInt128 min, int bits)
    {
        // drop trailing zero bits
        int len = bits;
        while (len > 0 && ((min >> (bits - len)) & UInt128.One) == UInt128.Zero) len--;
        return PrefixBits(min, len, bits);
    }

    private static DerBitString RangeMax(UInt128 max, int bits)
    {
        // drop trailing one bits
        int len = bits;
        while (len > 0 && ((max >> (bits - len)) & UInt128.One) == UInt128.One) len--;
        return PrefixBits(max, len, bits);
    }

    /// <summary>The id-pe-autonomousSysIds extension value, or null when there are no AS resources.</summary>
    public Asn1Encodable? EncodeAsIdentifiers()
    {
        if (!HasAs) return null;
        Asn1Encodable choice;
        if (InheritAs) choice = DerNull.Instance;
        else
        {
            var v = new Asn1EncodableVector();
            foreach (var r in Raw ? As! : Canonical(As!))
                v.Add(r.Min == r.Max ? DerInteger.ValueOf(r.Min) : new DerSequence(DerInteger.ValueOf(r.Min), DerInteger.ValueOf(r.Max)));
            choice = new DerSequence(v);
        }
        return new DerSequence(new DerTaggedObject(true, 0, choice));
    }

    public override string ToString()
    {
        if (InheritIp && InheritAs) return "inherit";
        var parts = new List<string>();
        if (InheritIp) parts.Add("IP inherit");
        if (V4 is not null) parts.AddRange(Canonical(V4).Select(r => r.ToString()));
        if (V6 is not null) parts.AddRange(Canonical(V6).Select(r => r.ToString()));
        if (InheritAs) parts.Add("AS inherit");
        if (As is not null) parts.AddRange(Canonical(As).Select(r => r.ToString()));
        return string.Join(", ", parts);
    }
}
