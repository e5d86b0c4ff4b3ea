using System.Collections.Immutable;
using System.Numerics;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using RtrCache.Rpki.Asn1;
using RtrCache.Rpki.Resources;

namespace RtrCache.Rpki.Objects;

/// <summary>The role of a resource certificate, decided from its content.</summary>
public enum CertificateKind
{
    /// <summary>CA certificate (basicConstraints cA, issued by another CA).</summary>
    Ca,

    /// <summary>Self-signed CA certificate (no AKI or AKI = SKI, no AIA, no CRLDP), as named by a TAL.</summary>
    TrustAnchor,

    /// <summary>End-entity certificate of a signed object (no basicConstraints, no EKU).</summary>
    Ee,

    /// <summary>BGPsec router certificate (RFC 8209: EKU id-kp-bgpsec-router, EC P-256 key).</summary>
    Router,
}

/// <summary>KeyUsage bits (RFC 5280 §4.2.1.3), numbered as in the BIT STRING.</summary>
[Flags]
public enum KeyUsageFlags
{
    None = 0,
    DigitalSignature = 1 << 0,
    NonRepudiation = 1 << 1,
    KeyEncipherment = 1 << 2,
    DataEncipherment = 1 << 3,
    KeyAgreement = 1 << 4,
    KeyCertSign = 1 << 5,
    CrlSign = 1 << 6,
    EncipherOnly = 1 << 7,
    DecipherOnly = 1 << 8,
}

/// <summary>
/// An X.509 resource certificate that passed every RFC 6487 profile check that needs no issuer (RFC 8209 for
/// router certificates): v3, sha256WithRSAEncryption, RPKI names, key algorithm and size, extension set and
/// criticality, SKI = SHA-1 of the key, the RPKI policy, SIA/AIA/CRLDP URIs, canonical RFC 3779 resources. A
/// trust anchor's self-signature is verified too; everything involving the issuer is the validator's job.
/// </summary>
public sealed class ResourceCertificate : RpkiObject
{
    private readonly byte[] _encoded;
    private readonly int _tbsOffset;
    private readonly int _tbsLength;
    private readonly byte[] _signature;

    private ResourceCertificate(byte[] encoded, int tbsOffset, int tbsLength, byte[] signature)
    {
        _encoded = encoded;
        _tbsOffset = tbsOffset;
        _tbsLength = tbsLength;
        _signature = signature;
    }

    private byte[]? _contentHash;

    /// <summary>
    /// SHA-256 of the DER bytes, computed once: identifies the certificate in <see cref="Validation.PublicationPointCache"/>
    /// keys, where a child CA replayed from the cache is looked up again in every run.
    /// </summary>
    internal byte[] ContentHash => _contentHash ??= System.Security.Cryptography.SHA256.HashData(_encoded);

    public override RpkiObjectType Type => Kind == CertificateKind.Router ? RpkiObjectType.RouterCertificate : RpkiObjectType.Certificate;
    public CertificateKind Kind { get; private init; }
    public BigInteger SerialNumber { get; private init; }

    /// <summary>Subject name as <c>CN=…</c> or <c>CN=…,serialNumber=…</c>.</summary>
    public string Subject { get; private init; } = "";

    /// <summary>Issuer name, same form as <see cref="Subject"/>.</summary>
    public string Issuer { get; private init; } = "";

    public DateTimeOffset NotBefore { get; private init; }
    public DateTimeOffset NotAfter { get; private init; }
    public RpkiPublicKey PublicKey { get; private init; } = null!;

    /// <summary>The DER SubjectPublicKeyInfo.</summary>
    public ReadOnlySpan<byte> SubjectPublicKeyInfo => PublicKey.SubjectPublicKeyInfoSpan;

    public KeyIdentifier SubjectKeyIdentifier { get; private init; }

    /// <summary>Authority key identifier; null only for a trust anchor that omits it.</summary>
    public KeyIdentifier? AuthorityKeyIdentifier { get; private init; }

    public KeyUsageFlags KeyUsage { get; private init; }

    /// <summary>Extended key usage OIDs (only router certificates have any).</summary>
    public ImmutableArray<string> ExtendedKeyUsages { get; private init; } = [];

    /// <summary>SIA id-ad-caRepository (rsync directory of the CA's publication point); CA and TA.</summary>
    public string? CaRepositoryUri { get; private init; }

