using System.Numerics;
using System.Security.Cryptography.X509Certificates;
using RtrCache.Payload;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Resources;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary>
/// One test (or a few) per row of shared/fixtures/real-objects/README.md, asserting what the row says, with the
/// clock pinned where the row gives one.
/// </summary>
public class RealObjectTests
{
    private static readonly DateTimeOffset RipeChainClock = Utc("2019-04-06T12:00:00Z");
    private static readonly DateTimeOffset TaClock = Utc("2019-05-01T00:00:00Z");

    private static ResourceCertificate Cert(string path) => ResourceCertificate.Decode(Bytes(path)).GetValueOrThrow();
    private static ResourceCertificate Ta => Cert(RpkiRs("ta.cer"));
    private static ResourceCertificate Ca1 => Cert(RpkiRs("ca1.cer"));

    // --- rpki-rs/test-data/repository ---

    [Test]
    public void TaCer_IsAValidTrustAnchorWithAllResources()
    {
        var ta = Ta;
        Assert.Multiple(() =>
        {
            Assert.That(ta.Kind, Is.EqualTo(CertificateKind.TrustAnchor));
            Assert.That(ta.Subject, Is.EqualTo("CN=ripe-ncc-ta"));
            Assert.That(ta.Issuer, Is.EqualTo("CN=ripe-ncc-ta"));
            Assert.That(ta.SerialNumber, Is.EqualTo(new BigInteger(201)));
            Assert.That(ta.NotBefore, Is.EqualTo(Utc("2017-11-28T14:39:55Z")));
            Assert.That(ta.NotAfter, Is.EqualTo(Utc("2117-11-28T14:39:55Z")));
            Assert.That(ta.SubjectKeyIdentifier.ToString(), Is.EqualTo("E8552B1FD6D1A4F7E404C6D8E5680D1EBC163FC3"));
            Assert.That(ta.AuthorityKeyIdentifier, Is.Null);
            Assert.That(ta.CaIssuersUri, Is.Null);
            Assert.That(ta.CrlUri, Is.Null);
            Assert.That(ta.CaRepositoryUri, Is.EqualTo("rsync://rpki.ripe.net/repository/"));
            Assert.That(ta.ManifestUri, Is.EqualTo("rsync://rpki.ripe.net/repository/ripe-ncc-ta.mft"));
            Assert.That(ta.NotificationUri, Is.EqualTo("https://rrdp.ripe.net/notification.xml"));
            Assert.That(ta.KeyUsage, Is.EqualTo(KeyUsageFlags.KeyCertSign | KeyUsageFlags.CrlSign));
            Assert.That(ta.IpResources!.IPv4, Is.EqualTo(new[] { IpRange.FromPrefix(IpPrefix.Parse("0.0.0.0/0")) }));
            Assert.That(ta.IpResources.IPv6, Is.EqualTo(new[] { IpRange.FromPrefix(IpPrefix.Parse("::/0")) }));
            Assert.That(ta.AsResources!.Ranges, Is.EqualTo(new[] { new AsRange(0, uint.MaxValue) }));
            Assert.That(ta.VerifySignedBy(ta), Is.True, "self-signature");
            Assert.That(ta.CheckValidityAt(TaClock), Is.Null);
            Assert.That(ta.CheckValidityAt(RipeChainClock), Is.Null);
            Assert.That(ta.Encoded.ToArray(), Is.EqualTo(Bytes(RpkiRs("ta.cer"))), "keeps the bytes exactly");
            Assert.That(RpkiFile.Decode(Bytes(RpkiRs("ta.cer")), "ta.cer").Value, Is.InstanceOf<ResourceCertificate>());
        });
    }

