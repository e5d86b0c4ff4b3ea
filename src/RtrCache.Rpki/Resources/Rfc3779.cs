using System.Collections.Immutable;
using Org.BouncyCastle.Asn1;
using RtrCache.Rpki.Asn1;
using RtrCache.Rpki.Objects;

namespace RtrCache.Rpki.Resources;

/// <summary>
/// Reads the RFC 3779 extension values (IPAddrBlocks, ASIdentifiers) from BouncyCastle ASN.1 objects and enforces
/// the canonical form rpki-objects.md §3.1 asks for: families once each and IPv4 first, no SAFI, entries sorted,
/// non-overlapping and not adjacent, ranges that are prefixes encoded as prefixes, single ASNs not as ranges.
/// </summary>
internal static class Rfc3779
{
    public static IpResourceSet DecodeIpAddrBlocks(Asn1Object value, string what)
    {
        if (value is not Asn1Sequence families) throw Decoding.Fail($"{what}: IPAddrBlocks is not a SEQUENCE");
        if (families.Count == 0) throw Decoding.Fail($"{what}: IPAddrBlocks is empty");
        bool v4Inherit = false, v6Inherit = false;
        var v4 = ImmutableArray<IpRange>.Empty;
        var v6 = ImmutableArray<IpRange>.Empty;
        int lastAfi = 0;
        foreach (var f in families)
        {
            if (f is not Asn1Sequence family || family.Count != 2)
                throw Decoding.Fail($"{what}: IPAddressFamily is not a SEQUENCE of two elements");
            int afi = ReadAfi(family[0], what);
            if (afi <= lastAfi)
                throw Decoding.Fail(afi == lastAfi ? $"{what}: address family {FamilyName(afi == 2)} listed twice" : $"{what}: IPv6 listed before IPv4");
            lastAfi = afi;
            bool isV6 = afi == 2;
            var choice = family[1].ToAsn1Object();
            if (choice is Asn1Null)
            {
                if (isV6) v6Inherit = true;
                else v4Inherit = true;
                continue;
            }
            if (choice is not Asn1Sequence entries) throw Decoding.Fail($"{what}: IPAddressChoice is neither inherit nor a SEQUENCE");
            if (entries.Count == 0) throw Decoding.Fail($"{what}: {FamilyName(isV6)} addressesOrRanges is empty");
            var ranges = ImmutableArray.CreateBuilder<IpRange>(entries.Count);
            foreach (var e in entries)
            {
                var range = ReadAddressOrRange(e.ToAsn1Object(), isV6, what);
                if (ranges.Count > 0)
                {
                    var prev = ranges[^1];
                    if (range.Min <= prev.Max) throw Decoding.Fail($"{what}: {range} is not sorted after {prev} or overlaps it");
                    if (range.Min - 1 == prev.Max) throw Decoding.Fail($"{what}: {prev} and {range} are adjacent and must be merged (RFC 3779 §2.2.3.6)");
                }
                ranges.Add(range);
            }
            if (isV6) v6 = ranges.MoveToImmutable();
            else v4 = ranges.MoveToImmutable();
        }
        return IpResourceSet.FromCanonical(v4Inherit, v4, v6Inherit, v6);
    }

    private static IpRange ReadAddressOrRange(Asn1Object entry, bool v6, string what)
    {
        int familyBits = v6 ? 128 : 32;
        if (entry is DerBitString prefixBits)
        {
            var (address, bits) = ReadAddress(prefixBits, v6, what);
            return new IpRange(v6, address, address | IpRange.HostMask(familyBits - bits));
        }
        if (entry is Asn1Sequence pair && pair.Count == 2 && pair[0] is DerBitString minBits && pair[1] is DerBitString maxBits)
        {
            var (min, _) = ReadAddress(minBits, v6, what);
            var (maxAddress, maxLength) = ReadAddress(maxBits, v6, what);
            var max = maxAddress | IpRange.HostMask(familyBits - maxLength);
            if (min > max)
                throw Decoding.Fail($"{what}: address range {IpRange.FormatAddress(v6, min)}-{IpRange.FormatAddress(v6, max)} has min above max");
            var range = new IpRange(v6, min, max);
            if (range.TryGetPrefix(out var p))
                throw Decoding.Fail($"{what}: range {IpRange.FormatAddress(v6, min)}-{IpRange.FormatAddress(v6, max)} must be encoded as the prefix {p} (RFC 3779 §2.2.3.7)");
            return range;
        }
        throw Decoding.Fail($"{what}: IPAddressOrRange is neither a prefix (BIT STRING) nor a range");
    }