    /// <summary>SIA id-ad-rpkiManifest (rsync URI of the CA's manifest); CA and TA.</summary>
    public string? ManifestUri { get; private init; }

    /// <summary>SIA id-ad-rpkiNotify (https URI of the RRDP notification file); optional, CA and TA.</summary>
    public string? NotificationUri { get; private init; }

    /// <summary>SIA id-ad-signedObject (rsync URI of the object this EE certificate signs); EE only.</summary>
    public string? SignedObjectUri { get; private init; }

    /// <summary>AIA id-ad-caIssuers (rsync URI of the issuer's certificate); absent for a TA.</summary>
    public string? CaIssuersUri { get; private init; }

    /// <summary>CRL distribution point (rsync URI of the issuer's CRL); absent for a TA.</summary>
    public string? CrlUri { get; private init; }

    /// <summary>IP resources, or null when the certificate has no IP Address Blocks extension.</summary>
    public IpResourceSet? IpResources { get; private init; }

    /// <summary>AS resources, or null when the certificate has no AS Identifiers extension.</summary>
    public AsResourceSet? AsResources { get; private init; }

    /// <summary>IP resources, empty when the extension is absent.</summary>
    public IpResourceSet IpResourcesOrEmpty => IpResources ?? IpResourceSet.Empty;

    /// <summary>AS resources, empty when the extension is absent.</summary>
    public AsResourceSet AsResourcesOrEmpty => AsResources ?? AsResourceSet.Empty;

    /// <summary>The DER encoding of the whole certificate.</summary>
    public ReadOnlyMemory<byte> Encoded => _encoded;

    public bool IsCa => Kind is CertificateKind.Ca or CertificateKind.TrustAnchor;

    public override DateTimeOffset? ExpiresAt => NotAfter;

    public override string? CheckValidityAt(DateTimeOffset now) => CheckWindow("certificate", NotBefore, NotAfter, now);

    /// <summary>
    /// True when <paramref name="issuer"/>'s key verifies this certificate's signature. The issuer's native key
    /// is kept for its other children (<see cref="Crypto.RsaPublicKey"/>).
    /// </summary>
    public bool VerifySignedBy(ResourceCertificate issuer)
        => issuer.PublicKey.VerifySha256WithRsaReusingKey(_encoded.AsSpan(_tbsOffset, _tbsLength), _signature);

    /// <summary>True when <paramref name="key"/> verifies this certificate's signature (over the original TBSCertificate bytes).</summary>
    public bool VerifySignedBy(RpkiPublicKey key) => key.VerifySha256WithRsa(_encoded.AsSpan(_tbsOffset, _tbsLength), _signature);

    /// <summary>
    /// Decodes a DER certificate (a <c>.cer</c> file) and runs the profile checks; the kind (CA, TA, router, EE)
    /// follows from the content.
    /// </summary>
    public static Decoded<ResourceCertificate> Decode(ReadOnlyMemory<byte> der)
        => Decoding.Run("certificate", der, b => DecodeCore(b.ToArray(), "certificate"));

