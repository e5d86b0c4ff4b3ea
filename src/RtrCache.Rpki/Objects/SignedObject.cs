using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.X509;
using RtrCache.Rpki.Asn1;
using Attribute = Org.BouncyCastle.Asn1.Cms.Attribute;

namespace RtrCache.Rpki.Objects;

/// <summary>
/// An RPKI signed object (RFC 6488 as updated by RFC 9589) whose CMS template checks passed: one EE certificate
/// (itself profile-checked), one signer identified by the EE's SKI, SHA-256, exactly the content-type,
/// message-digest and signing-time signed attributes, eContentType matching the file type, message digest
/// matching the eContent and the signature verifying with the EE key. The eContent is not interpreted here
/// (see <see cref="Manifest"/>, <see cref="RoaObject"/>, <see cref="AspaObject"/>); for .gbr, .tak, .spl and .sig
/// this is the whole decoded object.
/// </summary>
public sealed class SignedObject : RpkiObject
{
    internal SignedObject(RpkiObjectType type, ResourceCertificate ee, string contentType, byte[] content, DateTimeOffset signingTime)
    {
        Type = type;
        EeCertificate = ee;
        ContentType = contentType;
        _content = content;
        SigningTime = signingTime;
    }

    private readonly byte[] _content;

    public override RpkiObjectType Type { get; }

    /// <summary>The EE certificate that signed the object.</summary>
    public ResourceCertificate EeCertificate { get; }

    /// <summary>The eContentType OID.</summary>
    public string ContentType { get; }

    /// <summary>The eContent (DER of the type-specific payload).</summary>
    public ReadOnlyMemory<byte> Content => _content;

    /// <summary>The CMS signing-time attribute.</summary>
    public DateTimeOffset SigningTime { get; }

    public override DateTimeOffset? ExpiresAt => EeCertificate.NotAfter;

    public override string? CheckValidityAt(DateTimeOffset now) => CheckWindow("EE certificate", EeCertificate.NotBefore, EeCertificate.NotAfter, now);

    /// <summary>
    /// Decodes and fully verifies (digest and signature) a signed object whose eContentType must be that of
    /// <paramref name="expectedType"/>, without interpreting the eContent.
    /// </summary>
    public static Decoded<SignedObject> Decode(ReadOnlyMemory<byte> bytes, RpkiObjectType expectedType)
        => Decoding.Run(Describe(expectedType), bytes, b =>
        {
            var envelope = SignedObjectEnvelope.Open(b, expectedType, Describe(expectedType));
            envelope.Verify();
            return envelope.ToSignedObject();
        });

    /// <summary>The eContentType OID of a signed-object type, or null for types that are not signed objects.</summary>
    public static string? ContentTypeOf(RpkiObjectType type) => type switch
    {
        RpkiObjectType.Manifest => Oids.ContentTypeManifest,
        RpkiObjectType.Roa => Oids.ContentTypeRoa,
        RpkiObjectType.Aspa => Oids.ContentTypeAspa,
        RpkiObjectType.Ghostbusters => Oids.ContentTypeGhostbusters,
        RpkiObjectType.TrustAnchorKey => Oids.ContentTypeSignedTal,
        RpkiObjectType.SignedPrefixList => Oids.ContentTypeSignedPrefixList,
        RpkiObjectType.SignedChecklist => Oids.ContentTypeSignedChecklist,
        _ => null,
    };

    internal static string Describe(RpkiObjectType type) => type switch
    {
        RpkiObjectType.Manifest => "manifest",
        RpkiObjectType.Roa => "ROA",
        RpkiObjectType.Aspa => "ASPA",
        RpkiObjectType.Ghostbusters => "Ghostbusters record",
        RpkiObjectType.TrustAnchorKey => "TAK",
        RpkiObjectType.SignedPrefixList => "signed prefix list",
        RpkiObjectType.SignedChecklist => "RSC",
        _ => "signed object",
    };

    public override string ToString() => $"{Describe(Type)} signed by {EeCertificate.SubjectKeyIdentifier}";
}

/// <summary>
/// A signed object after the CMS template and EE certificate checks, before the (costlier) digest and signature
/// checks. The type-specific decoders interpret the eContent in between, so a malformed payload is reported as
/// such rather than as a digest mismatch, and no cryptography is spent on objects that fail cheaper checks.
/// </summary>
internal sealed class SignedObjectEnvelope
{
    private byte[] _messageDigest = [];
    private byte[] _signedAttributes = [];
    private byte[] _signature = [];

    public RpkiObjectType Type { get; private init; }
    public ResourceCertificate Ee { get; private set; } = null!;
    public string ContentType { get; private init; } = "";
    public byte[] Content { get; private init; } = [];
    public DateTimeOffset SigningTime { get; private set; }
    public string What { get; private init; } = "";

