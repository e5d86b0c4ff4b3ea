using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;

namespace RtrCache.Rpki.Tests.Validation;

/// <summary>
/// The real RIPE NCC objects of rpki-rs/test-data/repository (2019), laid out in a temp tree by the URIs inside
/// them: ta.cer (TAL ripe.tal) → ripe-ncc-ta.mft → ripe-ncc-ta.crl; ca1.cer → its manifest and CRL under aca/.
/// </summary>
public class RealRepositoryValidationTests
{
    private static readonly DateTimeOffset Now = Fixtures.Utc("2019-04-06T12:00:00Z");
    private const string Ca1Uri = "rsync://rpki.ripe.net/repository/2a7dd1d787d793e4c8af56e197d4eed92af6ba13.cer";
    private const string Ca1Manifest = "rsync://rpki.ripe.net/repository/aca/Kn3R14fXk-TIr1bhl9Tu2Sr2uhM.mft";

    private string _root = "";

    [OneTimeSetUp]
    public void LayOut()
    {
        _root = Generated.NewWorkDir("ripe-2019");
        Place("ta.cer", "rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer");
        Place("ta.mft", "rsync://rpki.ripe.net/repository/ripe-ncc-ta.mft");
        Place("ta.crl", "rsync://rpki.ripe.net/repository/ripe-ncc-ta.crl");
        Place("ca1.cer", Ca1Uri);
        Place("ca1.mft", Ca1Manifest);
        Place("ca1.crl", "rsync://rpki.ripe.net/repository/aca/Kn3R14fXk-TIr1bhl9Tu2Sr2uhM.crl");
    }

    [OneTimeTearDown]
    public void Clean() => Generated.TryDelete(_root);

    private void Place(string fixture, string uri)
    {
        var path = Validator.LocalPath(_root, uri)!;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(Fixtures.RpkiRs(fixture), path, overwrite: true);
    }

    private static Tal RipeTal => Tal.Decode(Fixtures.Bytes(Fixtures.RpkiRs("ripe.tal")), "ripe").GetValueOrThrow();

    private static ResourceCertificate Ca1 => ResourceCertificate.Decode(Fixtures.Bytes(Fixtures.RpkiRs("ca1.cer"))).GetValueOrThrow();

    [Test]
    public void ChainValidatesTopDownAndCa1FailsOnItsMissingFiles()
    {
        var result = Validator.Run([RipeTal], _root, Now, ValidatorOptions.Default, CancellationToken.None);
        TestContext.Out.WriteLine(Generated.Describe(result));
        var ta = result.TrustAnchors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(ta.Error, Is.Null);
            Assert.That(ta.CertificateUri, Is.EqualTo("rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer"));
            // ta.mft #50 lists ripe-ncc-ta.crl and ca1's certificate (hashes match): TA + ca1 accepted
            Assert.That(result.ObjectCount(RpkiObjectType.Certificate), Is.EqualTo(2));
            Assert.That(ta.CaCount, Is.EqualTo(1), "only the TA's publication point is usable");
            Assert.That(result.Rejected, Is.Empty);
            Assert.That(result.Payload.VrpCount, Is.Zero);
            // ca1's manifest #1705 lists two .cer files the fixture does not include: RFC 9286 §6.4 and
            // rpki-objects.md §6/§11 make that a failed fetch; with no previously accepted manifest the CA's
            // products are dropped, reported with the CA and the manifest URI.
            var failed = result.FailedPublicationPoints.Single();
            Assert.That(failed.CaUri, Is.EqualTo(Ca1Uri));
            Assert.That(failed.ManifestUri, Is.EqualTo(Ca1Manifest));
            Assert.That(failed.Reason, Does.Contain("HGp1AESLbyiopScGy7yW4b6s_T4.cer").And.Contain("missing"));
        });
    }

    [Test]
    public void Ca1PublicationPointFailsBecauseListedCertificatesAreMissing()
    {
        // ca1's manifest and CRL verify, but two .cer files it lists are not in the fixture: RFC 9286 §6.4 and
        // rpki-objects.md §6/§11 make that a failed fetch; with no previously accepted manifest the CA's
        // products are dropped and the failure is reported with the CA and the manifest URI.
        var result = Validator.RunFromCa(Ca1, Ca1Uri, "ca1", _root, Now);
        TestContext.Out.WriteLine(Generated.Describe(result));
        var failed = result.FailedPublicationPoints.Single();
        Assert.Multiple(() =>
        {
            Assert.That(failed.CaUri, Is.EqualTo(Ca1Uri));
            Assert.That(failed.ManifestUri, Is.EqualTo(Ca1Manifest));
            Assert.That(failed.Reason, Does.Contain("HGp1AESLbyiopScGy7yW4b6s_T4.cer").And.Contain("missing"));
            Assert.That(result.Payload.VrpCount, Is.Zero);
            Assert.That(result.TrustAnchors[0].CaCount, Is.Zero);
        });
    }

    [Test]
    public void Ca1ManifestIsStaleTwoDaysLater()
    {
        // ca1's manifest nextUpdate is 2019-04-07T09:35:49Z; the TA's (2019-05-26) is still current
        var result = Validator.Run([RipeTal], _root, Now.AddDays(2), ValidatorOptions.Default, CancellationToken.None);
        var failed = result.FailedPublicationPoints.Single();
        Assert.That(failed.ManifestUri, Is.EqualTo(Ca1Manifest));
        Assert.That(failed.Reason, Does.Contain("stale"));
    }

    [Test]
    public void EverythingFailsAfterTheTaManifestExpires()
    {
        var result = Validator.Run([RipeTal], _root, Fixtures.Utc("2019-06-01T00:00:00Z"), ValidatorOptions.Default, CancellationToken.None);
        var failed = result.FailedPublicationPoints.Single();
        Assert.That(failed.ManifestUri, Is.EqualTo("rsync://rpki.ripe.net/repository/ripe-ncc-ta.mft"));
        Assert.That(result.ObjectCount(RpkiObjectType.Certificate), Is.EqualTo(1));
    }
}
