using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using RtrCache.Rpki.Objects;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary>
/// Hostile and broken input: every case must come back as a rejection with a reason, never as an exception
/// (and never as a stack overflow, which no catch could stop).
/// </summary>
public class MalformedInputTests
{
    public static IEnumerable<TestCaseData> BinaryFixtures()
        => AllObjectFiles().Where(f => !f.EndsWith(".tal", StringComparison.Ordinal) && !f.EndsWith(".der", StringComparison.Ordinal))
            .Select(f => new TestCaseData(f).SetArgDisplayNames(Path.GetFileName(f)));

    public static IEnumerable<TestCaseData> AllFixtures()
        => AllObjectFiles().Where(f => !f.EndsWith(".der", StringComparison.Ordinal))
            .Select(f => new TestCaseData(f).SetArgDisplayNames(Path.GetFileName(f)));

    /// <summary>Every decoder entry point, so a hostile input is fed to all of them.</summary>
    private static readonly (string Name, Func<byte[], string?> Decode)[] Decoders =
    [
        ("RpkiFile .cer", b => Error(RpkiFile.Decode(b, "x.cer"))),
        ("RpkiFile .crl", b => Error(RpkiFile.Decode(b, "x.crl"))),
        ("RpkiFile .mft", b => Error(RpkiFile.Decode(b, "x.mft"))),
        ("RpkiFile .roa", b => Error(RpkiFile.Decode(b, "x.roa"))),
        ("RpkiFile .asa", b => Error(RpkiFile.Decode(b, "x.asa"))),
        ("RpkiFile .gbr", b => Error(RpkiFile.Decode(b, "x.gbr"))),
        ("RpkiFile .tal", b => Error(RpkiFile.Decode(b, "x.tal"))),
        ("ResourceCertificate", b => Error(ResourceCertificate.Decode(b))),
        ("RouterCertificate", b => Error(RouterCertificate.Decode(b))),
        ("Crl", b => Error(Crl.Decode(b))),
        ("Manifest", b => Error(Manifest.Decode(b))),
        ("RoaObject", b => Error(RoaObject.Decode(b))),
        ("AspaObject", b => Error(AspaObject.Decode(b))),
        ("SignedObject", b => Error(SignedObject.Decode(b, RpkiObjectType.Ghostbusters))),
        ("ManifestContent", b => Error(ManifestContent.Decode(b))),
        ("RoaContent", b => Error(RoaContent.Decode(b))),
        ("AspaContent", b => Error(AspaContent.Decode(b))),
        ("RpkiPublicKey", b => Error(RpkiPublicKey.Decode(b))),
    ];

    private static string? Error<T>(Decoded<T> d) where T : class => d.IsSuccess ? null : d.Error;

    private static void AssertRejectedByAll(byte[] input, string? expected = null)
    {
        foreach (var (name, decode) in Decoders)
        {
            string? error = null;
            Assert.DoesNotThrow(() => error = decode(input), name);
            Assert.That(error, Is.Not.Null.And.Not.Empty, $"{name} accepted the input");
            if (expected is not null && !name.EndsWith(".tal", StringComparison.Ordinal))
                Assert.That(error, Does.Contain(expected), name);
        }
    }

    private static Decoded<RpkiObject> DecodeNoThrow(byte[] bytes, string name)
    {
        Decoded<RpkiObject> result = default;
        Assert.DoesNotThrow(() => result = RpkiFile.Decode(bytes, name), name);
        return result;
    }

    [TestCaseSource(nameof(BinaryFixtures))]
    public void Truncated_IsRejected(string file)
    {
        var bytes = Bytes(file);
        var cuts = Enumerable.Range(0, Math.Min(64, bytes.Length)).Concat(Enumerable.Range(64, Math.Max(0, bytes.Length - 64)).Where(i => i % 13 == 0)).Append(bytes.Length - 1);
        foreach (int cut in cuts.Distinct())
        {
            var result = DecodeNoThrow(bytes[..cut], DecodeName(file));
            Assert.That(result.IsSuccess, Is.False, $"cut at {cut}");
            Assert.That(result.Error, Is.Not.Empty);
        }
    }

    [TestCaseSource(nameof(BinaryFixtures))]
    public void TrailingGarbage_IsRejected(string file)
    {
        var bytes = Bytes(file);
        foreach (var tail in new byte[][] { [0x00], [0x00, 0x00], [0x05, 0x00], [0x30, 0x00], [0xDE, 0xAD, 0xBE, 0xEF] })
        {
            var result = DecodeNoThrow([.. bytes, .. tail], DecodeName(file));
            Assert.That(result.IsSuccess, Is.False, Convert.ToHexString(tail));
            Assert.That(result.Error, Does.Contain("trailing"));
        }
    }