    /// <param name="der">The certificate's bytes.</param>
    /// <param name="what">What to call it in rejection reasons.</param>
    /// <param name="parsed">The certificate as BouncyCastle parsed it with its container (a signed object's CMS), when it was.</param>
    internal static ResourceCertificate DecodeCore(byte[] der, string what, Asn1Object? parsed = null)
    {
        var obj = Asn1Util.Parse(der, requireDer: true, what, parsed);
        X509CertificateStructure cert;
        try
        {
            cert = X509CertificateStructure.GetInstance(obj);
        }
        catch (ArgumentException e)
        {
            throw Decoding.Fail($"{what}: not an X.509 certificate ({e.Message})");
        }
        var tbs = cert.TbsCertificate;
        var root = DerScanner.Read(der, 0);
        DerScanner.TryGetChild(der, root, 0, out var tbsTlv);
        if (tbs.Version != 3) throw Decoding.Fail($"{what}: X.509 version {tbs.Version}, expected 3");

        var serial = Asn1Util.ReadSerialLike(tbs.SerialNumber, $"{what}: serialNumber", allowZero: false);
        Asn1Util.RequireSha256WithRsa(cert.SignatureAlgorithm, what);
        if (!Asn1Util.SameEncoding(tbs.Signature, cert.SignatureAlgorithm))
            throw Decoding.Fail($"{what}: the signature algorithm inside TBSCertificate differs from the outer signatureAlgorithm (RFC 5280 §4.1.1.2)");
        if (cert.Signature.PadBits != 0) throw Decoding.Fail($"{what}: signature BIT STRING has unused bits");
        string issuer = ReadName(tbs.Issuer, $"{what}: issuer");
        string subject = ReadName(tbs.Subject, $"{what}: subject");
        var notBefore = Asn1Util.ReadTime(tbs.StartDate, $"{what}: notBefore");
        var notAfter = Asn1Util.ReadTime(tbs.EndDate, $"{what}: notAfter");
        if (notAfter < notBefore) throw Decoding.Fail($"{what}: notAfter {FormatTime(notAfter)} is before notBefore {FormatTime(notBefore)}");
        if (tbs.IssuerUniqueID is not null || tbs.SubjectUniqueID is not null)
            throw Decoding.Fail($"{what}: issuerUniqueID/subjectUniqueID must be absent (RFC 6487 §4.7)");
        DerScanner.TryGetChild(der, tbsTlv, 6, out var spkiTlv); // [0] version is present (v3)
        var key = RpkiPublicKey.DecodeCore(der.AsSpan(spkiTlv.Offset, spkiTlv.TotalLength).ToArray(), $"{what}: subjectPublicKeyInfo", tbs.SubjectPublicKeyInfo.ToAsn1Object());

        var ext = ReadExtensions(tbs.Extensions, what);

        // Kind, from the content (rpki-objects.md §3).
        CertificateKind kind;
        if (ext.BasicConstraintsPresent)
        {
            if (!ext.IsCa) throw Decoding.Fail($"{what}: basicConstraints with cA FALSE; an EE certificate carries no basicConstraints (RFC 6487 §4.8.1)");
            kind = ext.Aki is null || ext.Aki == ext.Ski ? CertificateKind.TrustAnchor : CertificateKind.Ca;
        }
        else
        {
            kind = ext.Eku.Contains(Oids.KpBgpsecRouter) ? CertificateKind.Router : CertificateKind.Ee;
        }
        string kindName = kind switch
        {
            CertificateKind.Ca => "CA certificate",
            CertificateKind.TrustAnchor => "trust anchor certificate",
            CertificateKind.Router => "router certificate",
            _ => "EE certificate",
        };

        if (ext.Ski is null) throw Decoding.Fail($"{what}: no Subject Key Identifier");
        if (ext.Ski != key.KeyIdentifier)
            throw Decoding.Fail($"{what}: Subject Key Identifier {ext.Ski} is not the SHA-1 of the public key ({key.KeyIdentifier})");
        if (!ext.PolicyPresent) throw Decoding.Fail($"{what}: no Certificate Policies extension");
        if (ext.KeyUsage is null) throw Decoding.Fail($"{what}: no Key Usage extension");
        if (ext.Ip is null && ext.As is null) throw Decoding.Fail($"{what}: neither IP nor AS resource extension (RFC 6487 §4.8.10)");

        if (kind is CertificateKind.Ca or CertificateKind.TrustAnchor)
        {
            if (ext.KeyUsage != (KeyUsageFlags.KeyCertSign | KeyUsageFlags.CrlSign))
                throw Decoding.Fail($"{what}: {kindName} key usage is {ext.KeyUsage}, expected keyCertSign and cRLSign only");
            if (ext.Eku.Length > 0) throw Decoding.Fail($"{what}: Extended Key Usage is not allowed in a {kindName}");
            if (ext.CaRepository is null) throw Decoding.Fail($"{what}: {kindName} without an rsync caRepository in its SIA");
            if (ext.Manifest is null) throw Decoding.Fail($"{what}: {kindName} without an rsync rpkiManifest in its SIA");
            if (!ext.Manifest.StartsWith(ext.CaRepository, StringComparison.Ordinal))
                throw Decoding.Fail($"{what}: SIA rpkiManifest {ext.Manifest} is not inside caRepository {ext.CaRepository}");
            if (key.Algorithm != PublicKeyAlgorithm.Rsa) throw Decoding.Fail($"{what}: {kindName} key must be RSA");
        }
        else
        {
            if (ext.KeyUsage != KeyUsageFlags.DigitalSignature)
                throw Decoding.Fail($"{what}: {kindName} key usage is {ext.KeyUsage}, expected digitalSignature only");
            // Other SIA access methods next to signedObject are tolerated: real AfriNIC manifest EE certificates
            // carry an rpkiNotify (rpki-prover test/data/afrinic_mft2.mft).
        }

        if (kind == CertificateKind.TrustAnchor)
        {
            if (ext.CaIssuers is not null) throw Decoding.Fail($"{what}: trust anchor certificate with an Authority Information Access extension");
            if (ext.Crl is not null) throw Decoding.Fail($"{what}: trust anchor certificate with a CRL Distribution Points extension");
            if (subject != issuer) throw Decoding.Fail($"{what}: self-signed trust anchor whose issuer '{issuer}' differs from its subject '{subject}'");
            if ((ext.Ip?.HasInherit ?? false) || (ext.As?.IsInherit ?? false))
                throw Decoding.Fail($"{what}: trust anchor certificate with 'inherit' resources (RFC 8630 §2.3)");
            if ((ext.Ip?.IsEmpty ?? true) && (ext.As?.IsEmpty ?? true))
                throw Decoding.Fail($"{what}: trust anchor certificate without resources");
        }
        else
        {
            if (ext.Aki is null) throw Decoding.Fail($"{what}: no Authority Key Identifier");
            if (ext.CaIssuers is null) throw Decoding.Fail($"{what}: no rsync caIssuers URI in Authority Information Access");
            if (ext.Crl is null) throw Decoding.Fail($"{what}: no rsync URI in CRL Distribution Points");
        }

        if (kind == CertificateKind.Ee)
        {
            if (ext.Eku.Length > 0) throw Decoding.Fail($"{what}: Extended Key Usage is not allowed in an EE certificate of a signed object");
            if (ext.SignedObject is null) throw Decoding.Fail($"{what}: EE certificate without an rsync signedObject URI in its SIA");
            if (key.Algorithm != PublicKeyAlgorithm.Rsa) throw Decoding.Fail($"{what}: EE certificate key must be RSA");
        }

        if (kind == CertificateKind.Router)
        {
            if (ext.SiaPresent) throw Decoding.Fail($"{what}: router certificate with a Subject Information Access extension (RFC 8209 §3.1.3)");
            if (key.Algorithm != PublicKeyAlgorithm.EcP256) throw Decoding.Fail($"{what}: router certificate key must be EC P-256 (RFC 8608)");
            if (ext.Ip is not null) throw Decoding.Fail($"{what}: router certificate with IP resources (RFC 8209 §3.1.3.4)");
            if (ext.As is null || ext.As.IsInherit || ext.As.IsEmpty)
                throw Decoding.Fail($"{what}: router certificate needs explicit AS resources (RFC 8209 §3.1.3.5)");
        }

        var result = new ResourceCertificate(der, tbsTlv.Offset, tbsTlv.TotalLength, cert.Signature.GetOctets())
        {
            Kind = kind,
            SerialNumber = serial,
            Subject = subject,
            Issuer = issuer,
            NotBefore = notBefore,
            NotAfter = notAfter,
            PublicKey = key,
            SubjectKeyIdentifier = ext.Ski.Value,
            AuthorityKeyIdentifier = ext.Aki,
            KeyUsage = ext.KeyUsage.Value,
            ExtendedKeyUsages = ext.Eku,
            CaRepositoryUri = ext.CaRepository,
            ManifestUri = ext.Manifest,
            NotificationUri = ext.Notify,
            SignedObjectUri = ext.SignedObject,
            CaIssuersUri = ext.CaIssuers,
            CrlUri = ext.Crl,
            IpResources = ext.Ip,
            AsResources = ext.As,
        };
        if (kind == CertificateKind.TrustAnchor && !result.VerifySignedBy(key))
            throw Decoding.Fail($"{what}: the self-signature of the trust anchor certificate does not verify");
        return result;
    }

