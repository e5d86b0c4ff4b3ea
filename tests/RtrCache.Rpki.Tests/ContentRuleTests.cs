using Org.BouncyCastle.Asn1;
using RtrCache.Payload;
using RtrCache.Rpki.Objects;

namespace RtrCache.Rpki.Tests;

/// <summary>The eContent rules of manifests (RFC 9286), ROAs (RFC 9582) and ASPAs (aspa-profile), on crafted DER.</summary>
public class ContentRuleTests
{
    private static byte[] Der(Asn1Encodable e) => e.GetEncoded(Asn1Encodable.Der);
    private static DerInteger Int(long v) => DerInteger.ValueOf(v);

    // --- ASPA ---

    private static byte[] Aspa(long customer, params long[] providers)
        => Der(new DerSequence(new DerTaggedObject(true, 0, Int(1)), Int(customer), new DerSequence(providers.Select(p => (Asn1Encodable)Int(p)).ToArray())));

    [Test]
    public void Aspa_ValidContentDecodes()
    {
        var aspa = AspaContent.Decode(Aspa(64496, 0)).GetValueOrThrow();
        Assert.That(aspa.Providers, Is.EqualTo(new uint[] { 0 }), "AS0 alone is the 'no transit providers' ASPA");
        Assert.That(AspaContent.Decode(Aspa(4294967295, 1, 2, 4294967294)).GetValueOrThrow().Providers, Has.Length.EqualTo(3));
    }

    [TestCase(new long[] { 64496, 65002, 65001 }, "not strictly ascending")]
    [TestCase(new long[] { 64496, 65001, 65001 }, "not strictly ascending")]
    [TestCase(new long[] { 64496, 65001, 64496 }, "customer AS64496 is listed among its own providers")]
    [TestCase(new long[] { 64496, 0, 65001 }, "AS0 listed together with other providers")]
    [TestCase(new long[] { 0, 65001 }, "customerASID 0 is not allowed")]
    [TestCase(new long[] { 64496 }, "providers is empty")]
    [TestCase(new long[] { 64496, 4294967296 }, "outside 0..4294967295")]
    public void Aspa_ProviderRules(long[] values, string reason)
        => Assert.That(AspaContent.Decode(Aspa(values[0], values[1..])).Error, Does.Contain(reason));

    [Test]
    public void Aspa_VersionRules()
    {
        byte[] Versioned(long v) => Der(new DerSequence(new DerTaggedObject(true, 0, Int(v)), Int(64496), new DerSequence(Int(65001))));
        Assert.That(AspaContent.Decode(Versioned(0)).Error, Does.Contain("version 0, expected 1"));
        Assert.That(AspaContent.Decode(Versioned(2)).Error, Does.Contain("version 2, expected 1"));
        var noVersion = Der(new DerSequence(Int(64496), new DerSequence(Int(65001))));
        Assert.That(AspaContent.Decode(noVersion).Error, Does.Contain("version field missing"));
        var afiProviders = Der(new DerSequence(new DerTaggedObject(true, 0, Int(1)), Int(64496), new DerSequence(new DerSequence(Int(65001), new DerOctetString([0, 1])))));
        Assert.That(AspaContent.Decode(afiProviders).Error, Does.Contain("afiLimit"));
    }

    [Test]
    public void Aspa_TooManyProviders()
    {
        var many = Enumerable.Range(1, Payload.Aspa.MaxProviders + 1).Select(i => (long)i + 100).ToArray();
        Assert.That(AspaContent.Decode(Aspa(5, many)).Error, Does.Contain("more than 16380"));
    }

    // --- ROA ---

    private static DerSequence RoaAddress(byte[] bits, int pad, int? maxLength = null)
        => maxLength is null ? new DerSequence(new DerBitString(bits, pad)) : new DerSequence(new DerBitString(bits, pad), Int(maxLength.Value));

    private static byte[] Roa(long asId, params (byte Afi, DerSequence[] Addresses)[] families)
        => Der(new DerSequence(Int(asId), new DerSequence(families.Select(f => (Asn1Encodable)new DerSequence(new DerOctetString([0, f.Afi]), new DerSequence(f.Addresses))).ToArray())));

