using Org.BouncyCastle.Asn1;
using RtrCache.Rpki.Objects;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary>
/// RFC 6488 / RFC 9589 signed-object template checks, on AS204325.asa with its CMS structure changed and
/// re-encoded with BouncyCastle. The template is checked before the digest and the signature, so each change is
/// reported for itself.
/// </summary>
public class CmsTemplateTests
{
    private sealed class Parts
    {
        public required DerObjectIdentifier ContentType;
        public required List<Asn1Encodable> SignedData;
        public required List<Asn1Encodable> Signer;
        public required List<Asn1Encodable> Attributes;
    }

    private static readonly DerObjectIdentifier SigningTime = new("1.2.840.113549.1.9.5");
    private static readonly DerObjectIdentifier MessageDigest = new("1.2.840.113549.1.9.4");
    private static readonly DerObjectIdentifier ContentTypeAttr = new("1.2.840.113549.1.9.3");

    private static byte[] Rebuild(Action<Parts> change, string file = "AS204325.asa")
    {
        var ci = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(Bytes(Prover(file))));
        var sd = Asn1Sequence.GetInstance(Asn1TaggedObject.GetInstance(ci[1]).GetExplicitBaseObject());
        var sdElements = sd.ToArray().ToList();
        var signer = Asn1Sequence.GetInstance(Asn1Set.GetInstance(sdElements[^1])[0]).ToArray().ToList();
        var attrs = Asn1Set.GetInstance((Asn1TaggedObject)signer[3], false).ToArray().ToList();
        var parts = new Parts { ContentType = DerObjectIdentifier.GetInstance(ci[0]), SignedData = sdElements, Signer = signer, Attributes = attrs };
        change(parts);
        parts.Signer[3] = new DerTaggedObject(false, 0, new DerSet(parts.Attributes.ToArray()));
        if (parts.SignedData[^1] is Asn1Set { Count: 1 })
            parts.SignedData[^1] = new DerSet(new DerSequence(parts.Signer.ToArray()));
        return new DerSequence(parts.ContentType, new DerTaggedObject(true, 0, new DerSequence(parts.SignedData.ToArray()))).GetEncoded(Asn1Encodable.Der);
    }

    private static string? Error(byte[] b) => AspaObject.Decode(b).Error;
    private static Asn1Encodable Attr(DerObjectIdentifier type, params Asn1Encodable[] values) => new DerSequence(type, new DerSet(values));
    private static DerObjectIdentifier TypeOf(Asn1Encodable attr) => DerObjectIdentifier.GetInstance(Asn1Sequence.GetInstance(attr)[0]);

    [Test]
    public void Unchanged_Verifies() => Assert.That(Error(Rebuild(_ => { })), Is.Null);

    [Test]
    public void SignedDataRules()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Rebuild(p => p.ContentType = new DerObjectIdentifier("1.2.840.113549.1.7.1"))), Does.Contain("expected signedData"));
            Assert.That(Error(Rebuild(p => p.SignedData[0] = DerInteger.ValueOf(1))), Does.Contain("SignedData version 1, expected 3"));
            Assert.That(Error(Rebuild(p => p.SignedData[1] = new DerSet(new DerSequence(new DerObjectIdentifier("1.3.14.3.2.26"))))), Does.Contain("expected sha256"));
            Assert.That(Error(Rebuild(p => p.SignedData[1] = new DerSet(new DerSequence(new DerObjectIdentifier("2.16.840.1.101.3.4.2.1")), new DerSequence(new DerObjectIdentifier("1.3.14.3.2.26"))))), Does.Contain("2 digest algorithms"));
            Assert.That(Error(Rebuild(p =>
            {
                var certs = Asn1Set.GetInstance((Asn1TaggedObject)p.SignedData[3], false);
                var router = Asn1Object.FromByteArray(Bytes(Prover("bgp_router_cert.cer")));
                p.SignedData[3] = new DerTaggedObject(false, 0, new DerSet(certs[0], router));
            })), Does.Contain("2 certificates in SignedData, expected exactly one EE certificate"));
            Assert.That(Error(Rebuild(p => p.SignedData.RemoveAt(3))), Does.Contain("0 certificates"));
            Assert.That(Error(Rebuild(p => p.SignedData.Insert(4, new DerTaggedObject(false, 1, new DerSet(Asn1Object.FromByteArray(Bytes(RpkiRs("ca1.crl")))))))), Does.Contain("carries CRLs"));
            Assert.That(Error(Rebuild(p => p.SignedData[^1] = new DerSet(new DerSequence(p.Signer.ToArray()), new DerSequence(p.Signer.Select((e, i) => i == 0 ? DerInteger.ValueOf(1) : e).ToArray())))), Does.Contain("2 SignerInfos"));
        });
    }

    [Test]
    public void SignerInfoRules()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Rebuild(p => p.Signer[0] = DerInteger.ValueOf(1))), Does.Contain("SignerInfo version 1, expected 3"));
            Assert.That(Error(Rebuild(p => p.Signer[1] = new DerTaggedObject(false, 0, new DerOctetString(new byte[20])))), Does.Contain("is not the EE certificate's SKI"));
            Assert.That(Error(Rebuild(p => p.Signer[1] = new DerSequence(new DerSequence(new DerSet(new DerSequence(new DerObjectIdentifier("2.5.4.3"), new DerPrintableString("x")))), DerInteger.ValueOf(5)))), Does.Contain("sid must be a subjectKeyIdentifier"));
            Assert.That(Error(Rebuild(p => p.Signer[2] = new DerSequence(new DerObjectIdentifier("1.3.14.3.2.26")))), Does.Contain("digestAlgorithm"));
            Assert.That(Error(Rebuild(p => p.Signer[4] = new DerSequence(new DerObjectIdentifier("1.2.840.10045.4.3.2")))), Does.Contain("expected rsaEncryption or sha256WithRSAEncryption"));
            Assert.That(Error(Rebuild(p => p.Signer.Add(new DerTaggedObject(false, 1, new DerSet(Attr(new DerObjectIdentifier("1.2.3"), DerNull.Instance)))))), Does.Contain("unsigned attributes must be absent"));
        });
    }

    [Test]
    public void SignedAttributeRules()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Rebuild(p => p.Attributes.Add(Attr(new DerObjectIdentifier("1.2.840.113549.1.9.16.2.46"), DerInteger.ValueOf(1700000000))))), Does.Contain("binary-signing-time attribute is not allowed (RFC 9589)"));
            Assert.That(Error(Rebuild(p => p.Attributes.Add(Attr(new DerObjectIdentifier("1.2.840.113549.1.9.52"), new DerSequence())))), Does.Contain("signed attribute 1.2.840.113549.1.9.52 is not allowed"));
            Assert.That(Error(Rebuild(p => p.Attributes.RemoveAll(a => TypeOf(a).Equals(SigningTime)))), Does.Contain("no signing-time signed attribute (required by RFC 9589)"));
            Assert.That(Error(Rebuild(p => p.Attributes.RemoveAll(a => TypeOf(a).Equals(MessageDigest)))), Does.Contain("no message-digest signed attribute"));
            Assert.That(Error(Rebuild(p => p.Attributes.RemoveAll(a => TypeOf(a).Equals(ContentTypeAttr)))), Does.Contain("no content-type signed attribute"));
            Assert.That(Error(Rebuild(p => p.Attributes.Add(Attr(SigningTime, new DerUtcTime("231020142602Z"))))), Does.Contain("appears more than once"));
            Assert.That(Error(Rebuild(p =>
            {
                p.Attributes.RemoveAll(a => TypeOf(a).Equals(SigningTime));
                p.Attributes.Add(Attr(SigningTime, new DerUtcTime("231020142601Z"), new DerUtcTime("231020142602Z")));
            })), Does.Contain("must have exactly one value"));
            Assert.That(Error(Rebuild(p =>
            {
                p.Attributes.RemoveAll(a => TypeOf(a).Equals(ContentTypeAttr));
                p.Attributes.Add(Attr(ContentTypeAttr, new DerObjectIdentifier("1.2.840.113549.1.9.16.1.24")));
            })), Does.Contain("content-type attribute id-ct-routeOriginAuthz differs from eContentType id-ct-ASPA"));
            Assert.That(Error(Rebuild(p =>
            {
                p.Attributes.RemoveAll(a => TypeOf(a).Equals(SigningTime));
                p.Attributes.Add(Attr(SigningTime, new DerUtcTime("251020142601Z")));
            })), Does.Contain("is after the EE certificate's notAfter"));
            // A change that keeps the template valid is caught by the signature over the signed attributes.
            Assert.That(Error(Rebuild(p =>
            {
                p.Attributes.RemoveAll(a => TypeOf(a).Equals(SigningTime));
                p.Attributes.Add(Attr(SigningTime, new DerGeneralizedTime("20231020142601Z")));
            })), Does.Contain("CMS signature does not verify"));
        });
    }

    [Test]
    public void EContentRules()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Error(Rebuild(p => p.SignedData[2] = new DerSequence(new DerObjectIdentifier("1.2.840.113549.1.9.16.1.49")))), Does.Contain("no eContent"));
            Assert.That(Error(Rebuild(p =>
            {
                var encap = Asn1Sequence.GetInstance(p.SignedData[2]);
                var content = Asn1OctetString.GetInstance(Asn1TaggedObject.GetInstance(encap[1]).GetExplicitBaseObject()).GetOctets();
                p.SignedData[2] = new DerSequence(encap[0], new DerTaggedObject(true, 0, new DerOctetString([.. content, 0x00])));
            })), Does.Contain("ASPA eContent: 1 trailing bytes"));
        });
    }

    /// <summary>
    /// BER is allowed in the CMS wrapper but the EE certificate inside must be DER. The certificate is taken
    /// from the wrapper's parse rather than parsed again, so this checks the DER rule still runs over its bytes.
    /// </summary>
    [Test]
    public void An_EE_certificate_that_is_BER_inside_the_CMS_is_rejected_as_not_DER()
    {
        byte[] original = Bytes(Prover("AS204325.asa"));
        Assert.That(Error(original), Is.Null, "precondition: the fixture decodes");
        // keyUsage (2.5.29.15) marked critical: BOOLEAN TRUE is 0xFF in DER; any non-zero octet is TRUE in BER.
        byte[] keyUsageCritical = [0x06, 0x03, 0x55, 0x1D, 0x0F, 0x01, 0x01, 0xFF];
        int at = original.AsSpan().IndexOf(keyUsageCritical);
        Assert.That(at, Is.GreaterThan(0), "precondition: the EE certificate has a critical keyUsage");
        var ber = (byte[])original.Clone();
        ber[at + keyUsageCritical.Length - 1] = 0x01;
        Assert.That(Error(ber), Does.Contain("EE certificate: not DER: BOOLEAN value 0x01"));
    }
}
