using System.Diagnostics;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;
using RtrCache.Testbed.Publishing;
using static RtrCache.Testbed.Tests.Publishing.PublishingSupport;
using RpkiTal = RtrCache.Rpki.Objects.Tal;

namespace RtrCache.Testbed.Tests.Publishing;

/// <summary>
/// The end-to-end setup: a Tiny repository generated for the server's and daemon's ports, checked with the
/// project's own decoder and validator and with a plain HTTPS client and Debian's rsync; then edits of the model
/// republished as one RRDP delta with exactly the expected elements.
/// </summary>
public class LiveRepositoryTests
{
    private LiveRepository _live = null!;
    private HttpClient _client = null!;
    private string _work = null!;

    [SetUp]
    public async Task SetUp()
    {
        if (!RsyncDaemon.IsAvailable) Assert.Fail($"{RsyncDaemon.ExecutablePath} not installed (.ci/run installs Debian's rsync)");
        _work = NewWorkDir("live");
        var sw = Stopwatch.StartNew();
        _live = await LiveRepository.StartAsync(TestbedOptions.ForScale(TestbedScale.Tiny));
        TestContext.Progress.WriteLine($"live Tiny repository: rendered in {_live.InitialRenderTime.TotalSeconds:F2} s, ready in {sw.Elapsed.TotalSeconds:F2} s " +
                                       $"(RRDP {_live.Server.Port}, rsync {_live.Rsync!.Port})");
        _client = Client(_live.Server);
    }

    [TearDown]
    public async Task TearDown()
    {
        _client?.Dispose();
        if (_live is not null) await _live.DisposeAsync();
        TinyRepository.TryDelete(_work);
    }

    private static IReadOnlyList<RpkiTal> Tals(LiveRepository live)
        => live.TalPaths.Select(p => RpkiTal.Decode(File.ReadAllBytes(p), Path.GetFileNameWithoutExtension(p)).GetValueOrThrow()).ToList();

    private static ValidationResult Validate(LiveRepository live)
        => Validator.Run(Tals(live), live.TreeRoot, live.Options.Now, ValidatorOptions.Default, CancellationToken.None);

    private static string Describe(ValidationResult r)
        => string.Join("\n", r.FailedPublicationPoints.Select(f => "failed: " + f).Concat(r.Rejected.Select(x => "rejected: " + x)));

    /// <summary>Every TA and CA certificate carries the server's notification URI; all rsync URIs name the daemon.</summary>
    [Test]
    public void CertificatesNameTheServerAndTheDaemon()
    {
        string rsyncBase = $"rsync://127.0.0.1:{_live.Rsync!.Port}/repo/";
        Assert.That(_live.NotificationUri, Is.EqualTo($"https://127.0.0.1:{_live.Server.Port}/rrdp/notification.xml"));
        Assert.That(_live.Options.NotifyUri, Is.EqualTo(_live.NotificationUri));
        foreach (var ca in _live.Repository.AllCas)
        {
            var cert = ResourceCertificate.Decode(File.ReadAllBytes(Renderer.LocalPath(_live.TreeRoot, ca.CertUri))).GetValueOrThrow();
            Assert.That(cert.IsCa, ca.Name);
            Assert.That(cert.NotificationUri, Is.EqualTo(_live.NotificationUri), ca.Name);
            Assert.That(cert.CaRepositoryUri, Is.EqualTo(rsyncBase + ca.Name + "/").Or.EqualTo(rsyncBase + "ta/"), ca.Name);
            Assert.That(cert.ManifestUri, Does.StartWith(rsyncBase), ca.Name);
        }
        var router = _live.Repository.AllCas.SelectMany(c => c.Routers).First();
        var routerCert = ResourceCertificate.Decode(File.ReadAllBytes(Renderer.LocalPath(_live.TreeRoot, router.Uri))).GetValueOrThrow();
        Assert.That(routerCert.NotificationUri, Is.Null, "EE certificates have no rpkiNotify");
    }