    [Test]
    public void Roa_ValidContentDecodesToVrps()
    {
        var roa = RoaContent.Decode(Roa(64496, (1, [RoaAddress([192, 0, 2], 0), RoaAddress([198, 51, 100], 0, 28)]), (2, [RoaAddress([0x20, 0x01, 0x0d, 0xb8], 0, 48)]))).GetValueOrThrow();
        Assert.That(roa.ToVrps().Select(v => v.ToString()), Is.EqualTo(new[] { "192.0.2.0/24-24 AS64496", "198.51.100.0/24-28 AS64496", "2001:db8::/32-48 AS64496" }));
        Assert.That(RoaContent.Decode(Roa(0, (1, [RoaAddress([10], 0)]))).GetValueOrThrow().AsId, Is.EqualTo(0u), "AS0 ROA");
        Assert.That(RoaContent.Decode(Roa(1, (1, [RoaAddress([], 0, 32)]))).GetValueOrThrow().Prefixes[0].Prefix, Is.EqualTo(IpPrefix.Parse("0.0.0.0/0")));
    }

    [Test]
    public void Roa_Rules()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RoaContent.Decode(Roa(1, (1, [RoaAddress([10], 0, 33)]))).Error, Does.Contain("maxLength 33 of 10.0.0.0/8 exceeds 32"));
            Assert.That(RoaContent.Decode(Roa(1, (2, [RoaAddress([0x20], 0, 129)]))).Error, Does.Contain("exceeds 128"));
            Assert.That(RoaContent.Decode(Roa(1, (1, [RoaAddress([10], 0, 7)]))).Error, Does.Contain("less than the prefix length 8"));
            Assert.That(RoaContent.Decode(Roa(1, (1, [RoaAddress([10], 0, -1)]))).Error, Does.Contain("less than the prefix length"));
            Assert.That(RoaContent.Decode(Roa(1, (1, [RoaAddress([10], 0), RoaAddress([10], 0, 8)]))).Error, Does.Contain("10.0.0.0/8-8 is listed twice"));
            Assert.That(RoaContent.Decode(Roa(1, (1, [RoaAddress([10], 0)]), (1, [RoaAddress([11], 0)]))).Error, Does.Contain("listed twice"));
            Assert.That(RoaContent.Decode(Roa(1, (1, []))).Error, Does.Contain("non-empty"));
            Assert.That(RoaContent.Decode(Roa(1)).Error, Does.Contain("one or two address families"));
            Assert.That(RoaContent.Decode(Roa(4294967296, (1, [RoaAddress([10], 0)]))).Error, Does.Contain("asID"));
            Assert.That(RoaContent.Decode(Roa(1, (3, [RoaAddress([10], 0)]))).Error, Does.Contain("unknown address family 3"));
        });
        var explicitVersion = Der(new DerSequence(new DerTaggedObject(true, 0, Int(0)), Int(1), new DerSequence(new DerSequence(new DerOctetString([0, 1]), new DerSequence(RoaAddress([10], 0))))));
        Assert.That(RoaContent.Decode(explicitVersion).Error, Does.Contain("version 0 is explicitly encoded"));
        // Non-canonical order is accepted (RFC 9582 §4.3.3; rpki-client does not reject it either).
        Assert.That(RoaContent.Decode(Roa(1, (2, [RoaAddress([0x20], 0)]), (1, [RoaAddress([11], 0), RoaAddress([10], 0)]))).IsSuccess, Is.True);
    }

    // --- Manifest ---

    private static DerGeneralizedTime Time(string s) => new(s);

    private static byte[] Manifest(Asn1Encodable number, Asn1Encodable thisUpdate, Asn1Encodable nextUpdate, string hashOid, params (string Name, byte[] Hash)[] files)
        => Der(new DerSequence(number, thisUpdate, nextUpdate, new DerObjectIdentifier(hashOid),
            new DerSequence(files.Select(f => (Asn1Encodable)new DerSequence(new DerIA5String(f.Name), new DerBitString(f.Hash))).ToArray())));

    private static byte[] Hash(byte seed) => Enumerable.Range(0, 32).Select(i => (byte)(i + seed)).ToArray();
    private const string Sha256 = "2.16.840.1.101.3.4.2.1";

    private static string? ManifestError(params (string Name, byte[] Hash)[] files)
        => ManifestContent.Decode(Manifest(Int(1), Time("20260101000000Z"), Time("20260102000000Z"), Sha256, files)).Error;

    [Test]
    public void Manifest_ValidContentDecodes()
    {
        var m = ManifestContent.Decode(Manifest(Int(7), Time("20260101000000Z"), Time("20260102000000Z"), Sha256, ("a-b_C9.cer", Hash(1)), ("x.crl", Hash(2)), ("unknown.xyz", Hash(3)))).GetValueOrThrow();
        Assert.That(m.Number, Is.EqualTo(new System.Numerics.BigInteger(7)));
        Assert.That(m.Entries.Select(e => e.FileType), Is.EqualTo(new[] { RpkiObjectType.Certificate, RpkiObjectType.Crl, RpkiObjectType.Unknown }));
        Assert.That(m.Find("x.crl")!.Hash, Is.EqualTo(Hash(2)));
        Assert.That(ManifestError(), Is.Null, "an empty file list is allowed");
    }

    [TestCase("../x.cer", "more than one '.'")]
    [TestCase("..", "more than one '.'")]
    [TestCase("dir/x.cer", "contains the byte 0x2F")]
    [TestCase("x..cer", "more than one '.'")]
    [TestCase("x.y.cer", "more than one '.'")]
    [TestCase("x\n.cer", "contains the byte 0x0A")]
    [TestCase("x .cer", "contains the byte 0x20")]
    [TestCase("noextension", "has no extension")]
    [TestCase(".cer", "only an extension")]
    [TestCase("x.json", "three-letter extension")]
    [TestCase("x.c3r", "three-letter extension")]
    [TestCase("", "empty file name")]
    public void Manifest_FileNameRules(string name, string reason)
        => Assert.That(ManifestError((name, Hash(1))), Does.Contain(reason));

    [Test]
    public void Manifest_EntryRules()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ManifestError(("a.cer", Hash(1)), ("a.cer", Hash(2))), Does.Contain("a.cer is listed twice"));
            Assert.That(ManifestError(("a.cer", Hash(1)), ("b.cer", Hash(1))), Does.Contain("same hash"));
            Assert.That(ManifestError(("a.cer", new byte[20])), Does.Contain("256-bit"));
        });
    }

    [Test]
    public void Manifest_HeaderRules()
    {
        var files = new[] { ("a.cer", Hash(1)) };
        Assert.Multiple(() =>
        {
            Assert.That(ManifestContent.Decode(Manifest(Int(1), Time("20260102000000Z"), Time("20260102000000Z"), Sha256, files)).Error, Does.Contain("is not after thisUpdate"));
            Assert.That(ManifestContent.Decode(Manifest(Int(1), new DerUtcTime("260101000000Z"), Time("20260102000000Z"), Sha256, files)).Error, Does.Contain("UTCTime where GeneralizedTime is required"));
            Assert.That(ManifestContent.Decode(Manifest(Int(1), Time("20260101000000.5Z"), Time("20260102000000Z"), Sha256, files)).Error, Does.Contain("YYYYMMDDHHMMSSZ"));
            Assert.That(ManifestContent.Decode(Manifest(Int(1), Time("20260101000000Z"), Time("20260102000000Z"), "1.3.14.3.2.26", files)).Error, Does.Contain("fileHashAlg is not SHA-256"));
            Assert.That(ManifestContent.Decode(Manifest(Int(-1), Time("20260101000000Z"), Time("20260102000000Z"), Sha256, files)).Error, Does.Contain("not positive"));
            var big = new DerInteger(new Org.BouncyCastle.Math.BigInteger(1, Enumerable.Repeat((byte)0xFF, 20).ToArray()));
            Assert.That(ManifestContent.Decode(Manifest(big, Time("20260101000000Z"), Time("20260102000000Z"), Sha256, files)).Error, Does.Contain("longer than 20 octets"));
            var max = new DerInteger(new Org.BouncyCastle.Math.BigInteger(1, [0x7F, .. Enumerable.Repeat((byte)0xFF, 19)]));
            Assert.That(ManifestContent.Decode(Manifest(max, Time("20260101000000Z"), Time("20260102000000Z"), Sha256, files)).IsSuccess, Is.True);
        });
        var versioned = Der(new DerSequence(new DerTaggedObject(true, 0, Int(1)), Int(1), Time("20260101000000Z"), Time("20260102000000Z"), new DerObjectIdentifier(Sha256), new DerSequence()));
        Assert.That(ManifestContent.Decode(versioned).Error, Does.Contain("version 1, expected 0"));
    }
}
