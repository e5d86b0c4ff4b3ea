using Org.BouncyCastle.Asn1;
using RtrCache.Rpki.Objects;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary>RFC 6487 §5 CRL profile checks, on ca1.crl with its TBSCertList changed and re-encoded.</summary>
public class CrlProfileTests
{
    // TBSCertList of ca1.crl: version, signature, issuer, thisUpdate, nextUpdate, revokedCertificates, [0] crlExtensions
    private static byte[] Mutate(Action<List<Asn1Encodable>> change)
    {
        var crl = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(Bytes(RpkiRs("ca1.crl"))));
        var tbs = Asn1Sequence.GetInstance(crl[0]).ToArray().ToList();
        change(tbs);
        return new DerSequence(new DerSequence(tbs.ToArray()), crl[1], crl[2]).GetEncoded(Asn1Encodable.Der);
    }

    private static List<Asn1Encodable> Extensions(List<Asn1Encodable> tbs)
        => Asn1Sequence.GetInstance(((Asn1TaggedObject)tbs[^1]).GetExplicitBaseObject()).ToArray().ToList();

    private static void SetExtensions(List<Asn1Encodable> tbs, IEnumerable<Asn1Encodable> extensions)
        => tbs[^1] = new DerTaggedObject(true, 0, new DerSequence(extensions.ToArray()));

    private static string? Error(byte[] b) => Crl.Decode(b).Error;

    [Test]
    public void Unchanged_VerifiesUnderCa1()
    {
        var crl = Crl.Decode(Mutate(_ => { })).GetValueOrThrow();
        Assert.That(crl.VerifySignedBy(ResourceCertificate.Decode(Bytes(RpkiRs("ca1.cer"))).GetValueOrThrow()), Is.True);
    }

    [Test]
    public void ProfileRules()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Mutate(t => t.RemoveAt(0))), Does.Contain("version 1, expected 2"));
            Assert.That(Error(Mutate(t => t.RemoveAt(4))), Does.Contain("nextUpdate missing"));
            Assert.That(Error(Mutate(t => (t[3], t[4]) = (t[4], t[3]))), Does.Contain("is not after thisUpdate"));
            Assert.That(Error(Mutate(t => t[5] = new DerSequence())), Does.Contain("empty revokedCertificates must be omitted"));
            Assert.That(Error(Mutate(t =>
            {
                var entries = Asn1Sequence.GetInstance(t[5]).ToArray().ToList();
                entries.Add(entries[0]);
                t[5] = new DerSequence(entries.ToArray());
            })), Does.Contain("listed twice"));
            Assert.That(Error(Mutate(t =>
            {
                var entries = Asn1Sequence.GetInstance(t[5]).ToArray().ToList();
                var first = Asn1Sequence.GetInstance(entries[0]);
                var reason = new DerSequence(new DerSequence(new DerObjectIdentifier("2.5.29.21"), new DerOctetString(new DerEnumerated(1).GetEncoded())));
                entries[0] = new DerSequence(first[0], first[1], reason);
                t[5] = new DerSequence(entries.ToArray());
            })), Does.Contain("CRL entry extensions are not allowed"));
            Assert.That(Error(Mutate(t => SetExtensions(t, Extensions(t).Append(new DerSequence(new DerObjectIdentifier("2.5.29.28"), new DerOctetString(new DerSequence().GetEncoded())))))),
                Does.Contain("extension 2.5.29.28 is not allowed"));
            Assert.That(Error(Mutate(t => SetExtensions(t, Extensions(t).Select(e =>
            {
                var s = Asn1Sequence.GetInstance(e);
                return s[0].Equals(new DerObjectIdentifier("2.5.29.20")) ? new DerSequence(s[0], DerBoolean.True, s[^1]) : e;
            })))), Does.Contain("critical extension 2.5.29.20"));
            Assert.That(Error(Mutate(t => SetExtensions(t, Extensions(t).Where(e => !Asn1Sequence.GetInstance(e)[0].Equals(new DerObjectIdentifier("2.5.29.35")))))), Does.Contain("no Authority Key Identifier"));
            Assert.That(Error(Mutate(t => SetExtensions(t, Extensions(t).Where(e => !Asn1Sequence.GetInstance(e)[0].Equals(new DerObjectIdentifier("2.5.29.20")))))), Does.Contain("no CRL Number"));
            Assert.That(Error(Mutate(t => t[1] = new DerSequence(new DerObjectIdentifier("1.2.840.113549.1.1.5"), DerNull.Instance))), Does.Contain("differs from the outer signatureAlgorithm"));
        });
    }

    [Test]
    public void CrlWithoutRevocations_Decodes()
    {
        var crl = Crl.Decode(Mutate(t => t.RemoveAt(5))).GetValueOrThrow();
        Assert.That(crl.RevokedCount, Is.Zero);
    }
}