    /// <summary>The TAL lists the https URI first; the server serves the TA certificate there; the rsync URI works with the rsync client.</summary>
    [Test]
    public async Task TalNamesTheTaCertificateOverHttpsAndRsync()
    {
        var tal = Tals(_live).Single();
        string https = $"https://127.0.0.1:{_live.Server.Port}/repo/ta/ta.cer";
        string rsync = $"rsync://127.0.0.1:{_live.Rsync!.Port}/repo/ta/ta.cer";
        Assert.That(tal.Uris, Is.EqualTo(new[] { https, rsync }));
        var file = File.ReadAllBytes(Renderer.LocalPath(_live.TreeRoot, rsync));
        Assert.That(await _client.GetByteArrayAsync(https), Is.EqualTo(file));
        var dest = Path.Combine(_work, "ta");
        var (exit, output) = RunRsync(rsync, dest + "/", TimeSpan.FromSeconds(30));
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(File.ReadAllBytes(Path.Combine(dest, "ta.cer")), Is.EqualTo(file));
    }

    /// <summary>The tree validates to the expected payload; the RRDP snapshot and the rsync module both hold exactly the tree.</summary>
    [Test]
    public async Task TreeValidatesAndBothTransportsServeIt()
    {
        var result = Validate(_live);
        Assert.That(result.Payload, Is.EqualTo(_live.Repository.Expected()), Describe(result));
        Assert.That(result.Rejected, Is.Empty);
        Assert.That(result.FailedPublicationPoints, Is.Empty);

        var tree = TreeFiles(_live.TreeRoot);
        var notification = ParseStrict(await _client.GetByteArrayAsync(_live.NotificationUri)).Root!;
        var snapshotRef = notification.Element(Rrdp + "snapshot")!;
        var snapshotBytes = await _client.GetByteArrayAsync((string)snapshotRef.Attribute("uri")!);
        Assert.That(Sha256Hex(snapshotBytes), Is.EqualTo((string)snapshotRef.Attribute("hash")!));
        var published = ParseStrict(snapshotBytes).Root!.Elements().ToDictionary(e => (string)e.Attribute("uri")!, e => Convert.FromBase64String(e.Value));
        Assert.That(published.Keys, Is.EquivalentTo(tree.Keys));
        foreach (var (uri, bytes) in tree) Assert.That(published[uri], Is.EqualTo(bytes), uri);

        var dest = Path.Combine(_work, "rsync");
        var (exit, output) = RunRsync(_live.Rsync!.ModuleUri("repo"), dest, TimeSpan.FromSeconds(30));
        Assert.That(exit, Is.EqualTo(0), output);
        var module = DirectoryFiles(dest);
        string prefix = _live.Rsync.ModuleUri("repo");
        Assert.That(module.Keys.Select(k => prefix + k), Is.EquivalentTo(tree.Keys));
        foreach (var (rel, bytes) in module) Assert.That(bytes, Is.EqualTo(tree[prefix + rel]), rel);
    }

