using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using RtrCache.Payload;
using ContentInfo = Org.BouncyCastle.Asn1.Cms.ContentInfo;
using SignedData = Org.BouncyCastle.Asn1.Cms.SignedData;
using SignerInfo = Org.BouncyCastle.Asn1.Cms.SignerInfo;

namespace RtrCache.Testbed;

/// <summary>The OIDs of rpki-objects.md §2 that BouncyCastle has no constant for.</summary>
public static class Oids
{
    public static readonly DerObjectIdentifier RoaContentType = new("1.2.840.113549.1.9.16.1.24");
    public static readonly DerObjectIdentifier ManifestContentType = new("1.2.840.113549.1.9.16.1.26");
    public static readonly DerObjectIdentifier AspaContentType = new("1.2.840.113549.1.9.16.1.49");
    public static readonly DerObjectIdentifier CertPolicyRpki = new("1.3.6.1.5.5.7.14.2");
    public static readonly DerObjectIdentifier IpAddrBlocks = new("1.3.6.1.5.5.7.1.7");
    public static readonly DerObjectIdentifier AutonomousSysIds = new("1.3.6.1.5.5.7.1.8");
    public static readonly DerObjectIdentifier CaRepository = new("1.3.6.1.5.5.7.48.5");
    public static readonly DerObjectIdentifier RpkiManifest = new("1.3.6.1.5.5.7.48.10");
    public static readonly DerObjectIdentifier SignedObject = new("1.3.6.1.5.5.7.48.11");
    public static readonly DerObjectIdentifier RpkiNotify = new("1.3.6.1.5.5.7.48.13");
    public static readonly DerObjectIdentifier BgpsecRouter = new("1.3.6.1.5.5.7.3.30");
    public static readonly DerObjectIdentifier Sha256 = NistObjectIdentifiers.IdSha256;
    public static readonly DerObjectIdentifier Sha256WithRsa = PkcsObjectIdentifiers.Sha256WithRsaEncryption;
    public static readonly DerObjectIdentifier RsaEncryption = PkcsObjectIdentifiers.RsaEncryption;
}

/// <summary>DER encoders of the eContents (RFC 9582 ROA, RFC 9286 manifest, ASPA profile -29).</summary>
public static class Encoders
{
    public static byte[] Roa(uint asn, IReadOnlyList<RoaPrefix> prefixes)
    {
        var families = new Asn1EncodableVector();
        foreach (var v6 in new[] { false, true })
        {
            var addrs = new Asn1EncodableVector();
            // RFC 9582 §4.3.3 canonical order: address, then prefix length, then maxLength
            foreach (var p in prefixes.Where(p => p.Prefix.IsIPv6 == v6)
                         .OrderBy(p => p.Prefix.AddressBits).ThenBy(p => p.Prefix.Length).ThenBy(p => p.EffectiveMaxLength))
            {
                var bits = ResourceSet.PrefixBits(p.Prefix.AddressBits, p.Prefix.Length, p.Prefix.FamilyBits);
                addrs.Add(p.MaxLength is int m ? new DerSequence(bits, DerInteger.ValueOf(m)) : new DerSequence(bits));
            }
            if (addrs.Count > 0)
                families.Add(new DerSequence(new DerOctetString(v6 ? [0, 2] : [0, 1]), new DerSequence(addrs)));
        }
        return new DerSequence(DerInteger.ValueOf(asn), new DerSequence(families)).GetDerEncoded();
    }

    public static byte[] Aspa(int? version, uint customer, IReadOnlyList<uint> providers)
    {
        var v = new Asn1EncodableVector();
        if (version is int ver) v.Add(new DerTaggedObject(true, 0, DerInteger.ValueOf(ver)));
        v.Add(DerInteger.ValueOf(customer));
        v.Add(new DerSequence(providers.Select(p => (Asn1Encodable)DerInteger.ValueOf(p)).ToArray()));
        return new DerSequence(v).GetDerEncoded();
    }

    public static byte[] Manifest(long number, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate, IReadOnlyList<(string Name, byte[] Hash)> entries)
    {
        var files = new Asn1EncodableVector();
        foreach (var (name, hash) in entries)
            files.Add(new DerSequence(new DerIA5String(name, false), new DerBitString(hash)));
        return new DerSequence(
            DerInteger.ValueOf(number),
            GeneralizedTime(thisUpdate),
            GeneralizedTime(nextUpdate),
            Oids.Sha256,
            new DerSequence(files)).GetDerEncoded();
    }

    public static DerGeneralizedTime GeneralizedTime(DateTimeOffset t)
        => new(t.UtcDateTime.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "Z");

    /// <summary>UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).</summary>
    public static Org.BouncyCastle.Asn1.X509.Time CertTime(DateTimeOffset t)
    {
        var u = t.UtcDateTime;
        if (u.Year < 2050)
            return new Org.BouncyCastle.Asn1.X509.Time(new DerUtcTime(u.ToString("yyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "Z"));
        return new Org.BouncyCastle.Asn1.X509.Time(GeneralizedTime(t));
    }

    /// <summary>A Name of one CommonName in a PrintableString.</summary>
    public static X509Name Name(string commonName)
        => X509Name.GetInstance(new DerSequence(new DerSet(new DerSequence(X509Name.CN, new DerPrintableString(commonName, true)))));

    public static AlgorithmIdentifier Sha256WithRsa => new(Oids.Sha256WithRsa, DerNull.Instance);

    /// <summary>
    /// CMS SignedData per RFC 6488 / RFC 9589: version 3, one digest algorithm (SHA-256, no parameters), the
    /// eContent, exactly one EE certificate, no CRLs, one SignerInfo (version 3, sid = SKI) with the signed
    /// attributes content-type, signing-time and message-digest, signature algorithm rsaEncryption.
    /// </summary>
    public static byte[] SignedObject(DerObjectIdentifier contentType, byte[] eContent, byte[] eeCertificate, RsaKey eeKey,
        DateTimeOffset signingTime, bool corruptSignature = false)
    {
        var digestAlg = new AlgorithmIdentifier(Oids.Sha256);
        var digest = System.Security.Cryptography.SHA256.HashData(eContent);
        var attrs = new DerSet(new Asn1EncodableVector(
            new Org.BouncyCastle.Asn1.Cms.Attribute(CmsAttributes.ContentType, new DerSet(contentType)),
            new Org.BouncyCastle.Asn1.Cms.Attribute(CmsAttributes.SigningTime, new DerSet(CertTime(signingTime))),
            new Org.BouncyCastle.Asn1.Cms.Attribute(CmsAttributes.MessageDigest, new DerSet(new DerOctetString(digest)))));
        var signature = eeKey.Sign(attrs.GetDerEncoded());
        if (corruptSignature) signature[signature.Length / 2] ^= 0x01;
        var signerInfo = new SignerInfo(
            new SignerIdentifier(new SubjectKeyIdentifier(eeKey.Ski)),
            digestAlg,
            attrs,
            new AlgorithmIdentifier(Oids.RsaEncryption, DerNull.Instance),
            new DerOctetString(signature),
            null);
        var signedData = new SignedData(
            new DerSet(digestAlg),
            new ContentInfo(contentType, new DerOctetString(eContent)),
            new DerSet(Asn1Object.FromByteArray(eeCertificate)),
            null,
            new DerSet(signerInfo));
        return new ContentInfo(CmsObjectIdentifiers.SignedData, signedData).GetDerEncoded();
    }
}