    private sealed class ExtensionValues
    {
        public bool BasicConstraintsPresent;
        public bool IsCa;
        public KeyIdentifier? Ski;
        public KeyIdentifier? Aki;
        public KeyUsageFlags? KeyUsage;
        public ImmutableArray<string> Eku = [];
        public string? Crl;
        public string? CaIssuers;
        public bool SiaPresent;
        public string? CaRepository;
        public string? Manifest;
        public string? Notify;
        public string? SignedObject;
        public bool PolicyPresent;
        public IpResourceSet? Ip;
        public AsResourceSet? As;
    }

    private static ExtensionValues ReadExtensions(X509Extensions? extensions, string what)
    {
        if (extensions is null || extensions.Count == 0) throw Decoding.Fail($"{what}: no extensions");
        var v = new ExtensionValues();
        foreach (var oid in extensions.ExtensionOids)
        {
            try
            {
                ReadExtension(v, oid, extensions.GetExtension(oid), what);
            }
            catch (ArgumentException e)
            {
                throw Decoding.Fail($"{what}: malformed {ExtensionName(oid.Id)} extension ({e.Message})");
            }
        }
        return v;
    }

    private static string ExtensionName(string oid) => oid switch
    {
        Oids.ExtBasicConstraints => "Basic Constraints",
        Oids.ExtSubjectKeyIdentifier => "Subject Key Identifier",
        Oids.ExtAuthorityKeyIdentifier => "Authority Key Identifier",
        Oids.ExtKeyUsage => "Key Usage",
        Oids.ExtExtendedKeyUsage => "Extended Key Usage",
        Oids.ExtCrlDistributionPoints => "CRL Distribution Points",
        Oids.ExtAuthorityInfoAccess => "Authority Information Access",
        Oids.ExtSubjectInfoAccess => "Subject Information Access",
        Oids.ExtCertificatePolicies => "Certificate Policies",
        Oids.ExtIpAddrBlocks => "IP Address Blocks",
        Oids.ExtAutonomousSysIds => "AS Identifiers",
        _ => oid,
    };

