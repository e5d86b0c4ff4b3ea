using System.Collections.Immutable;
using System.Globalization;
using Org.BouncyCastle.Asn1;
using RtrCache.Payload;
using RtrCache.Rpki.Asn1;
using RtrCache.Rpki.Resources;

namespace RtrCache.Rpki.Objects;

/// <summary>One ROAIPAddress: a prefix and its max length (equal to the prefix length when absent).</summary>
public readonly record struct RoaPrefix(IpPrefix Prefix, byte MaxLength)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}-{MaxLength}");
}

/// <summary>
/// The eContent of a ROA (RFC 9582) after its checks: version absent, asID in range, one or two address
/// families (each once, 2-octet AFI), non-empty address lists, prefixes no longer than the family, maxLength
/// between the prefix length and the family width, no duplicate entries.
/// </summary>
public sealed class RoaContent
{
    private RoaContent(uint asId, ImmutableArray<RoaPrefix> prefixes)
    {
        AsId = asId;
        Prefixes = prefixes;
    }

    /// <summary>The origin AS (0 means "do not route").</summary>
    public uint AsId { get; }

    /// <summary>The authorised prefixes, in encoded order.</summary>
    public ImmutableArray<RoaPrefix> Prefixes { get; }

    /// <summary>One VRP per prefix.</summary>
    public ImmutableArray<Vrp> ToVrps()
    {
        var b = ImmutableArray.CreateBuilder<Vrp>(Prefixes.Length);
        foreach (var p in Prefixes)
            b.Add(p.Prefix.IsIPv6
                ? Vrp.V6(p.Prefix.AddressBits, p.Prefix.Length, p.MaxLength, AsId)
                : Vrp.V4((uint)p.Prefix.AddressBits, p.Prefix.Length, p.MaxLength, AsId));
        return b.MoveToImmutable();
    }

    /// <summary>Decodes a ROA eContent (DER).</summary>
    public static Decoded<RoaContent> Decode(ReadOnlyMemory<byte> eContent)
        => Decoding.Run("ROA content", eContent, b => DecodeCore(b, "ROA"));

    internal static RoaContent DecodeCore(ReadOnlyMemory<byte> der, string what)
    {
        if (Asn1Util.Parse(der, requireDer: true, $"{what} eContent") is not Asn1Sequence seq) throw Decoding.Fail($"{what}: eContent is not a SEQUENCE");
        if (seq.Count > 0 && Asn1Util.AsContextTag(seq[0], 0) is { } versionTag)
        {
            var version = versionTag.IsExplicit() ? versionTag.GetExplicitBaseObject().ToAsn1Object() : null;
            throw Decoding.Fail(version is DerInteger v && v.HasValue(0)
                ? $"{what}: version 0 is explicitly encoded; the DEFAULT must be omitted (DER)"
                : $"{what}: version {(version as DerInteger)?.Value.ToString() ?? "?"}, expected 0 (RFC 9582 §4.1)");
        }
        if (seq.Count != 2) throw Decoding.Fail($"{what}: eContent has {seq.Count} elements, expected asID and ipAddrBlocks");
        uint asId = Asn1Util.ReadUInt32(seq[0], $"{what}: asID");
        if (seq[1].ToAsn1Object() is not Asn1Sequence families || families.Count is < 1 or > 2)
            throw Decoding.Fail($"{what}: ipAddrBlocks must hold one or two address families");
        var prefixes = ImmutableArray.CreateBuilder<RoaPrefix>();
        var seen = new HashSet<RoaPrefix>();
        int lastAfi = 0;
        foreach (var f in families)
        {
            if (f is not Asn1Sequence family || family.Count != 2) throw Decoding.Fail($"{what}: ROAIPAddressFamily is not a SEQUENCE of two elements");
            int afi = Rfc3779.ReadAfi(family[0], what);
            if (afi == lastAfi) throw Decoding.Fail($"{what}: address family IPv{(afi == 1 ? 4 : 6)} listed twice");
            lastAfi = afi;
            bool v6 = afi == 2;
            int familyBits = v6 ? 128 : 32;
            if (family[1] is not Asn1Sequence addresses || addresses.Count == 0)
                throw Decoding.Fail($"{what}: IPv{(v6 ? 6 : 4)} addresses must be a non-empty SEQUENCE");
            foreach (var a in addresses)
            {
                if (a is not Asn1Sequence roaAddress || roaAddress.Count is < 1 or > 2 || roaAddress[0] is not DerBitString bits)
                    throw Decoding.Fail($"{what}: ROAIPAddress is not SEQUENCE {{ address BIT STRING, maxLength INTEGER OPTIONAL }}");
                var (address, length) = Rfc3779.ReadAddress(bits, v6, what);
                var prefix = new IpPrefix(v6, address, (byte)length);
                int maxLength = length;
                if (roaAddress.Count == 2)
                {
                    if (roaAddress[1] is not DerInteger ml) throw Decoding.Fail($"{what}: maxLength of {prefix} is not an INTEGER");
                    if (!ml.TryGetIntValueExact(out maxLength) || maxLength > familyBits)
                        throw Decoding.Fail($"{what}: maxLength {ml.Value} of {prefix} exceeds {familyBits}, the IPv{(v6 ? 6 : 4)} address length");
                    if (maxLength < length)
                        throw Decoding.Fail($"{what}: maxLength {maxLength} of {prefix} is less than the prefix length {length}");
                }
                var entry = new RoaPrefix(prefix, (byte)maxLength);
                if (!seen.Add(entry)) throw Decoding.Fail($"{what}: {entry} is listed twice");
                prefixes.Add(entry);
            }
        }
        return new RoaContent(asId, prefixes.ToImmutable());
    }
}