    /// <summary>The address family identifier: exactly two octets, 1 (IPv4) or 2 (IPv6); RPKI allows no SAFI.</summary>
    public static int ReadAfi(Asn1Encodable element, string what)
    {
        if (element.ToAsn1Object() is not Asn1OctetString os) throw Decoding.Fail($"{what}: addressFamily is not an OCTET STRING");
        var b = os.GetOctets();
        if (b.Length == 3) throw Decoding.Fail($"{what}: addressFamily carries a SAFI, which RPKI does not allow");
        if (b.Length != 2) throw Decoding.Fail($"{what}: addressFamily of {b.Length} octets, expected 2");
        int afi = (b[0] << 8) | b[1];
        if (afi is not (1 or 2)) throw Decoding.Fail($"{what}: unknown address family {afi}");
        return afi;
    }

    /// <summary>
    /// An RFC 3779 IPAddress BIT STRING as the address value (aligned to the family width; IPv4 in the low 32
    /// bits) and its number of significant bits. Unused trailing bits are ignored.
    /// </summary>
    public static (UInt128 Address, int Bits) ReadAddress(DerBitString bitString, bool v6, string what)
    {
        int familyBits = v6 ? 128 : 32;
        byte[] bytes = bitString.GetBytes();
        int pad = bitString.PadBits;
        int bits = bytes.Length * 8 - pad;
        if (bits < 0 || (bytes.Length == 0 && pad != 0)) throw Decoding.Fail($"{what}: malformed address BIT STRING");
        if (bits > familyBits)
            throw Decoding.Fail($"{what}: {FamilyName(v6)} address of {bits} bits, longer than {familyBits}");
        UInt128 value = UInt128.Zero;
        foreach (byte b in bytes) value = (value << 8) | b;
        value <<= familyBits - bytes.Length * 8;
        return (value, bits);
    }

    public static AsResourceSet DecodeAsIdentifiers(Asn1Object value, string what)
    {
        if (value is not Asn1Sequence seq) throw Decoding.Fail($"{what}: ASIdentifiers is not a SEQUENCE");
        Asn1Encodable? asnum = null;
        foreach (var e in seq)
        {
            if (e.ToAsn1Object() is not Asn1TaggedObject t || t.TagClass != Asn1Tags.ContextSpecific)
                throw Decoding.Fail($"{what}: unexpected element in ASIdentifiers");
            if (t.TagNo == 1) throw Decoding.Fail($"{what}: routing domain identifiers (rdi) are not allowed in the RPKI (RFC 6487 §4.8.11)");
            if (t.TagNo != 0 || asnum is not null) throw Decoding.Fail($"{what}: unexpected element in ASIdentifiers");
            if (!t.IsExplicit()) throw Decoding.Fail($"{what}: asnum must be explicitly tagged");
            asnum = t.GetExplicitBaseObject();
        }
        if (asnum is null) throw Decoding.Fail($"{what}: ASIdentifiers without asnum");
        var choice = asnum.ToAsn1Object();
        if (choice is Asn1Null) return AsResourceSet.Inherit;
        if (choice is not Asn1Sequence entries) throw Decoding.Fail($"{what}: ASIdentifierChoice is neither inherit nor a SEQUENCE");
        if (entries.Count == 0) throw Decoding.Fail($"{what}: asIdsOrRanges is empty");
        var ranges = ImmutableArray.CreateBuilder<AsRange>(entries.Count);
        foreach (var e in entries)
        {
            AsRange range;
            var entry = e.ToAsn1Object();
            if (entry is DerInteger)
            {
                range = AsRange.Single(Asn1Util.ReadUInt32(entry, $"{what}: AS number"));
            }
            else if (entry is Asn1Sequence pair && pair.Count == 2)
            {
                uint min = Asn1Util.ReadUInt32(pair[0], $"{what}: AS range min");
                uint max = Asn1Util.ReadUInt32(pair[1], $"{what}: AS range max");
                if (min > max) throw Decoding.Fail($"{what}: AS range AS{min}-AS{max} has min above max");
                if (min == max) throw Decoding.Fail($"{what}: AS{min} encoded as a range must be encoded as a single id");
                range = new AsRange(min, max);
            }
            else
            {
                throw Decoding.Fail($"{what}: ASIdOrRange is neither an INTEGER nor a range");
            }
            if (ranges.Count > 0)
            {
                var prev = ranges[^1];
                if (range.Min <= prev.Max) throw Decoding.Fail($"{what}: {range} is not sorted after {prev} or overlaps it");
                if ((ulong)range.Min == (ulong)prev.Max + 1) throw Decoding.Fail($"{what}: {prev} and {range} are adjacent and must be merged (RFC 3779 §3.2.3.4)");
            }
            ranges.Add(range);
        }
        return AsResourceSet.FromCanonical(ranges.MoveToImmutable());
    }

    private static string FamilyName(bool v6) => v6 ? "IPv6" : "IPv4";
}