    private static void ReadExtension(ExtensionValues v, DerObjectIdentifier oid, X509Extension ext, string what)
    {
        switch (oid.Id)
        {
            case Oids.ExtBasicConstraints:
            {
                var value = Value(ext, "Basic Constraints", critical: true, what);
                var bc = BasicConstraints.GetInstance(value);
                if (bc.PathLenConstraint is not null) throw Decoding.Fail($"{what}: basicConstraints pathLenConstraint is not allowed (RFC 6487 §4.8.1)");
                v.BasicConstraintsPresent = true;
                v.IsCa = bc.IsCA();
                break;
            }
            case Oids.ExtSubjectKeyIdentifier:
            {
                var value = Value(ext, "Subject Key Identifier", critical: false, what);
                if (value is not Asn1OctetString os || !KeyIdentifier.TryCreate(os.GetOctets(), out var ski))
                    throw Decoding.Fail($"{what}: Subject Key Identifier is not a 20-octet OCTET STRING");
                v.Ski = ski;
                break;
            }
            case Oids.ExtAuthorityKeyIdentifier:
            {
                var aki = Org.BouncyCastle.Asn1.X509.AuthorityKeyIdentifier.GetInstance(Value(ext, "Authority Key Identifier", critical: false, what));
                if (aki.AuthorityCertIssuer is not null || aki.AuthorityCertSerialNumber is not null)
                    throw Decoding.Fail($"{what}: Authority Key Identifier must hold only keyIdentifier (RFC 6487 §4.8.3)");
                if (aki.KeyIdentifier is null || !KeyIdentifier.TryCreate(aki.KeyIdentifier.GetOctets(), out var id))
                    throw Decoding.Fail($"{what}: Authority Key Identifier without a 20-octet keyIdentifier");
                v.Aki = id;
                break;
            }
            case Oids.ExtKeyUsage:
            {
                if (Value(ext, "Key Usage", critical: true, what) is not DerBitString bits) throw Decoding.Fail($"{what}: Key Usage is not a BIT STRING");
                var bytes = bits.GetBytes();
                int flags = 0;
                for (int i = 0; i < bytes.Length * 8 && i < 16; i++)
                    if ((bytes[i / 8] & (0x80 >> (i % 8))) != 0) flags |= 1 << i;
                v.KeyUsage = (KeyUsageFlags)flags;
                break;
            }
            case Oids.ExtExtendedKeyUsage:
            {
                var eku = ExtendedKeyUsage.GetInstance(Value(ext, "Extended Key Usage", critical: false, what));
                v.Eku = [.. eku.GetAllUsages().Select(o => o.Id)];
                break;
            }
            case Oids.ExtCrlDistributionPoints:
            {
                var points = CrlDistPoint.GetInstance(Value(ext, "CRL Distribution Points", critical: false, what)).GetDistributionPoints();
                if (points.Length != 1) throw Decoding.Fail($"{what}: CRL Distribution Points must hold one distribution point, not {points.Length}");
                var p = points[0];
                if (p.Reasons is not null || p.CrlIssuer is not null) throw Decoding.Fail($"{what}: CRL distribution point with reasons or cRLIssuer (RFC 6487 §4.8.6)");
                if (p.DistributionPointName is null || p.DistributionPointName.Type != DistributionPointName.FullName)
                    throw Decoding.Fail($"{what}: CRL distribution point without a fullName");
                v.Crl = FirstUri(GeneralNames.GetInstance(p.DistributionPointName.Name).GetNames(), "rsync://", "CRL Distribution Points", what)
                    ?? throw Decoding.Fail($"{what}: CRL Distribution Points without an rsync URI");
                break;
            }
            case Oids.ExtAuthorityInfoAccess:
            {
                var descriptions = AuthorityInformationAccess.GetInstance(Value(ext, "Authority Information Access", critical: false, what)).GetAccessDescriptions();
                var names = new List<GeneralName>();
                foreach (var d in descriptions)
                {
                    if (d.AccessMethod.Id != Oids.AdCaIssuers) throw Decoding.Fail($"{what}: Authority Information Access method {d.AccessMethod.Id} is not caIssuers (RFC 6487 §4.8.7)");
                    names.Add(d.AccessLocation);
                }
                v.CaIssuers = FirstUri(names, "rsync://", "Authority Information Access", what)
                    ?? throw Decoding.Fail($"{what}: Authority Information Access without an rsync caIssuers URI");
                break;
            }
            case Oids.ExtSubjectInfoAccess:
            {
                var descriptions = AuthorityInformationAccess.GetInstance(Value(ext, "Subject Information Access", critical: false, what)).GetAccessDescriptions();
                v.SiaPresent = true;
                var repo = new List<GeneralName>();
                var mft = new List<GeneralName>();
                var notify = new List<GeneralName>();
                var signed = new List<GeneralName>();
                foreach (var d in descriptions)
                {
                    switch (d.AccessMethod.Id)
                    {
                        case Oids.AdCaRepository: repo.Add(d.AccessLocation); break;
                        case Oids.AdRpkiManifest: mft.Add(d.AccessLocation); break;
                        case Oids.AdRpkiNotify: notify.Add(d.AccessLocation); break;
                        case Oids.AdSignedObject: signed.Add(d.AccessLocation); break;
                        default: break; // other access methods are ignored
                    }
                }
                v.CaRepository = FirstUri(repo, "rsync://", "SIA caRepository", what);
                v.Manifest = FirstUri(mft, "rsync://", "SIA rpkiManifest", what);
                v.SignedObject = FirstUri(signed, "rsync://", "SIA signedObject", what);
                if (notify.Count > 0)
                {
                    v.Notify = FirstUri(notify, "https://", "SIA rpkiNotify", what)
                        ?? throw Decoding.Fail($"{what}: SIA rpkiNotify is not an https URI");
                }
                break;
            }
            case Oids.ExtCertificatePolicies:
            {
                var policies = CertificatePolicies.GetInstance(Value(ext, "Certificate Policies", critical: true, what)).GetPolicyInformation();
                if (policies.Length != 1) throw Decoding.Fail($"{what}: {policies.Length} certificate policies, expected exactly one (RFC 6487 §4.8.9)");
                string id = policies[0].PolicyIdentifier.Id;
                if (id == Oids.PolicyRpkiV2) throw Decoding.Fail($"{what}: certificate policy id-cp-ipAddr-asNumber-v2 (RFC 8360) is not supported");
                if (id != Oids.PolicyRpki) throw Decoding.Fail($"{what}: certificate policy {id}, expected id-cp-ipAddr-asNumber (1.3.6.1.5.5.7.14.2)");
                v.PolicyPresent = true;
                break;
            }
            case Oids.ExtIpAddrBlocks:
                v.Ip = Rfc3779.DecodeIpAddrBlocks(Value(ext, "IP Address Blocks", critical: true, what), $"{what}: IP resources");
                break;
            case Oids.ExtAutonomousSysIds:
                v.As = Rfc3779.DecodeAsIdentifiers(Value(ext, "AS Identifiers", critical: true, what), $"{what}: AS resources");
                break;
            case Oids.ExtIpAddrBlocksV2:
            case Oids.ExtAutonomousSysIdsV2:
                throw Decoding.Fail($"{what}: RFC 8360 (-v2) resource extension {oid.Id} is not supported");
            default:
                if (ext.IsCritical) throw Decoding.Fail($"{what}: unknown critical extension {oid.Id}");
                break;
        }
    }