/// <summary>A decoded and verified ROA: the signed object plus its content, with the EE resource checks done.</summary>
public sealed class RoaObject : RpkiObject
{
    private RoaObject(SignedObject signedObject, RoaContent content)
    {
        SignedObject = signedObject;
        Content = content;
    }

    public override RpkiObjectType Type => RpkiObjectType.Roa;
    public SignedObject SignedObject { get; }
    public RoaContent Content { get; }
    public ResourceCertificate EeCertificate => SignedObject.EeCertificate;
    public uint AsId => Content.AsId;
    public ImmutableArray<RoaPrefix> Prefixes => Content.Prefixes;

    /// <summary>One VRP per ROA prefix.</summary>
    public ImmutableArray<Vrp> ToVrps() => Content.ToVrps();

    public override DateTimeOffset? ExpiresAt => SignedObject.ExpiresAt;
    public override string? CheckValidityAt(DateTimeOffset now) => SignedObject.CheckValidityAt(now);

    /// <summary>
    /// Decodes and verifies a .roa file: CMS template, EE certificate profile, content, and that the EE certificate
    /// has explicit IP resources covering every prefix and no AS resources (RFC 9582 §5).
    /// </summary>
    public static Decoded<RoaObject> Decode(ReadOnlyMemory<byte> bytes)
        => Decoding.Run("ROA", bytes, b =>
        {
            const string what = "ROA";
            var envelope = SignedObjectEnvelope.Open(b, RpkiObjectType.Roa, what);
            var ee = envelope.Ee;
            if (ee.AsResources is not null) throw Decoding.Fail($"{what}: EE certificate must not have AS resources (RFC 9582 §5)");
            if (ee.IpResources is not { } ip) throw Decoding.Fail($"{what}: EE certificate has no IP resources");
            if (ip.HasInherit) throw Decoding.Fail($"{what}: EE certificate IP resources must be explicit, not 'inherit' (RFC 9582 §5)");
            var content = RoaContent.DecodeCore(envelope.Content, what);
            foreach (var p in content.Prefixes)
                if (!ip.ContainsPrefix(p.Prefix)) throw Decoding.Fail($"{what}: prefix {p.Prefix} is not covered by the EE certificate's resources");
            envelope.Verify();
            return new RoaObject(envelope.ToSignedObject(), content);
        });

    public override string ToString() => $"ROA AS{AsId} [{string.Join(", ", Prefixes)}]";
}