    [Test]
    public void RipeTal_HoldsTheKeyOfTaCer()
    {
        var tal = Tal.Decode(Bytes(RpkiRs("ripe.tal")), "ripe").GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(tal.Uris, Is.EqualTo(new[] { "rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer" }));
            Assert.That(tal.Comments, Is.Empty);
            Assert.That(tal.MatchesKey(Ta), Is.True);
            Assert.That(tal.SubjectPublicKeyInfo.ToArray(), Is.EqualTo(Ta.SubjectPublicKeyInfo.ToArray()));
            Assert.That(tal.PublicKey.KeyIdentifier, Is.EqualTo(Ta.SubjectKeyIdentifier));
            Assert.That(tal.MatchesKey(Ca1), Is.False);
        });
    }

    [Test]
    public void TaCrl_IsSignedByTheTaWithSixRevokedSerials()
    {
        var crl = Crl.Decode(Bytes(RpkiRs("ta.crl"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(crl.Issuer, Is.EqualTo("CN=ripe-ncc-ta"));
            Assert.That(crl.Number, Is.EqualTo(new BigInteger(50)));
            Assert.That(crl.RevokedCount, Is.EqualTo(6));
            Assert.That(crl.ThisUpdate, Is.EqualTo(Utc("2019-02-26T13:14:44Z")));
            Assert.That(crl.NextUpdate, Is.EqualTo(Utc("2019-05-26T13:14:44Z")));
            Assert.That(crl.AuthorityKeyIdentifier, Is.EqualTo(Ta.SubjectKeyIdentifier));
            Assert.That(crl.VerifySignedBy(Ta), Is.True);
            Assert.That(crl.VerifySignedBy(Ca1), Is.False);
            Assert.That(crl.CheckValidityAt(TaClock), Is.Null);
            Assert.That(crl.CheckValidityAt(Utc("2019-05-27T00:00:00Z")), Does.Contain("stale"));
            Assert.That(crl.IsRevoked(Ca1), Is.False, "ca1.cer is not revoked");
        });
    }

    [Test]
    public void TaMft_BerEncoded_ListsCa1CerAndTaCrlWithMatchingHashes()
    {
        var mft = Manifest.Decode(Bytes(RpkiRs("ta.mft"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(mft.Number, Is.EqualTo(new BigInteger(50)));
            Assert.That(mft.ThisUpdate, Is.EqualTo(Utc("2019-02-26T13:14:44Z")));
            Assert.That(mft.NextUpdate, Is.EqualTo(Utc("2019-05-26T13:14:44Z")));
            Assert.That(mft.Entries.Select(e => e.FileName), Is.EqualTo(new[] { "2a7dd1d787d793e4c8af56e197d4eed92af6ba13.cer", "ripe-ncc-ta.crl" }));
            Assert.That(mft.Find("2a7dd1d787d793e4c8af56e197d4eed92af6ba13.cer")!.Matches(Bytes(RpkiRs("ca1.cer"))), Is.True);
            Assert.That(mft.Find("ripe-ncc-ta.crl")!.Matches(Bytes(RpkiRs("ta.crl"))), Is.True);
            Assert.That(mft.Find("ripe-ncc-ta.crl")!.Matches(Bytes(RpkiRs("ca1.crl"))), Is.False);
            Assert.That(mft.Find("missing.cer"), Is.Null);
            Assert.That(mft.EeCertificate.Kind, Is.EqualTo(CertificateKind.Ee));
            Assert.That(mft.EeCertificate.VerifySignedBy(Ta), Is.True, "manifest EE issued by ta.cer");
            Assert.That(mft.EeCertificate.AuthorityKeyIdentifier, Is.EqualTo(Ta.SubjectKeyIdentifier));
            Assert.That(mft.EeCertificate.IpResources!.IPv4Inherit && mft.EeCertificate.IpResources.IPv6Inherit, Is.True);
            Assert.That(mft.EeCertificate.AsResources!.IsInherit, Is.True);
            Assert.That(mft.CheckValidityAt(TaClock), Is.Null);
            Assert.That(mft.CheckValidityAt(Utc("2019-05-27T00:00:00Z")), Does.Contain("stale"));
        });
    }

    [Test]
    public void TaMftBadFilename_IsRejectedForTheNonAsciiByte()
    {
        var result = Manifest.Decode(Bytes(RpkiRs("ta.mft.bad-filename")));
        Assert.That(result.IsSuccess, Is.False);
        // The file-name check runs before the (also failing) message digest check.
        Assert.That(result.Error, Does.Contain("0xE2").And.Contain("RFC 9286 §4.2.2"));
    }

    [Test]
    public void Ca1Cer_IsACaSignedByTheTa()
    {
        var ca1 = Ca1;
        Assert.Multiple(() =>
        {
            Assert.That(ca1.Kind, Is.EqualTo(CertificateKind.Ca));
            Assert.That(ca1.Issuer, Is.EqualTo(Ta.Subject));
            Assert.That(ca1.AuthorityKeyIdentifier, Is.EqualTo(Ta.SubjectKeyIdentifier));
            Assert.That(ca1.VerifySignedBy(Ta), Is.True);
            Assert.That(ca1.VerifySignedBy(ca1), Is.False);
            Assert.That(ca1.NotBefore, Is.EqualTo(Utc("2019-02-26T13:14:44Z")));
            Assert.That(ca1.NotAfter, Is.EqualTo(Utc("2020-07-01T00:00:00Z")));
            Assert.That(ca1.CheckValidityAt(RipeChainClock), Is.Null);
            Assert.That(ca1.CrlUri, Is.EqualTo("rsync://rpki.ripe.net/repository/ripe-ncc-ta.crl"));
            Assert.That(Ta.IpResources!.Contains(ca1.IpResources!), Is.True);
            Assert.That(Ta.AsResources!.Contains(ca1.AsResources!), Is.True);
            Assert.That(ca1.IpResources!.ContainsPrefix(IpPrefix.Parse("193.0.0.0/21")), Is.True);
        });
    }

    [Test]
    public void Ca1Crl_Has163RevokedEntriesAndIsSignedByCa1()
    {
        var crl = Crl.Decode(Bytes(RpkiRs("ca1.crl"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(crl.RevokedCount, Is.EqualTo(163));
            Assert.That(crl.RevokedSerials, Has.Count.EqualTo(163));
            Assert.That(crl.Number, Is.EqualTo(new BigInteger(1702)));
            Assert.That(crl.ThisUpdate, Is.EqualTo(Utc("2019-04-06T09:35:49Z")));
            Assert.That(crl.NextUpdate, Is.EqualTo(Utc("2019-04-07T09:35:49Z")));
            Assert.That(crl.VerifySignedBy(Ca1), Is.True);
            Assert.That(crl.AuthorityKeyIdentifier, Is.EqualTo(Ca1.SubjectKeyIdentifier));
            Assert.That(crl.CheckValidityAt(RipeChainClock), Is.Null);
            Assert.That(crl.IsRevoked(crl.RevokedSerials.First()), Is.True);
            Assert.That(crl.IsRevoked(BigInteger.One), Is.False);
        });
    }

    [Test]
    public void Ca1Mft_BerEncoded_IsIssuedByCa1NotByTheTa()
    {
        var mft = Manifest.Decode(Bytes(RpkiRs("ca1.mft"))).GetValueOrThrow();
        var crl = Crl.Decode(Bytes(RpkiRs("ca1.crl"))).GetValueOrThrow();
        var taCrl = Crl.Decode(Bytes(RpkiRs("ta.crl"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(mft.Number, Is.EqualTo(new BigInteger(1705)));
            Assert.That(mft.Entries, Has.Length.EqualTo(3));
            Assert.That(mft.ThisUpdate, Is.EqualTo(Utc("2019-04-06T09:35:49Z")));
            Assert.That(mft.NextUpdate, Is.EqualTo(Utc("2019-04-07T09:35:49Z")));
            Assert.That(mft.EeCertificate.NotAfter, Is.EqualTo(Utc("2019-04-13T09:35:49Z")));
            Assert.That(mft.EeCertificate.VerifySignedBy(Ta), Is.False, "validating with ta.cer as issuer fails");
            Assert.That(mft.EeCertificate.VerifySignedBy(Ca1), Is.True);
            Assert.That(mft.EeCertificate.AuthorityKeyIdentifier, Is.EqualTo(Ca1.SubjectKeyIdentifier));
            Assert.That(mft.Find("Kn3R14fXk-TIr1bhl9Tu2Sr2uhM.crl")!.Matches(Bytes(RpkiRs("ca1.crl"))), Is.True);
            Assert.That(mft.EeCertificate.CrlUri, Does.EndWith("/Kn3R14fXk-TIr1bhl9Tu2Sr2uhM.crl"));
            Assert.That(mft.Entries.Count(e => e.FileType == RpkiObjectType.Certificate), Is.EqualTo(2));
            Assert.That(crl.IsRevoked(mft.EeCertificate), Is.False, "no EE in the chain is revoked");
            Assert.That(taCrl.IsRevoked(Ca1), Is.False);
            Assert.That(mft.CheckValidityAt(RipeChainClock), Is.Null, "inside every validity window at the pinned clock");
        });
    }

    [Test]
    public void ExampleRipeRoa_BerEncoded_AuthorisesAs209870()
    {
        var roa = RoaObject.Decode(Bytes(RpkiRs("example-ripe.roa"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(roa.AsId, Is.EqualTo(209870u));
            Assert.That(roa.Prefixes, Is.EqualTo(new[] { new RoaPrefix(IpPrefix.Parse("2a0c:b642:fc0::/43"), 43) }));
            Assert.That(roa.ToVrps(), Is.EqualTo(new[] { Vrp.V6(IpPrefix.Parse("2a0c:b642:fc0::/43").AddressBits, 43, 43, 209870) }));
            Assert.That(roa.EeCertificate.Kind, Is.EqualTo(CertificateKind.Ee), "EE passes the strict EE checks");
            Assert.That(roa.EeCertificate.NotBefore, Is.EqualTo(Utc("2019-06-06T21:44:45Z")));
            Assert.That(roa.EeCertificate.NotAfter, Is.EqualTo(Utc("2020-07-01T00:00:00Z")));
            Assert.That(roa.EeCertificate.AsResources, Is.Null);
            Assert.That(roa.CheckValidityAt(Utc("2019-07-01T00:00:00Z")), Is.Null);
            Assert.That(roa.CheckValidityAt(Utc("2020-07-02T00:00:00Z")), Does.Contain("expired"));
        });
        var ee = ResourceCertificate.Decode(EeCertificate(RpkiRs("example-ripe.roa"))).GetValueOrThrow();
        Assert.That(ee.Kind, Is.EqualTo(CertificateKind.Ee));
    }

    [Test]
    public void SignatureAlgMismatchMft_EeCheckFails()
    {
        const string reason = "signature algorithm inside TBSCertificate differs from the outer signatureAlgorithm";
        var result = Manifest.Decode(Bytes(RpkiRs("signature-alg-mismatch.mft")));
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(result.Error, Does.Contain("EE certificate").And.Contain(reason));
        var ee = ResourceCertificate.Decode(EeCertificate(RpkiRs("signature-alg-mismatch.mft")));
        Assert.That(ee.Error, Does.Contain(reason));

        // The manifest itself (what rpki-rs's non-strict decode reads) is fine: 4 entries, 20-byte number.
        var content = ManifestContent.Decode(EContent(RpkiRs("signature-alg-mismatch.mft"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(content.Entries, Has.Length.EqualTo(4));
            Assert.That(content.Number.GetByteCount(isUnsigned: true), Is.EqualTo(20));
            Assert.That(content.ThisUpdate, Is.EqualTo(Utc("2020-08-12T15:52:11Z")));
            Assert.That(content.NextUpdate, Is.EqualTo(Utc("2020-08-15T15:00:00Z")));
        });
    }

    [Test]
    public void RouterCer_PassesTheRouterProfile()
    {
        var router = RouterCertificate.Decode(Bytes(RpkiRs("router.cer"))).GetValueOrThrow();
        byte[] expectedSpki = X509CertificateLoader.LoadCertificate(Bytes(RpkiRs("router.cer"))).PublicKey.ExportSubjectPublicKeyInfo();
        Assert.Multiple(() =>
        {
            Assert.That(router.Certificate.Kind, Is.EqualTo(CertificateKind.Router));
            Assert.That(router.Certificate.Subject, Does.StartWith("CN=ROUTER-1234"));
            Assert.That(router.Certificate.PublicKey.Algorithm, Is.EqualTo(PublicKeyAlgorithm.EcP256));
            Assert.That(router.Certificate.ExtendedKeyUsages, Does.Contain("1.3.6.1.5.5.7.3.30"));
            Assert.That(router.Certificate.IpResources, Is.Null);
            Assert.That(router.AsResources.Ranges, Is.EqualTo(new[] { new AsRange(3000, 9001), AsRange.Single(199664) }));
            Assert.That(router.SubjectPublicKeyInfo.ToArray(), Is.EqualTo(expectedSpki));
            Assert.That(router.Certificate.NotBefore, Is.EqualTo(Utc("2020-10-07T12:40:18Z")));
            Assert.That(router.Certificate.NotAfter, Is.EqualTo(Utc("2021-10-07T12:40:18Z")));
        });
        var keys = router.ToRouterKeys();
        Assert.Multiple(() =>
        {
            Assert.That(keys, Has.Length.EqualTo(9001 - 3000 + 1 + 1));
            Assert.That(keys[0].Asn, Is.EqualTo(3000u));
            Assert.That(keys[^1].Asn, Is.EqualTo(199664u));
            Assert.That(keys[0].Ski.ToArray(), Is.EqualTo(router.SubjectKeyIdentifier.ToArray()));
            Assert.That(keys[0].SubjectPublicKeyInfo.ToArray(), Is.EqualTo(expectedSpki));
        });
        Assert.That(RpkiFile.Decode(Bytes(RpkiRs("router.cer")), "router.cer").Value, Is.InstanceOf<RouterCertificate>());
    }

    [TestCase("maxlen-overflow.roa", "maxLength 124 of 192.0.2.0/24 exceeds 32")]
    [TestCase("maxlen-underflow.roa", "maxLength 2 of 192.0.2.0/24 is less than the prefix length 24")]
    // The README says "132 bits"; the BIT STRING is 03 11 04 c0 00 02 00…: 16 content octets with 4 unused bits,
    // i.e. 124 significant bits (132 counts the unused-bits octet as well). Either way it is longer than 32.
    [TestCase("prefix-len-overflow.roa", "IPv4 address of 124 bits, longer than 32")]
    public void IllegalRoas_AreRejected_FirstForTheMissingSigningTime_AndForTheirContent(string file, string contentReason)
    {
        // These objects have no signing-time attribute. The CMS template is checked before the EE certificate and
        // the eContent, so that is the reason the whole object is rejected with (as rpki-rs does since e0a103d).
        var result = RoaObject.Decode(Bytes(RpkiRs(file)));
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(result.Error, Is.EqualTo("ROA: no signing-time signed attribute (required by RFC 9589)"));
        Assert.That(RpkiFile.Decode(Bytes(RpkiRs(file)), file).Error, Is.EqualTo(result.Error));

        // The content check that rpki-rs's test was written for still fires on the eContent itself.
        var content = RoaContent.Decode(EContent(RpkiRs(file)));
        Assert.That(content.IsSuccess, Is.False);
        Assert.That(content.Error, Does.Contain(contentReason));
    }

    [Test]
    public void PrefixLenOverflowRoa_EeCertificateIpExtensionIsEquallyOverlong()
    {
        var ee = ResourceCertificate.Decode(EeCertificate(RpkiRs("prefix-len-overflow.roa")));
        Assert.That(ee.Error, Does.Contain("IP resources").And.Contain("IPv4 address of 124 bits, longer than 32"));
    }

    [Test]
    public void MaxlenRoas_ContentAsideFromMaxLengthIsAs64494()
    {
        // The content decoder is strict about maxLength only; a valid maxLength for the same prefix is accepted.
        var ee = ResourceCertificate.Decode(EeCertificate(RpkiRs("maxlen-overflow.roa"))).GetValueOrThrow();
        Assert.That(ee.IpResources!.ContainsPrefix(IpPrefix.Parse("192.0.2.0/24")), Is.True);
    }

    [Test]
    public void AspaBm_OldLayout_IsRejected()
    {
        var result = AspaObject.Decode(Bytes(RpkiRs("aspa-bm.asa")));
        Assert.That(result.Error, Is.EqualTo("ASPA: no signing-time signed attribute (required by RFC 9589)"));
        var content = AspaContent.Decode(EContent(RpkiRs("aspa-bm.asa")));
        Assert.That(content.Error, Does.Contain("old ASPA profile"));
    }

    [Test]
    public void AspaContentDer_CurrentLayout_Decodes()
    {
        var aspa = AspaContent.Decode(Bytes(RpkiRs("aspa-content.der"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(aspa.CustomerAsn, Is.EqualTo(15562u));
            Assert.That(aspa.Providers, Is.EqualTo(new uint[] { 2914, 8283, 51088, 206238 }));
            Assert.That(aspa.ToAspa(), Is.EqualTo(Aspa.Create(15562, [2914, 8283, 51088, 206238])));
        });
    }

    [Test]
    public void AspaContentDraft13_OldLayout_IsRejected()
    {
        var result = AspaContent.Decode(Bytes(RpkiRs("aspa-content-draft-13.der")));
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(result.Error, Does.Contain("old ASPA profile").And.Contain("explicit version 1"));
    }

    // --- rpki-prover/test/data ---

    [Test]
    public void As204325Asa_CurrentLayout_HasThreeProviders()
    {
        var aspa = AspaObject.Decode(Bytes(Prover("AS204325.asa"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(aspa.CustomerAsn, Is.EqualTo(204325u));
            Assert.That(aspa.Providers, Is.EquivalentTo(new uint[] { 65000, 65002, 65003 }));
            Assert.That(aspa.EeCertificate.AsResources!.Ranges, Is.EqualTo(new[] { AsRange.Single(204325) }));
            Assert.That(aspa.EeCertificate.IpResources, Is.Null);
            Assert.That(aspa.EeCertificate.NotBefore, Is.EqualTo(Utc("2023-10-20T14:21:01Z")));
            Assert.That(aspa.EeCertificate.NotAfter, Is.EqualTo(Utc("2024-10-18T14:26:01Z")));
            Assert.That(aspa.SignedObject.SigningTime, Is.EqualTo(Utc("2023-10-20T14:26:01Z")));
            Assert.That(aspa.CheckValidityAt(Utc("2024-01-01T00:00:00Z")), Is.Null);
            Assert.That(aspa.ToAspa().ToString(), Is.EqualTo("AS204325 => [AS65000, AS65002, AS65003]"));
        });
    }

    [Test]
    public void Aspa1Asa_OldLayoutWithAfiLimits_IsRejected()
    {
        var result = AspaObject.Decode(Bytes(Prover("aspa.1.asa")));
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(result.Error, Does.Contain("old ASPA profile"));
    }

    [Test]
    public void AfrinicManifests_ShareTheAkiAndMft2IsTheNewer()
    {
        var m1 = Manifest.Decode(Bytes(Prover("afrinic_mft1.mft"))).GetValueOrThrow();
        var m2 = Manifest.Decode(Bytes(Prover("afrinic_mft2.mft"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(m1.EeCertificate.AuthorityKeyIdentifier, Is.EqualTo(m2.EeCertificate.AuthorityKeyIdentifier));
            Assert.That(m1.EeCertificate.Issuer, Is.EqualTo("CN=AfriNIC-Root-Certificate"));
            Assert.That(m1.Number, Is.EqualTo(new BigInteger(126)));
            Assert.That(m2.Number, Is.EqualTo(new BigInteger(144)));
            Assert.That(m2.NextUpdate, Is.GreaterThan(m1.NextUpdate), "ordered by nextUpdate, mft2 is the latest");
            Assert.That(m2.EeCertificate.SerialNumber, Is.LessThan(m1.EeCertificate.SerialNumber), "EE serials do not order manifests");
            Assert.That(m1.EeCertificate.SerialNumber, Is.EqualTo(new BigInteger(0x28)));
            Assert.That(m2.EeCertificate.SerialNumber, Is.EqualTo(new BigInteger(0x19)));
            Assert.That(m1.Entries, Has.Length.EqualTo(6));
            Assert.That(m2.Entries.Select(e => e.FileName), Is.EquivalentTo(m1.Entries.Select(e => e.FileName)));
            Assert.That(m2.Entries.Select(e => e.Hash), Is.Not.EquivalentTo(m1.Entries.Select(e => e.Hash)));
            Assert.That(m1.Entries.Select(e => e.FileName), Does.Contain("afrinic-ca.cer"));
            Assert.That(m1.Entries.Count(e => e.FileName.EndsWith("-to-afrinic.cer", StringComparison.Ordinal)), Is.EqualTo(4));
            Assert.That(m1.CheckValidityAt(Utc("2019-07-10T00:00:00Z")), Is.Null);
            Assert.That(m2.CheckValidityAt(Utc("2020-11-10T00:00:00Z")), Is.Null);
        });
    }

    [Test]
    public void BgpRouterCert_HasTheExpectedSpkiAndAki()
    {
        const string expectedSpki = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAET10FMBxP6P3r6aG/ICpfsktp7X6ylJIY8Kye6zkQhNOt0y+cRzYngH8MGzY3cXNvZ64z4CpZ22gf4teybGq8ow==";
        var router = RouterCertificate.Decode(Bytes(Prover("bgp_router_cert.cer"))).GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToBase64String(router.SubjectPublicKeyInfo), Is.EqualTo(expectedSpki));
            Assert.That(router.Certificate.AuthorityKeyIdentifier, Is.Not.Null);
            Assert.That(router.AsResources.Ranges, Is.EqualTo(new[] { AsRange.Single(211321) }));
            Assert.That(router.Certificate.Subject, Is.EqualTo("CN=" + router.SubjectKeyIdentifier));
            Assert.That(router.Certificate.PublicKey.Algorithm, Is.EqualTo(PublicKeyAlgorithm.EcP256));
            Assert.That(router.CheckValidityAt(Utc("2023-01-01T00:00:00Z")), Is.Null);
            var key = router.ToRouterKeys().Single();
            Assert.That(key.Asn, Is.EqualTo(211321u));
            Assert.That(Convert.ToBase64String(key.SubjectPublicKeyInfo.AsSpan()), Is.EqualTo(expectedSpki));
        });
    }

    [Test]
    public void BigCert_HasTheLargeResourceSetAndVerifiesUnderCa1()
    {
        var big = Cert(Prover("big_cert.cer"));
        Assert.Multiple(() =>
        {
            Assert.That(big.Kind, Is.EqualTo(CertificateKind.Ca));
            Assert.That(big.IpResources!.IPv4, Has.Length.EqualTo(2188));
            Assert.That(big.IpResources.IPv6, Has.Length.EqualTo(11));
            Assert.That(big.AsResources!.Count, Is.EqualTo(227));
            Assert.That(big.AsResources.Ranges.Count(r => r.Min != r.Max), Is.EqualTo(124));
            Assert.That(big.VerifySignedBy(Ca1), Is.True);
            Assert.That(big.AuthorityKeyIdentifier, Is.EqualTo(Ca1.SubjectKeyIdentifier));
            Assert.That(Ca1.IpResources!.Contains(big.IpResources), Is.True);
            Assert.That(Ca1.AsResources!.Contains(big.AsResources), Is.True);
            Assert.That(big.CheckValidityAt(RipeChainClock), Is.Null);
            Assert.That(big.NotBefore, Is.EqualTo(Utc("2019-01-14T07:35:52Z")));
            Assert.That(big.NotAfter, Is.EqualTo(Utc("2020-07-01T00:00:00Z")));
        });
        // Every explicit entry is contained in the set itself (exercises the binary search at every position).
        foreach (var r in big.IpResources!.Ranges)
            Assert.That(big.IpResources.ContainsRange(r), Is.True, r.ToString());
    }

    [Test]
    public void EveryFixture_DecodesToTheExpectedOutcome()
    {
        var rejected = new Dictionary<string, string>
        {
            ["ta.mft.bad-filename"] = "0xE2",
            ["signature-alg-mismatch.mft"] = "differs from the outer signatureAlgorithm",
            ["maxlen-overflow.roa"] = "signing-time",
            ["maxlen-underflow.roa"] = "signing-time",
            ["prefix-len-overflow.roa"] = "signing-time",
            ["aspa-bm.asa"] = "signing-time",
            ["aspa.1.asa"] = "old ASPA profile",
        };
        foreach (var file in AllObjectFiles())
        {
            string name = Path.GetFileName(file);
            if (name.EndsWith(".der", StringComparison.Ordinal)) continue; // bare eContent, tested above
            var result = RpkiFile.Decode(Bytes(file), DecodeName(file));
            if (rejected.TryGetValue(name, out var reason))
                Assert.That(result.Error, Does.Contain(reason), name);
            else
                Assert.That(result.IsSuccess, Is.True, $"{name}: {result.Error}");
        }
    }
}