    [TestCaseSource(nameof(BinaryFixtures))]
    public void AbsurdOuterLength_IsRejected(string file)
    {
        var bytes = Bytes(file);
        int headerLength = bytes[1] < 0x80 ? 2 : bytes[1] == 0x80 ? 2 : 2 + (bytes[1] & 0x7F);
        var content = bytes[headerLength..];
        byte[] huge = [bytes[0], 0x84, 0x7F, 0xFF, 0xFF, 0xFF, .. content];
        Assert.That(DecodeNoThrow(huge, DecodeName(file)).Error, Does.Contain("exceeds"));
        byte[] eightOctets = [bytes[0], 0x88, 0, 0, 0, 0, 0, 0, 0x01, 0x00, .. content];
        Assert.That(DecodeNoThrow(eightOctets, DecodeName(file)).Error, Does.Contain("absurd length"));
        byte[] reserved = [bytes[0], 0xFF, .. content];
        Assert.That(DecodeNoThrow(reserved, DecodeName(file)).Error, Is.Not.Empty);
    }

    [TestCaseSource(nameof(BinaryFixtures))]
    public void InnerLengthBeyondItsParent_IsRejected(string file)
    {
        var bytes = Bytes(file);
        int headerLength = bytes[1] < 0x80 ? 2 : bytes[1] == 0x80 ? 2 : 2 + (bytes[1] & 0x7F);
        // The first child starts right after the outer header; give it a length beyond the whole file.
        var mutated = (byte[])bytes.Clone();
        int p = headerLength + 1;
        if (mutated[p] < 0x80) mutated[p] = 0x7F;
        else if (mutated[p] == 0x80) mutated[p] = 0x7F;
        else for (int i = 1; i <= (mutated[p] & 0x7F); i++) mutated[p + i] = 0xFF;
        var result = DecodeNoThrow(mutated, DecodeName(file));
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(result.Error, Is.Not.Empty);
    }

    [Test]
    public void DeeplyNestedDefiniteLength_IsRejectedByEveryDecoder()
    {
        byte[] inner = [0x05, 0x00];
        for (int i = 0; i < 20_000; i++) inner = Wrap(0x30, inner);
        AssertRejectedByAll(inner, "nested deeper than 32 levels");
    }

    [Test]
    public void DeeplyNestedIndefiniteLength_IsRejectedByEveryDecoder()
    {
        const int depth = 200_000;
        var b = new byte[depth * 4];
        for (int i = 0; i < depth; i++)
        {
            b[2 * i] = 0x30;
            b[2 * i + 1] = 0x80;
        }
        AssertRejectedByAll(b);
        Assert.That(Error(Manifest.Decode(b)), Does.Contain("nested deeper than 32 levels"), "BER is allowed at the CMS layer, so the depth guard fires");
        Assert.That(Error(ResourceCertificate.Decode(b)), Does.Contain("not DER: indefinite length"));
    }

    [Test]
    public void TooManyElements_AreRejectedBeforeBouncyCastleBuildsThem()
    {
        var content = new byte[2 * 1_000_001];
        for (int i = 0; i < content.Length; i += 2) content[i] = 0x05; // NULL
        byte[] many = [0x30, 0x83, (byte)(content.Length >> 16), (byte)(content.Length >> 8), (byte)content.Length, .. content];
        Assert.That(Error(ManifestContent.Decode(many)), Does.Contain("more than 1000000 ASN.1 elements"));
        Assert.That(Error(Crl.Decode(many)), Does.Contain("more than 1000000 ASN.1 elements"));
    }

    [Test]
    public void DeeplyNestedConstructedOctetString_IsRejected()
    {
        byte[] inner = [0x04, 0x01, 0x00];
        for (int i = 0; i < 5_000; i++) inner = Wrap(0x24, inner);
        AssertRejectedByAll(inner);
        Assert.That(Error(Manifest.Decode(inner)), Does.Contain("nested deeper"));
    }

    [Test]
    public void DeeplyNestedExtensionValue_InsideAnOtherwiseValidCertificate_IsRejected()
    {
        // ca1.cer with its certificate-policies extension value replaced by 1,000 nested SEQUENCEs: the outer
        // certificate is shallow (the value is inside an OCTET STRING), the guard must catch the inner parse.
        byte[] deep = [0x05, 0x00];
        for (int i = 0; i < 1_000; i++) deep = Wrap(0x30, deep);
        var cert = ReplaceExtension(Bytes(RpkiRs("ca1.cer")), X509Extensions.CertificatePolicies, deep);
        var result = ResourceCertificate.Decode(cert);
        Assert.That(result.Error, Does.Contain("Certificate Policies extension").And.Contain("nested deeper than 32 levels"));
    }