    public static SignedObjectEnvelope Open(ReadOnlyMemory<byte> bytes, RpkiObjectType expectedType, string what)
    {
        string expectedOid = SignedObject.ContentTypeOf(expectedType) ?? throw new ArgumentException("not a signed-object type", nameof(expectedType));
        var obj = Asn1Util.Parse(bytes, requireDer: false, what);
        ContentInfo contentInfo;
        SignedData signedData;
        try
        {
            contentInfo = ContentInfo.GetInstance(obj);
            if (contentInfo.ContentType.Id != Oids.SignedData)
                throw Decoding.Fail($"{what}: CMS content type {contentInfo.ContentType.Id}, expected signedData");
            signedData = SignedData.GetInstance(contentInfo.Content);
        }
        catch (ArgumentException e)
        {
            throw Decoding.Fail($"{what}: not a CMS SignedData ({e.Message})");
        }

        if (!signedData.Version.HasValue(3)) throw Decoding.Fail($"{what}: SignedData version {signedData.Version.Value}, expected 3");
        if (signedData.DigestAlgorithms.Count != 1) throw Decoding.Fail($"{what}: {signedData.DigestAlgorithms.Count} digest algorithms, expected exactly sha256");
        RequireSha256(AlgorithmIdentifier.GetInstance(signedData.DigestAlgorithms[0]), $"{what}: digestAlgorithms");

        var encap = signedData.EncapContentInfo;
        string contentType = encap.ContentType.Id;
        if (contentType != expectedOid)
            throw Decoding.Fail($"{what}: eContentType {Oids.Describe(contentType)} does not match the file type ({Oids.Describe(expectedOid)})");
        if (encap.Content is null) throw Decoding.Fail($"{what}: no eContent");
        if (encap.Content.ToAsn1Object() is not Asn1OctetString eContent) throw Decoding.Fail($"{what}: eContent is not an OCTET STRING");
        byte[] content = eContent.GetOctets();

        int certCount = signedData.Certificates?.Count ?? 0;
        if (certCount != 1) throw Decoding.Fail($"{what}: {certCount} certificates in SignedData, expected exactly one EE certificate");
        if (signedData.Certificates![0].ToAsn1Object() is not Asn1Sequence certificate) throw Decoding.Fail($"{what}: the certificate is not an X.509 certificate");
        if (signedData.CRLs is not null) throw Decoding.Fail($"{what}: SignedData carries CRLs (must be absent)");
        if (signedData.SignerInfos.Count != 1) throw Decoding.Fail($"{what}: {signedData.SignerInfos.Count} SignerInfos, expected exactly one");

        var signer = SignerInfo.GetInstance(signedData.SignerInfos[0]);
        if (!signer.Version.HasValue(3)) throw Decoding.Fail($"{what}: SignerInfo version {signer.Version.Value}, expected 3");
        if (Asn1Sequence.GetInstance(signedData.SignerInfos[0])[1].ToAsn1Object() is not Asn1TaggedObject sidTag || sidTag.TagClass != Asn1Tags.ContextSpecific || sidTag.TagNo != 0)
            throw Decoding.Fail($"{what}: SignerInfo sid must be a subjectKeyIdentifier (RFC 6488 §2.1.6.2)");
        if (!KeyIdentifier.TryCreate(Asn1OctetString.GetInstance(sidTag, false).GetOctets(), out var sid))
            throw Decoding.Fail($"{what}: SignerInfo subjectKeyIdentifier is not 20 octets");
        RequireSha256(signer.DigestAlgorithm, $"{what}: SignerInfo digestAlgorithm");
        string sigAlg = signer.SignatureAlgorithm.Algorithm.Id;
        if (sigAlg is not (Oids.RsaEncryption or Oids.Sha256WithRsa) || !Asn1Util.ParametersAbsentOrNull(signer.SignatureAlgorithm))
            throw Decoding.Fail($"{what}: signature algorithm {Oids.Describe(sigAlg)}, expected rsaEncryption or sha256WithRSAEncryption");
        if (signer.UnsignedAttrs is not null) throw Decoding.Fail($"{what}: unsigned attributes must be absent");
        if (signer.SignedAttrs is null) throw Decoding.Fail($"{what}: no signed attributes");

        string? ctAttr = null;
        byte[]? digest = null;
        DateTimeOffset? signingTime = null;
        foreach (var encodable in signer.SignedAttrs)
        {
            var attr = Attribute.GetInstance(encodable);
            string type = attr.AttrType.Id;
            bool seen = type switch
            {
                Oids.AttrContentType => ctAttr is not null,
                Oids.AttrMessageDigest => digest is not null,
                Oids.AttrSigningTime => signingTime is not null,
                Oids.AttrBinarySigningTime => throw Decoding.Fail($"{what}: binary-signing-time attribute is not allowed (RFC 9589)"),
                _ => throw Decoding.Fail($"{what}: signed attribute {type} is not allowed (RFC 6488 §2.1.6.4.3)"),
            };
            if (seen) throw Decoding.Fail($"{what}: signed attribute {type} appears more than once");
            if (attr.AttrValues.Count != 1) throw Decoding.Fail($"{what}: signed attribute {type} must have exactly one value");
            var value = attr.AttrValues[0].ToAsn1Object();
            switch (type)
            {
                case Oids.AttrContentType:
                    ctAttr = value is DerObjectIdentifier ctOid ? ctOid.Id : throw Decoding.Fail($"{what}: content-type attribute is not an OID");
                    break;
                case Oids.AttrMessageDigest:
                    digest = value is Asn1OctetString d && d.GetOctetsLength() == 32 ? d.GetOctets() : throw Decoding.Fail($"{what}: message-digest attribute is not a 32-octet OCTET STRING");
                    break;
                default:
                    signingTime = Asn1Util.ReadTime(value, $"{what}: signing-time attribute");
                    break;
            }
        }
        if (ctAttr is null) throw Decoding.Fail($"{what}: no content-type signed attribute");
        if (ctAttr != contentType) throw Decoding.Fail($"{what}: content-type attribute {Oids.Describe(ctAttr)} differs from eContentType {Oids.Describe(contentType)}");
        if (digest is null) throw Decoding.Fail($"{what}: no message-digest signed attribute");
        if (signingTime is null) throw Decoding.Fail($"{what}: no signing-time signed attribute (required by RFC 9589)");

        // The original bytes of the certificate and of the signed attributes (the signature covers their DER
        // encoding with the SET tag); BouncyCastle's object model cannot give these back.
        var span = bytes.Span;
        var root = DerScanner.Read(span, 0);
        DerScanner.TryGetChild(span, root, 1, out var explicitContent);
        DerScanner.TryGetChild(span, explicitContent, 0, out var signedDataTlv);
        var parts = DerScanner.Children(span, signedDataTlv);
        var certificatesTlv = parts.First(p => p.Tag == 0xA0);
        DerScanner.TryGetChild(span, certificatesTlv, 0, out var certTlv);
        DerScanner.TryGetChild(span, parts[^1], 0, out var signerTlv);
        var attrsTlv = DerScanner.Children(span, signerTlv).First(p => p.Tag == 0xA0);
        var attrsSpan = span.Slice(attrsTlv.Offset, attrsTlv.TotalLength);
        var attrsReason = DerScanner.Validate(attrsSpan, requireDer: true);
        if (attrsReason is not null) throw Decoding.Fail($"{what}: signed attributes are not DER ({attrsReason})");
        byte[] signedAttributes = attrsSpan.ToArray();
        signedAttributes[0] = 0x31; // [0] IMPLICIT → SET OF, as signed (RFC 5652 §5.4)

        var ee = ResourceCertificate.DecodeCore(span.Slice(certTlv.Offset, certTlv.TotalLength).ToArray(), $"{what}: EE certificate", certificate);
        if (ee.Kind != CertificateKind.Ee)
            throw Decoding.Fail($"{what}: the certificate of a signed object must be an EE certificate, not a {ee.Kind} certificate");
        if (ee.SubjectKeyIdentifier != sid)
            throw Decoding.Fail($"{what}: SignerInfo sid {sid} is not the EE certificate's SKI {ee.SubjectKeyIdentifier}");
        if (signingTime.Value > ee.NotAfter)
            throw Decoding.Fail($"{what}: signing-time {RpkiObject.FormatTime(signingTime.Value)} is after the EE certificate's notAfter {RpkiObject.FormatTime(ee.NotAfter)}");

        return new SignedObjectEnvelope
        {
            Type = expectedType,
            Ee = ee,
            ContentType = contentType,
            Content = content,
            SigningTime = signingTime.Value,
            What = what,
            _messageDigest = digest,
            _signedAttributes = signedAttributes,
            _signature = signer.Signature.GetOctets(),
        };
    }

    private static void RequireSha256(AlgorithmIdentifier alg, string what)
    {
        if (alg.Algorithm.Id != Oids.Sha256 || !Asn1Util.ParametersAbsentOrNull(alg))
            throw Decoding.Fail($"{what}: digest algorithm {Oids.Describe(alg.Algorithm.Id)}, expected sha256");
    }

    /// <summary>Checks the message digest against the eContent, then the signature with the EE key.</summary>
    public void Verify()
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Content, hash);
        if (!hash.SequenceEqual(_messageDigest)) throw Decoding.Fail($"{What}: message-digest attribute does not match the SHA-256 of the eContent");
        if (!Ee.PublicKey.VerifySha256WithRsa(_signedAttributes, _signature))
            throw Decoding.Fail($"{What}: CMS signature does not verify with the EE certificate's key");
    }

    public SignedObject ToSignedObject() => new(Type, Ee, ContentType, Content, SigningTime);
}