    /// <summary>
    /// New ROA, revoked ROA, changed ASPA: one delta (serial 2) with exactly the new ROA published without hash,
    /// and the changed files (the ASPA, the three CAs' manifests and CRLs) with their old hashes; the new tree
    /// validates to the new expected payload and rsync serves it. Then a removed ROA is a withdraw.
    /// </summary>
    [Test]
    public async Task EditsArePublishedAsOneDeltaWithExactlyTheChanges()
    {
        var repo = _live.Repository;
        var before = TreeFiles(_live.TreeRoot);
        var expectedBefore = repo.Expected();

        var added = repo.AddRoa("ca0-0", 64500);
        var revoked = repo.RevokeRoa("ca1", "roa-0.roa");
        var aspaCa = repo.AllCas.First(c => c.Aspas.Count > 0);
        var aspa = aspaCa.Aspas[0];
        repo.SetAspaProviders(aspaCa.Name, aspa.FileName, [65001, 65002]);

        var publication = _live.Republish();
        Assert.That(publication.Serial, Is.EqualTo(2));
        Assert.That(_live.Generation, Is.EqualTo(2));
        string Pp(string ca) => repo.FindCa(ca).PublicationPoint;
        var replacedWanted = new[] { "ca0-0", "ca1", aspaCa.Name }.Distinct()
            .SelectMany(c => new[] { Pp(c) + c + ".mft", Pp(c) + c + ".crl" })
            .Append(aspa.Uri).Distinct().ToList();
        Assert.That(publication.Added, Is.EqualTo(new[] { added.Uri }));
        Assert.That(publication.Replaced, Is.EquivalentTo(replacedWanted));
        Assert.That(publication.Withdrawn, Is.Empty);

        // the delta as a client sees it
        var notification = ParseStrict(await _client.GetByteArrayAsync(_live.NotificationUri)).Root!;
        Assert.That((long)notification.Attribute("serial")!, Is.EqualTo(2));
        var deltaRef = notification.Elements(Rrdp + "delta").Single();
        var deltaBytes = await _client.GetByteArrayAsync((string)deltaRef.Attribute("uri")!);
        Assert.That(Sha256Hex(deltaBytes), Is.EqualTo((string)deltaRef.Attribute("hash")!));
        var after = TreeFiles(_live.TreeRoot);
        var elements = ParseStrict(deltaBytes).Root!.Elements().ToList();
        Assert.That(elements.Select(e => (string)e.Attribute("uri")!), Is.EquivalentTo(replacedWanted.Append(added.Uri)));
        foreach (var e in elements)
        {
            var uri = (string)e.Attribute("uri")!;
            Assert.That(e.Name, Is.EqualTo(Rrdp + "publish"));
            Assert.That(Convert.FromBase64String(e.Value), Is.EqualTo(after[uri]), uri);
            if (uri == added.Uri) Assert.That(e.Attribute("hash"), Is.Null);
            else Assert.That((string?)e.Attribute("hash"), Is.EqualTo(Sha256Hex(before[uri])), uri);
        }
        // nothing else changed
        foreach (var (uri, bytes) in before)
            if (!replacedWanted.Contains(uri)) Assert.That(after[uri], Is.EqualTo(bytes), uri);

        // the new tree validates to the new expectation
        var expected = repo.Expected();
        Assert.That(expected.Vrps, Is.SupersetOf(added.Vrps()));
        var stillIssued = repo.AllCas.SelectMany(c => c.Roas).Where(r => r != revoked && !r.Tweak.ExpectRejected).SelectMany(r => r.Vrps()).ToHashSet();
        var gone = revoked.Vrps().Where(v => !stillIssued.Contains(v)).ToList();
        Assert.That(gone, Is.Not.Empty);
        Assert.That(expectedBefore.Vrps, Is.SupersetOf(gone));
        Assert.That(expected.Vrps.Intersect(gone), Is.Empty, "the revoked ROA's VRPs are gone");
        Assert.That(expected.Aspas.ToArray().Single(a => a.Customer == aspa.Customer).Providers, Is.SupersetOf(new uint[] { 65001, 65002 }));
        var result = Validate(_live);
        Assert.That(result.Payload, Is.EqualTo(expected), Describe(result));

        // rsync serves the new generation
        var dest = Path.Combine(_work, "rsync2");
        var (exit, output) = RunRsync(_live.Rsync!.ModuleUri("repo"), dest, TimeSpan.FromSeconds(30));
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(File.ReadAllBytes(Path.Combine(dest, "ca0-0", added.FileName)), Is.EqualTo(after[added.Uri]));

        // a removed ROA is a withdraw with the hash of what was there
        var removed = repo.RemoveRoa("ca0-0", added.FileName);
        var third = _live.Republish();
        Assert.That(third.Serial, Is.EqualTo(3));
        Assert.That(third.Withdrawn, Is.EqualTo(new[] { removed.Uri }));
        var delta3 = ParseStrict(File.ReadAllBytes(third.Delta!.FilePath)).Root!;
        var withdraw = delta3.Elements(Rrdp + "withdraw").Single();
        Assert.That((string?)withdraw.Attribute("hash"), Is.EqualTo(Sha256Hex(after[removed.Uri])));
        Assert.That(Validate(_live).Payload, Is.EqualTo(repo.Expected()));
        Assert.That(Directory.Exists(Path.Combine(_live.WorkDirectory, "gen-1")), Is.False, "old generations are deleted");
    }

    /// <summary>rsync down and back on the same port (the repository names that port).</summary>
    [Test]
    public void RsyncCanBeStoppedAndRestartedOnItsPort()
    {
        int port = _live.Rsync!.Port;
        _live.StopRsync();
        var (down, _) = RunRsync(_live.Rsync.ModuleUri("repo"), Path.Combine(_work, "down"), TimeSpan.FromSeconds(30));
        Assert.That(down, Is.Not.EqualTo(0), "daemon down");
        _live.RestartRsync();
        Assert.That(_live.Rsync.Port, Is.EqualTo(port));
        var (up, output) = RunRsync(_live.Rsync.ModuleUri("repo"), Path.Combine(_work, "up"), TimeSpan.FromSeconds(30));
        Assert.That(up, Is.EqualTo(0), output);
    }
}