    [Test]
    public void TrailingBytesInsideAnExtensionValue_AreRejected()
    {
        var cert = ReplaceExtension(Bytes(RpkiRs("ca1.cer")), X509Extensions.CertificatePolicies, [0x30, 0x0C, 0x30, 0x0A, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x0E, 0x02, 0x00]);
        Assert.That(ResourceCertificate.Decode(cert).Error, Does.Contain("trailing"));
    }

    [Test]
    public void ReplaceExtensionHelper_ReEncodesFaithfully()
    {
        // Sanity check of the helper used above: putting back the same policy value reproduces ca1.cer exactly,
        // so its signature still verifies; the RFC 8360 -v2 policy is rejected.
        var policy = new byte[] { 0x30, 0x0C, 0x30, 0x0A, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x0E, 0x02 };
        var original = Bytes(RpkiRs("ca1.cer"));
        Assert.That(ReplaceExtension(original, X509Extensions.CertificatePolicies, policy), Is.EqualTo(original));
        var ta = ResourceCertificate.Decode(Bytes(RpkiRs("ta.cer"))).GetValueOrThrow();
        var v2Policy = ResourceCertificate.Decode(ReplaceExtension(original, X509Extensions.CertificatePolicies, [0x30, 0x0C, 0x30, 0x0A, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x0E, 0x03]));
        Assert.That(v2Policy.Error, Does.Contain("RFC 8360) is not supported"));
        Assert.That(ResourceCertificate.Decode(original).GetValueOrThrow().VerifySignedBy(ta), Is.True);
    }

    [TestCaseSource(nameof(AllFixtures))]
    public void RandomByteFlips_NeverThrow(string file)
    {
        var bytes = Bytes(file);
        var random = new Random(file.Length * 7919 + bytes.Length);
        int rejected = 0;
        for (int round = 0; round < 300; round++)
        {
            var mutated = (byte[])bytes.Clone();
            int flips = 1 + random.Next(3);
            for (int i = 0; i < flips; i++) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            var result = DecodeNoThrow(mutated, DecodeName(file));
            if (!result.IsSuccess)
            {
                Assert.That(result.Error, Is.Not.Empty);
                rejected++;
            }
        }
        Assert.That(rejected, Is.GreaterThan(0));
    }

    [Test]
    public void RandomBytes_NeverThrow()
    {
        var random = new Random(4242);
        for (int round = 0; round < 2000; round++)
        {
            var b = new byte[random.Next(0, 300)];
            random.NextBytes(b);
            if (b.Length > 0 && round % 2 == 0) b[0] = 0x30;
            foreach (var (name, decode) in Decoders)
            {
                string? error = null;
                Assert.DoesNotThrow(() => error = decode(b), name);
            }
        }
    }

    [Test]
    public void TamperedContent_IsCaughtByTheMessageDigest()
    {
        // AS204325.asa lists providers 65000, 65002, 65003; make the last one 65004 (still ascending and valid).
        var bytes = Bytes(Prover("AS204325.asa"));
        byte[] provider = [0x02, 0x03, 0x00, 0xFD, 0xEB]; // INTEGER 65003
        int at = bytes.AsSpan().IndexOf(provider);
        Assert.That(at, Is.GreaterThan(0));
        var mutated = (byte[])bytes.Clone();
        mutated[at + 4] = 0xEC;
        Assert.That(AspaObject.Decode(mutated).Error, Is.EqualTo("ASPA: message-digest attribute does not match the SHA-256 of the eContent"));
    }

    [Test]
    public void TamperedSignature_IsRejected()
    {
        var bytes = Bytes(Prover("AS204325.asa"));
        var mutated = (byte[])bytes.Clone();
        mutated[^1] ^= 0x01; // the last byte of a DER signed object is the last byte of the CMS signature
        Assert.That(AspaObject.Decode(mutated).Error, Is.EqualTo("ASPA: CMS signature does not verify with the EE certificate's key"));
    }

    [Test]
    public void TamperedSigningTime_BreaksTheSignature()
    {
        var bytes = Bytes(Prover("AS204325.asa"));
        int at = bytes.AsSpan().IndexOf("231020142601Z"u8);
        Assert.That(at, Is.GreaterThan(0));
        var mutated = (byte[])bytes.Clone();
        mutated[at + 11] = (byte)'2'; // 14:26:02
        Assert.That(AspaObject.Decode(mutated).Error, Does.Contain("CMS signature does not verify"));
    }

