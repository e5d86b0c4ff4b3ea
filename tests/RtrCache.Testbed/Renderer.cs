using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace RtrCache.Testbed;

/// <summary>What goes into one certificate; <see cref="Renderer.Certificate"/> turns it into DER.</summary>
internal sealed class CertificateSpec
{
    public required long Serial;
    public required string IssuerName;
    public required string SubjectName;
    public required DateTimeOffset NotBefore;
    public required DateTimeOffset NotAfter;
    public required byte[] SubjectPublicKeyInfo;
    public required byte[] Ski;
    public byte[]? Aki;
    public bool IsCa;
    public bool IsRouter;
    public string? CrlUri;
    public string? AiaUri;
    public List<(DerObjectIdentifier Method, string Uri)> Sia = [];
    public ResourceSet? Resources;
    public required RsaKey IssuerKey;
    public bool CorruptSignature;
}

/// <summary>
/// Issues the objects of the model: certificates, CRLs, signed objects and manifests per RFC 6487/6488/9286,
/// and writes each CA's publication point. Deterministic: the same model and key pool give the same bytes.
/// </summary>
public sealed class Renderer(KeyPool pool, TestbedOptions options)
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    public DateTimeOffset Now => options.Now;
    public DateTimeOffset ThisUpdate => Now.AddHours(-1);
    public DateTimeOffset NextUpdate => Now + options.ManifestLifetime;
    public DateTimeOffset CaNotBefore => Now.AddDays(-1);
    public DateTimeOffset CaNotAfter => Now.AddDays(365);
    public DateTimeOffset EeNotBefore => Now.AddHours(-1);
    public DateTimeOffset EeNotAfter => Now.AddDays(180);

    public static string SubjectOf(CaNode ca) => ca.SubjectName ?? ca.Name;

    internal static byte[] Certificate(CertificateSpec s)
    {
        var tbs = new V3TbsCertificateGenerator();
        tbs.SetSerialNumber(DerInteger.ValueOf(s.Serial));
        tbs.SetSignature(Encoders.Sha256WithRsa);
        tbs.SetIssuer(Encoders.Name(s.IssuerName));
        tbs.SetSubject(Encoders.Name(s.SubjectName));
        tbs.SetStartDate(Encoders.CertTime(s.NotBefore));
        tbs.SetEndDate(Encoders.CertTime(s.NotAfter));
        tbs.SetSubjectPublicKeyInfo(SubjectPublicKeyInfo.GetInstance(s.SubjectPublicKeyInfo));

        var ext = new X509ExtensionsGenerator();
        if (s.IsCa) ext.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(true));
        ext.AddExtension(X509Extensions.SubjectKeyIdentifier, false, new SubjectKeyIdentifier(s.Ski));
        if (s.Aki is not null) ext.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(s.Aki));
        ext.AddExtension(X509Extensions.KeyUsage, true,
            new KeyUsage(s.IsCa ? KeyUsage.KeyCertSign | KeyUsage.CrlSign : KeyUsage.DigitalSignature));
        if (s.IsRouter) ext.AddExtension(X509Extensions.ExtendedKeyUsage, false, new DerSequence(Oids.BgpsecRouter));
        if (s.CrlUri is not null)
            ext.AddExtension(X509Extensions.CrlDistributionPoints, false, new CrlDistPoint([
                new DistributionPoint(new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.UniformResourceIdentifier, s.CrlUri))), null, null)]));
        if (s.AiaUri is not null)
            ext.AddExtension(X509Extensions.AuthorityInfoAccess, false, new DerSequence(
                new AccessDescription(AccessDescription.IdADCAIssuers, new GeneralName(GeneralName.UniformResourceIdentifier, s.AiaUri))));
        if (s.Sia.Count > 0)
            ext.AddExtension(X509Extensions.SubjectInfoAccess, false, new DerSequence(
                s.Sia.Select(a => (Asn1Encodable)new AccessDescription(a.Method, new GeneralName(GeneralName.UniformResourceIdentifier, a.Uri))).ToArray()));
        ext.AddExtension(X509Extensions.CertificatePolicies, true, new DerSequence(new PolicyInformation(Oids.CertPolicyRpki)));
        if (s.Resources?.EncodeIpAddrBlocks() is { } ip) ext.AddExtension(Oids.IpAddrBlocks, true, ip);
        if (s.Resources?.EncodeAsIdentifiers() is { } asn) ext.AddExtension(Oids.AutonomousSysIds, true, asn);
        tbs.SetExtensions(ext.Generate());

        var tbsCert = tbs.GenerateTbsCertificate();
        var signature = s.IssuerKey.Sign(tbsCert.GetDerEncoded());
        if (s.CorruptSignature) signature[signature.Length / 2] ^= 0x01;
        return new DerSequence(tbsCert, Encoders.Sha256WithRsa, new DerBitString(signature)).GetDerEncoded();
    }

    internal static byte[] Crl(string issuerName, RsaKey issuerKey, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate, long number,
        IEnumerable<(long Serial, DateTimeOffset When)> revoked)
    {
        var g = new V2TbsCertListGenerator();
        g.SetSignature(Encoders.Sha256WithRsa);
        g.SetIssuer(Encoders.Name(issuerName));
        g.SetThisUpdate(Encoders.CertTime(thisUpdate));
        g.SetNextUpdate(Encoders.CertTime(nextUpdate));
        foreach (var (serial, when) in revoked.OrderBy(r => r.Serial))
            g.AddCrlEntry(new DerSequence(DerInteger.ValueOf(serial), Encoders.CertTime(when)));
        var ext = new X509ExtensionsGenerator();
        ext.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(issuerKey.Ski));
        ext.AddExtension(X509Extensions.CrlNumber, false, DerInteger.ValueOf(number));
        g.SetExtensions(ext.Generate());
        var tbs = g.GenerateTbsCertList();
        var signature = issuerKey.Sign(tbs.GetDerEncoded());
        return new DerSequence(tbs, Encoders.Sha256WithRsa, new DerBitString(signature)).GetDerEncoded();
    }

    /// <summary>A deterministic EC P-256 key pair for router certificate number <paramref name="keyNumber"/>.</summary>
    public static (byte[] Spki, byte[] Ski) RouterKeyPair(int seed, int keyNumber)
    {
        var drbg = new DigestRandomGenerator(new Sha256Digest());
        drbg.AddSeedMaterial(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes($"rtrcache-testbed router v1 seed {seed} #{keyNumber}")));
        var curve = SecObjectIdentifiers.SecP256r1;
        var domain = new ECNamedDomainParameters(curve, ECNamedCurveTable.GetByOid(curve));
        var g = new ECKeyPairGenerator();
        g.Init(new ECKeyGenerationParameters(domain, new SecureRandom(drbg)));
        var kp = g.GenerateKeyPair();
        var spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(kp.Public);
        var der = spki.GetDerEncoded();
        var ski = SHA1.HashData(spki.PublicKey.GetOctets());
        return (der, ski);
    }

    /// <summary>The TA certificate (self-signed) of <paramref name="ta"/>.</summary>
    public byte[] TrustAnchorCertificate(CaNode ta)
    {
        var key = pool.GetKey(ta.CertTweak.KeyIndex ?? ta.KeyIndex);
        return Certificate(new CertificateSpec
        {
            Serial = ta.Serial,
            IssuerName = SubjectOf(ta),
            SubjectName = SubjectOf(ta),
            NotBefore = ta.CertTweak.NotBefore ?? CaNotBefore,
            NotAfter = ta.CertTweak.NotAfter ?? Now.AddDays(3650),
            SubjectPublicKeyInfo = key.SubjectPublicKeyInfo,
            Ski = key.Ski,
            IsCa = true,
            Sia = CaSia(ta),
            Resources = ta.CertTweak.CertResources ?? ta.Resources,
            IssuerKey = key,
            CorruptSignature = ta.CertTweak.CorruptSignature,
        });
    }

    private List<(DerObjectIdentifier, string)> CaSia(CaNode ca)
    {
        var sia = new List<(DerObjectIdentifier, string)> { (Oids.CaRepository, ca.PublicationPoint), (Oids.RpkiManifest, ca.ManifestUri) };
        if (options.EffectiveNotifyUri is { } notify) sia.Add((Oids.RpkiNotify, notify));
        return sia;
    }

    private byte[] ChildCertificate(CaNode issuer, RsaKey issuerKey, CaNode child)
    {
        var key = pool.GetKey(child.CertTweak.KeyIndex ?? child.KeyIndex);
        return Certificate(new CertificateSpec
        {
            Serial = child.Serial,
            IssuerName = SubjectOf(issuer),
            SubjectName = SubjectOf(child),
            NotBefore = child.CertTweak.NotBefore ?? CaNotBefore,
            NotAfter = child.CertTweak.NotAfter ?? CaNotAfter,
            SubjectPublicKeyInfo = key.SubjectPublicKeyInfo,
            Ski = key.Ski,
            Aki = issuerKey.Ski,
            IsCa = true,
            CrlUri = issuer.CrlUri,
            AiaUri = issuer.CertUri,
            Sia = CaSia(child),
            Resources = child.CertTweak.CertResources ?? child.Resources,
            IssuerKey = issuerKey,
            CorruptSignature = child.CertTweak.CorruptSignature,
        });
    }

    private byte[] SignedObject(CaNode issuer, RsaKey issuerKey, SignedObjectNode so)
    {
        var t = so.Tweak;
        using var ee = pool.GetKey(t.KeyIndex ?? so.EeKeyIndex);
        bool isManifest = so is ManifestNode;
        var cert = Certificate(new CertificateSpec
        {
            Serial = so.Serial,
            IssuerName = SubjectOf(issuer),
            SubjectName = ee.SkiHex,
            NotBefore = t.NotBefore ?? (isManifest ? ((ManifestNode)so).EffectiveThisUpdate : EeNotBefore),
            NotAfter = t.NotAfter ?? (isManifest ? ((ManifestNode)so).EffectiveNextUpdate : EeNotAfter),
            SubjectPublicKeyInfo = ee.SubjectPublicKeyInfo,
            Ski = ee.Ski,
            Aki = issuerKey.Ski,
            CrlUri = issuer.CrlUri,
            AiaUri = issuer.CertUri,
            Sia = [(Oids.SignedObject, so.Uri)],
            Resources = t.CertResources ?? so.EeResources(),
            IssuerKey = issuerKey,
        });
        var content = so.EncodeContent();
        if (t.EContent is not null) content = t.EContent(content);
        var signingTime = isManifest ? ((ManifestNode)so).EffectiveThisUpdate : EeNotBefore;
        if (t.NotBefore is { } nb && nb > signingTime) signingTime = nb;
        return Encoders.SignedObject(so.ContentType, content, cert, ee, signingTime, t.CorruptSignature);
    }

    private byte[] RouterCertificate(CaNode issuer, RsaKey issuerKey, RouterNode r)
    {
        var (spki, ski) = RouterKeyPair(options.Seed, r.KeyNumber);
        return Certificate(new CertificateSpec
        {
            Serial = r.Serial,
            IssuerName = SubjectOf(issuer),
            SubjectName = "ROUTER-" + string.Join("-", r.Asns.Select(a => a.ToString("X8", System.Globalization.CultureInfo.InvariantCulture))),
            NotBefore = r.Tweak.NotBefore ?? EeNotBefore,
            NotAfter = r.Tweak.NotAfter ?? EeNotAfter,
            SubjectPublicKeyInfo = spki,
            Ski = ski,
            Aki = issuerKey.Ski,
            IsRouter = true,
            CrlUri = issuer.CrlUri,
            AiaUri = issuer.CertUri,
            Resources = r.Tweak.CertResources ?? new ResourceSet { As = r.Asns.Select(a => new AsRange(a, a)).ToList() },
            IssuerKey = issuerKey,
            CorruptSignature = r.Tweak.CorruptSignature,
        });
    }

    /// <summary>The files of one publication point: name → bytes (manifest and CRL included). The TA certificate is not part of it.</summary>
    public SortedDictionary<string, byte[]> PublicationPoint(CaNode ca)
    {
        using var caKey = pool.GetKey(ca.CertTweak.KeyIndex ?? ca.KeyIndex);
        var listed = new List<(string Name, byte[] Bytes, Tweak Tweak)>();
        var revoked = new List<(long, DateTimeOffset)>();

        foreach (var child in ca.Children)
            listed.Add((child.CertFileName, ChildCertificate(ca, caKey, child), child.CertTweak));
        foreach (var so in ca.SignedObjects())
        {
            listed.Add((so.FileName, SignedObject(ca, caKey, so), so.Tweak));
            if (so.Tweak.Revoked) revoked.Add((so.Serial, ThisUpdate));
        }
        foreach (var r in ca.Routers)
        {
            listed.Add((r.FileName, RouterCertificate(ca, caKey, r), r.Tweak));
            if (r.Tweak.Revoked) revoked.Add((r.Serial, ThisUpdate));
        }
        foreach (var child in ca.Children)
            if (child.CertTweak.Revoked) revoked.Add((child.Serial, ThisUpdate));

        var mft = ca.Manifest;
        mft.EffectiveThisUpdate = mft.ThisUpdate ?? ThisUpdate;
        mft.EffectiveNextUpdate = mft.NextUpdate ?? NextUpdate;
        var crl = Crl(SubjectOf(ca), caKey, ThisUpdate, NextUpdate, mft.Number, revoked);

        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var entries = new List<(string, byte[])> { (ca.CrlName, SHA256.HashData(crl)) };
        files[ca.CrlName] = crl;
        foreach (var (name, raw, tweak) in listed)
        {
            var bytes = tweak.PostProcess is null ? raw : tweak.PostProcess(raw);
            if (!tweak.OmitFromManifest) entries.Add((name, tweak.ManifestHash ?? SHA256.HashData(bytes)));
            if (!tweak.OmitFile) files[name] = bytes;
        }
        entries.AddRange(mft.ExtraEntries);
        foreach (var (name, bytes) in ca.ExtraFiles) files[name] = bytes;
        mft.Entries = entries;
        var mftBytes = SignedObject(ca, caKey, mft);
        if (mft.Tweak.PostProcess is not null) mftBytes = mft.Tweak.PostProcess(mftBytes);
        if (!mft.Tweak.OmitFile) files[mft.FileName] = mftBytes;
        return files;
    }

    /// <summary>Writes the publication point of <paramref name="ca"/> (and the TA certificate for a TA) under <paramref name="treeRoot"/>.</summary>
    public void Write(CaNode ca, string treeRoot)
    {
        var dir = LocalPath(treeRoot, ca.PublicationPoint);
        Directory.CreateDirectory(dir);
        if (ca.IsTrustAnchor)
        {
            var taPath = LocalPath(treeRoot, ca.CertUri);
            Directory.CreateDirectory(Path.GetDirectoryName(taPath)!);
            File.WriteAllBytes(taPath, TrustAnchorCertificate(ca));
        }
        foreach (var (name, bytes) in PublicationPoint(ca))
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
    }

    /// <summary><c>rsync://HOST/MODULE/path</c> → <c>ROOT/HOST/MODULE/path</c>.</summary>
    public static string LocalPath(string treeRoot, string rsyncUri)
    {
        if (!rsyncUri.StartsWith("rsync://", StringComparison.Ordinal)) throw new ArgumentException($"not an rsync URI: {rsyncUri}");
        var rel = rsyncUri["rsync://".Length..].TrimEnd('/');
        return Path.Combine(treeRoot, rel.Replace('/', Path.DirectorySeparatorChar));
    }
}