    private static Asn1Object Value(X509Extension ext, string name, bool critical, string what)
    {
        if (ext.IsCritical != critical)
            throw Decoding.Fail($"{what}: {name} extension must {(critical ? "" : "not ")}be critical");
        return Asn1Util.Parse(ext.Value.GetOctets(), requireDer: true, $"{what}: {name} extension");
    }

    /// <summary>The first URI with the scheme among the GeneralNames; every URI must be well-formed ASCII.</summary>
    private static string? FirstUri(IEnumerable<GeneralName> names, string scheme, string where, string what)
    {
        string? found = null;
        foreach (var n in names)
        {
            if (n.TagNo != GeneralName.UniformResourceIdentifier) throw Decoding.Fail($"{what}: {where} holds a name that is not a URI");
            string uri = DerIA5String.GetInstance(n.Name).GetString();
            CheckUri(uri, where, what);
            if (found is null && uri.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) found = uri;
        }
        return found;
    }

    internal static void CheckUri(string uri, string where, string what)
    {
        if (uri.Length > 2048) throw Decoding.Fail($"{what}: {where} URI longer than 2048 characters");
        foreach (char c in uri)
            if (c is <= ' ' or > '~') throw Decoding.Fail($"{what}: {where} URI contains a space, control or non-ASCII character");
    }

