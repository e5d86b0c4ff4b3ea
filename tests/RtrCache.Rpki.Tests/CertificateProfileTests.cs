using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using RtrCache.Rpki.Objects;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary>
/// RFC 6487 profile checks that need no issuer, on real certificates with one extension changed (re-encoded with
/// BouncyCastle; the signature then no longer matches, which only the issuer could tell).
/// </summary>
public class CertificateProfileTests
{
    internal sealed record Ext(DerObjectIdentifier Oid, bool Critical, byte[] Value);

    internal static byte[] Mutate(byte[] certificate, Func<List<Ext>, IEnumerable<Ext>> change)
    {
        var cert = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(certificate));
        var tbs = (Asn1Sequence)cert.TbsCertificate.ToAsn1Object();
        var elements = new Asn1EncodableVector();
        foreach (var element in tbs)
        {
            if (element is not Asn1TaggedObject { TagNo: 3 } tagged)
            {
                elements.Add(element);
                continue;
            }
            var list = new List<Ext>();
            foreach (Asn1Sequence e in Asn1Sequence.GetInstance(tagged.GetExplicitBaseObject()))
                list.Add(new Ext(DerObjectIdentifier.GetInstance(e[0]), e.Count == 3 && DerBoolean.GetInstance(e[1]).IsTrue, Asn1OctetString.GetInstance(e[e.Count - 1]).GetOctets()));
            var extensions = new Asn1EncodableVector();
            foreach (var x in change(list))
                extensions.Add(x.Critical ? new DerSequence(x.Oid, DerBoolean.True, new DerOctetString(x.Value)) : new DerSequence(x.Oid, new DerOctetString(x.Value)));
            elements.Add(new DerTaggedObject(true, 3, new DerSequence(extensions)));
        }
        return new DerSequence(new DerSequence(elements), cert.SignatureAlgorithm, cert.Signature).GetEncoded(Asn1Encodable.Der);
    }

    private static string? Error(byte[] cert) => ResourceCertificate.Decode(cert).Error;
    private static byte[] Ca1 => Bytes(RpkiRs("ca1.cer"));
    private static byte[] Der(Asn1Encodable e) => e.GetEncoded(Asn1Encodable.Der);

    private static byte[] Replace(byte[] cert, DerObjectIdentifier oid, Func<Ext, Ext> f) => Mutate(cert, l => l.Select(e => e.Oid.Equals(oid) ? f(e) : e));
    private static byte[] Remove(byte[] cert, DerObjectIdentifier oid) => Mutate(cert, l => l.Where(e => !e.Oid.Equals(oid)));
    private static byte[] Add(byte[] cert, Ext ext) => Mutate(cert, l => l.Append(ext));

    [Test]
    public void Unchanged_RoundTripsAndDecodes()
    {
        Assert.That(Mutate(Ca1, l => l), Is.EqualTo(Ca1));
        Assert.That(Error(Mutate(Ca1, l => l)), Is.Null);
    }

    [Test]
    public void ExtensionCriticality()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Replace(Ca1, X509Extensions.KeyUsage, e => e with { Critical = false })), Does.Contain("Key Usage extension must be critical"));
            Assert.That(Error(Replace(Ca1, X509Extensions.BasicConstraints, e => e with { Critical = false })), Does.Contain("Basic Constraints extension must be critical"));
            Assert.That(Error(Replace(Ca1, X509Extensions.CertificatePolicies, e => e with { Critical = false })), Does.Contain("Certificate Policies extension must be critical"));
            Assert.That(Error(Replace(Ca1, X509Extensions.SubjectKeyIdentifier, e => e with { Critical = true })), Does.Contain("Subject Key Identifier extension must not be critical"));
            Assert.That(Error(Replace(Ca1, new DerObjectIdentifier("1.3.6.1.5.5.7.1.7"), e => e with { Critical = false })), Does.Contain("IP Address Blocks extension must be critical"));
            Assert.That(Error(Add(Ca1, new Ext(new DerObjectIdentifier("1.2.3.4"), true, [0x05, 0x00]))), Does.Contain("unknown critical extension 1.2.3.4"));
            Assert.That(Error(Add(Ca1, new Ext(new DerObjectIdentifier("1.2.3.4"), false, [0x05, 0x00]))), Is.Null, "unknown non-critical extensions are ignored");
            Assert.That(Error(Add(Ca1, new Ext(X509Extensions.SubjectKeyIdentifier, false, Der(new DerOctetString(new byte[20]))))), Does.Contain("repeated extension"));
        });
    }

    [Test]
    public void CaExtensionValues()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Replace(Ca1, X509Extensions.KeyUsage, e => e with { Value = Der(new KeyUsage(KeyUsage.DigitalSignature)) })), Does.Contain("expected keyCertSign and cRLSign only"));
            Assert.That(Error(Replace(Ca1, X509Extensions.KeyUsage, e => e with { Value = Der(new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign | KeyUsage.DigitalSignature)) })), Does.Contain("expected keyCertSign and cRLSign only"));
            Assert.That(Error(Replace(Ca1, X509Extensions.BasicConstraints, e => e with { Value = Der(new BasicConstraints(0)) })), Does.Contain("pathLenConstraint"));
            Assert.That(Error(Replace(Ca1, X509Extensions.BasicConstraints, e => e with { Value = Der(new DerSequence()) })), Does.Contain("cA FALSE"));
            Assert.That(Error(Replace(Ca1, X509Extensions.SubjectKeyIdentifier, e => e with { Value = Der(new DerOctetString(new byte[20])) })), Does.Contain("is not the SHA-1 of the public key"));
            Assert.That(Error(Replace(Ca1, X509Extensions.SubjectKeyIdentifier, e => e with { Value = Der(new DerOctetString(new byte[8])) })), Does.Contain("20-octet"));
            var fullAki = new AuthorityKeyIdentifier(new byte[20], new GeneralNames(new GeneralName(new X509Name("CN=x"))), Org.BouncyCastle.Math.BigInteger.ValueOf(5));
            Assert.That(Error(Replace(Ca1, X509Extensions.AuthorityKeyIdentifier, e => e with { Value = Der(fullAki) })), Does.Contain("only keyIdentifier"));
            Assert.That(Error(Replace(Ca1, X509Extensions.AuthorityKeyIdentifier, e => e with { Value = Der(new DerSequence(new DerTaggedObject(false, 0, new DerOctetString(new byte[20])), new DerTaggedObject(false, 2, DerInteger.ValueOf(5)))) })), Does.Contain("malformed Authority Key Identifier extension"));
            Assert.That(Error(Replace(Ca1, X509Extensions.CertificatePolicies, e => e with { Value = Der(new DerSequence(new PolicyInformation(new DerObjectIdentifier("1.3.6.1.5.5.7.14.2")), new PolicyInformation(new DerObjectIdentifier("1.2.3")))) })), Does.Contain("2 certificate policies"));
            Assert.That(Error(Replace(Ca1, X509Extensions.CertificatePolicies, e => e with { Value = Der(new DerSequence(new PolicyInformation(new DerObjectIdentifier("1.2.3")))) })), Does.Contain("expected id-cp-ipAddr-asNumber"));
            Assert.That(Error(Replace(Ca1, new DerObjectIdentifier("1.3.6.1.5.5.7.1.7"), e => e with { Oid = new DerObjectIdentifier("1.3.6.1.5.5.7.1.28") })), Does.Contain("RFC 8360"));
            Assert.That(Error(Add(Ca1, new Ext(X509Extensions.ExtendedKeyUsage, false, Der(new DerSequence(new DerObjectIdentifier("1.3.6.1.5.5.7.3.30")))))), Does.Contain("Extended Key Usage is not allowed in a CA certificate"));
        });
    }

    [Test]
    public void RequiredExtensions()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Remove(Ca1, X509Extensions.AuthorityInfoAccess)), Does.Contain("no rsync caIssuers URI"));
            Assert.That(Error(Remove(Ca1, X509Extensions.CrlDistributionPoints)), Does.Contain("CRL Distribution Points"));
            Assert.That(Error(Remove(Ca1, X509Extensions.SubjectInfoAccess)), Does.Contain("without an rsync caRepository"));
            Assert.That(Error(Remove(Ca1, X509Extensions.SubjectKeyIdentifier)), Does.Contain("no Subject Key Identifier"));
            Assert.That(Error(Remove(Ca1, X509Extensions.CertificatePolicies)), Does.Contain("no Certificate Policies"));
            Assert.That(Error(Remove(Ca1, X509Extensions.KeyUsage)), Does.Contain("no Key Usage"));
            Assert.That(Error(Remove(Remove(Ca1, new DerObjectIdentifier("1.3.6.1.5.5.7.1.7")), new DerObjectIdentifier("1.3.6.1.5.5.7.1.8"))), Does.Contain("neither IP nor AS resource extension"));
            // Without an AKI a CA certificate reads as a self-signed trust anchor, which it is not.
            Assert.That(Error(Remove(Ca1, X509Extensions.AuthorityKeyIdentifier)), Does.Contain("trust anchor certificate with an Authority Information Access"));
        });
    }

    [Test]
    public void AccessDescriptions()
    {
        static byte[] Sia(params (string Method, string Uri)[] entries)
            => Der(new DerSequence(entries.Select(e => (Asn1Encodable)new AccessDescription(new DerObjectIdentifier(e.Method), new GeneralName(GeneralName.UniformResourceIdentifier, e.Uri))).ToArray()));
        const string repo = "1.3.6.1.5.5.7.48.5", mft = "1.3.6.1.5.5.7.48.10", notify = "1.3.6.1.5.5.7.48.13";
        Assert.Multiple(() =>
        {
            Assert.That(Error(Replace(Ca1, X509Extensions.SubjectInfoAccess, e => e with { Value = Sia((repo, "rsync://a/b/"), (mft, "rsync://a/c/x.mft")) })), Does.Contain("is not inside caRepository"));
            Assert.That(Error(Replace(Ca1, X509Extensions.SubjectInfoAccess, e => e with { Value = Sia((repo, "rsync://a/b/"), (mft, "rsync://a/b/x.mft"), (notify, "http://a/n.xml")) })), Does.Contain("rpkiNotify is not an https URI"));
            Assert.That(Error(Replace(Ca1, X509Extensions.SubjectInfoAccess, e => e with { Value = Sia((repo, "https://a/b/"), (mft, "rsync://a/b/x.mft")) })), Does.Contain("without an rsync caRepository"));
            Assert.That(Error(Replace(Ca1, X509Extensions.SubjectInfoAccess, e => e with { Value = Sia((repo, "rsync://a/b c/"), (mft, "rsync://a/b/x.mft")) })), Does.Contain("URI contains a space"));
            var ok = ResourceCertificate.Decode(Replace(Ca1, X509Extensions.SubjectInfoAccess, e => e with { Value = Sia((repo, "https://mirror/b/"), (repo, "rsync://a/b/"), (mft, "rsync://a/b/x.mft"), (notify, "https://a/n.xml")) })).GetValueOrThrow();
            Assert.That((ok.CaRepositoryUri, ok.ManifestUri, ok.NotificationUri), Is.EqualTo(("rsync://a/b/", "rsync://a/b/x.mft", "https://a/n.xml")));
            Assert.That(Error(Replace(Ca1, X509Extensions.AuthorityInfoAccess, e => e with { Value = Sia(("1.3.6.1.5.5.7.48.1", "http://ocsp/")) })), Does.Contain("is not caIssuers"));
        });
    }

    [Test]
    public void RouterCertificateRules()
    {
        var router = Bytes(RpkiRs("router.cer"));
        Assert.Multiple(() =>
        {
            Assert.That(Error(Add(router, new Ext(X509Extensions.SubjectInfoAccess, false, Der(new DerSequence(new AccessDescription(new DerObjectIdentifier("1.3.6.1.5.5.7.48.11"), new GeneralName(GeneralName.UniformResourceIdentifier, "rsync://a/b.roa"))))))),
                Does.Contain("router certificate with a Subject Information Access extension"));
            var ipBlocks = Der(new DerSequence(new DerSequence(new DerOctetString([0, 1]), new DerSequence(new DerBitString([10], 0)))));
            Assert.That(Error(Add(router, new Ext(new DerObjectIdentifier("1.3.6.1.5.5.7.1.7"), true, ipBlocks))), Does.Contain("router certificate with IP resources"));
            var inherit = Der(new DerSequence(new DerTaggedObject(true, 0, DerNull.Instance)));
            Assert.That(Error(Replace(router, new DerObjectIdentifier("1.3.6.1.5.5.7.1.8"), e => e with { Value = inherit })), Does.Contain("explicit AS resources"));
            Assert.That(Error(Replace(router, X509Extensions.KeyUsage, e => e with { Value = Der(new KeyUsage(KeyUsage.KeyCertSign)) })), Does.Contain("expected digitalSignature only"));
        });
    }

    [Test]
    public void TrustAnchorRules()
    {
        var ta = Bytes(RpkiRs("ta.cer"));
        var inherit = Der(new DerSequence(new DerTaggedObject(true, 0, DerNull.Instance)));
        Assert.Multiple(() =>
        {
            Assert.That(Error(Replace(ta, new DerObjectIdentifier("1.3.6.1.5.5.7.1.8"), e => e with { Value = inherit })), Does.Contain("trust anchor certificate with 'inherit' resources"));
            Assert.That(Error(Add(ta, new Ext(X509Extensions.CrlDistributionPoints, false, CrlDp()))), Does.Contain("trust anchor certificate with a CRL Distribution Points extension"));
            // Any change to the TBS breaks the self-signature, which is checked for trust anchors.
            Assert.That(Error(Add(ta, new Ext(new DerObjectIdentifier("1.2.3.4"), false, [0x05, 0x00]))), Does.Contain("self-signature of the trust anchor certificate does not verify"));
        });
    }

    private static byte[] CrlDp()
        => Der(new CrlDistPoint([new DistributionPoint(new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.UniformResourceIdentifier, "rsync://a/b.crl"))), null, null)]));
}