    [Test]
    public void OversizedInput_IsRejectedBeforeParsing()
    {
        var big = new byte[8 * 1024 * 1024 + 1];
        big[0] = 0x30;
        foreach (var (name, decode) in Decoders)
            Assert.That(decode(big), Does.Contain("larger than").IgnoreCase, name);
    }

    [Test]
    public void EmptyInput_IsRejected() => AssertRejectedByAll([]);

    [Test]
    public void WrongFileType_IsRejectedByTheContentType()
    {
        var result = RpkiFile.Decode(Bytes(RpkiRs("ca1.mft")), "ca1.roa");
        Assert.That(result.Error, Is.EqualTo("ROA: eContentType id-ct-rpkiManifest does not match the file type (id-ct-routeOriginAuthz)"));
        Assert.That(RpkiFile.Decode(Bytes(RpkiRs("ca1.crl")), "ca1.cer").Error, Does.StartWith("certificate: not an X.509 certificate"));
        Assert.That(RpkiFile.Decode(Bytes(RpkiRs("ca1.cer")), "ca1.crl").Error, Does.StartWith("CRL: not an X.509 CRL"));
        Assert.That(RpkiFile.Decode(Bytes(RpkiRs("ca1.cer")), "ca1.mft").Error, Does.StartWith("manifest: not a CMS SignedData"));
    }

    [Test]
    public void EeCertificatePublishedAsCer_IsRejected()
    {
        var result = RpkiFile.Decode(EeCertificate(RpkiRs("ca1.mft")), "ee.cer");
        Assert.That(result.Error, Does.Contain("an EE certificate").And.Contain("cannot be published as a .cer"));
        Assert.That(RouterCertificate.Decode(Bytes(RpkiRs("ca1.cer"))).Error, Does.Contain("not a BGPsec router certificate"));
    }

    [Test]
    public void UnknownExtension_IsRecognisedNotRejected()
    {
        var result = RpkiFile.Decode(Bytes(RpkiRs("ca1.cer")), "rsync://host/module/file.xyz");
        Assert.That(result.IsSuccess, Is.True);
        Assert.That(result.Value!.Type, Is.EqualTo(RpkiObjectType.Unknown));
        Assert.That(RpkiFile.TypeFromName("a/b.c/file"), Is.EqualTo(RpkiObjectType.Unknown));
        Assert.That(RpkiFile.TypeFromName("rsync://x/y/Z.ROA"), Is.EqualTo(RpkiObjectType.Roa));
        Assert.That(RpkiFile.TypeFromName("x.gbr"), Is.EqualTo(RpkiObjectType.Ghostbusters));
    }

    internal static byte[] Wrap(byte tag, byte[] content)
    {
        int n = content.Length;
        byte[] length = n < 0x80 ? [(byte)n]
            : n < 0x100 ? [0x81, (byte)n]
            : n < 0x10000 ? [0x82, (byte)(n >> 8), (byte)n]
            : [0x83, (byte)(n >> 16), (byte)(n >> 8), (byte)n];
        return [tag, .. length, .. content];
    }

    /// <summary>Re-encodes a certificate with one extension's value replaced (the signature no longer matches).</summary>
    internal static byte[] ReplaceExtension(byte[] certificate, DerObjectIdentifier oid, byte[] newValue)
    {
        var cert = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(certificate));
        var tbs = (Asn1Sequence)cert.TbsCertificate.ToAsn1Object();
        var tbsElements = new Asn1EncodableVector();
        foreach (var element in tbs)
        {
            if (element is Asn1TaggedObject { TagNo: 3 } tagged)
            {
                var extensions = new Asn1EncodableVector();
                foreach (Asn1Sequence ext in Asn1Sequence.GetInstance(tagged.GetExplicitBaseObject()))
                {
                    if (!DerObjectIdentifier.GetInstance(ext[0]).Equals(oid))
                    {
                        extensions.Add(ext);
                        continue;
                    }
                    var replaced = new Asn1EncodableVector();
                    for (int i = 0; i < ext.Count - 1; i++) replaced.Add(ext[i]);
                    replaced.Add(new DerOctetString(newValue));
                    extensions.Add(new DerSequence(replaced));
                }
                tbsElements.Add(new DerTaggedObject(true, 3, new DerSequence(extensions)));
            }
            else
            {
                tbsElements.Add(element);
            }
        }
        return new DerSequence(new DerSequence(tbsElements), cert.SignatureAlgorithm, cert.Signature).GetEncoded(Asn1Encodable.Der);
    }
}