    /// <summary>An RPKI name: CommonName (PrintableString) and optionally serialNumber, nothing else (RFC 6487 §4.4, §4.5).</summary>
    internal static string ReadName(X509Name name, string what)
    {
        string? cn = null, sn = null;
        foreach (var rdn in Asn1Sequence.GetInstance(name.ToAsn1Object()))
        {
            foreach (var atvEncodable in Asn1Set.GetInstance(rdn))
            {
                var atv = Asn1Sequence.GetInstance(atvEncodable);
                if (atv.Count != 2) throw Decoding.Fail($"{what}: malformed AttributeTypeAndValue");
                string oid = DerObjectIdentifier.GetInstance(atv[0]).Id;
                var value = atv[1].ToAsn1Object();
                switch (oid)
                {
                    case Oids.AttrCommonName:
                        if (cn is not null) throw Decoding.Fail($"{what}: more than one CommonName");
                        cn = NameString(value, "CommonName", what);
                        break;
                    case Oids.AttrSerialNumber:
                        if (sn is not null) throw Decoding.Fail($"{what}: more than one serialNumber");
                        sn = NameString(value, "serialNumber", what);
                        break;
                    default:
                        throw Decoding.Fail($"{what}: attribute {oid} is not allowed (only CommonName and serialNumber)");
                }
            }
        }
        if (cn is null) throw Decoding.Fail($"{what}: no CommonName");
        return sn is null ? $"CN={cn}" : $"CN={cn},serialNumber={sn}";
    }

    /// <summary>
    /// PrintableString as RFC 6487 §4.4 asks; UTF8String is accepted too because real router certificates use it
    /// (rpki-rs test-data router.cer passes rpki-rs's strict check with a UTF8String CommonName).
    /// </summary>
    private static string NameString(Asn1Object value, string attribute, string what) => value switch
    {
        DerPrintableString p => p.GetString(),
        DerUtf8String u => u.GetString(),
        _ => throw Decoding.Fail($"{what}: {attribute} is neither a PrintableString nor a UTF8String"),
    };

    public override string ToString() => $"{Kind} {Subject} SKI {SubjectKeyIdentifier}";
}
