using RtrCache.Fetch.Tests.Support;
using RtrCache.Payload;
using RtrCache.Rpki.Validation;
using RtrCache.Testbed;
using RtrCache.Testbed.Publishing;
using RpkiTal = RtrCache.Rpki.Objects.Tal;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// The validator working on a snapshot while it is still arriving (<see cref="FetchOptions.EarlyValidation"/>):
/// the answer is the same as waiting for the whole snapshot, publication points are handed over before the
/// snapshot is complete, and a snapshot that fails its hash at the end leaves nothing of itself in the result.
/// The generated repository is served over RRDP by the in-test HTTPS server, its snapshot dripped slowly so the
/// validator has something to overlap with.
/// </summary>
[NonParallelizable]
public class EarlyValidationTests
{
    private LiveRepository _live = null!;
    private TempDir _cache = null!;

    /// <summary>Counts the locations handed to the validator that were still being written.</summary>
    private sealed class CountingProvider(IRepositoryProvider inner) : IRepositoryProvider
    {
        private int _provisional;
        private int _final;

        public int Provisional => Volatile.Read(ref _provisional);

        public int Final => Volatile.Read(ref _final);

        public ValueTask<IReadOnlyList<string>> TrustAnchorCandidatesAsync(RpkiTal tal, string uri, CancellationToken ct) => inner.TrustAnchorCandidatesAsync(tal, uri, ct);

        public async ValueTask<RepositoryLocation> PublicationPointAsync(PublicationPointRequest request, CancellationToken ct)
        {
            var location = await inner.PublicationPointAsync(request, ct);
            Interlocked.Increment(ref location.Provisional is null ? ref _final : ref _provisional);
            return location;
        }
    }

    [SetUp]
    public async Task SetUp()
    {
        // Parents before children, as a server writing publication points in tree order does: the order in
        // which early validation has something to start on (in URI order the TA's directory comes last here).
        _live = await LiveRepository.StartAsync(TestbedOptions.ForScale(TestbedScale.Tiny), new LiveRepositoryOptions
        {
            Rsync = false,
            Publisher = new RrdpPublisherOptions { SnapshotOrder = SnapshotOrder.ParentsFirst },
        });
        _cache = new TempDir();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _live.DisposeAsync();
        _cache.Dispose();
    }

    private IReadOnlyList<RpkiTal> Tals()
        => _live.TalPaths.Select(p => RpkiTal.Decode(File.ReadAllBytes(p), Path.GetFileNameWithoutExtension(p)).GetValueOrThrow()).ToList();

    /// <summary>A cold fetch and validation into a fresh cache, the snapshot arriving in about two seconds.</summary>
    private async Task<(ValidationResult Result, FetchReport Report, CountingProvider Counts)> ColdRunAsync(bool early, string cacheName)
    {
        var snapshot = _live.Publisher.Snapshot!;
        _live.Server.SetFault(snapshot.UrlPath, HttpFault.SlowDrip((int)Math.Max(1024, snapshot.Length / 2)));
        try
        {
            var options = new FetchOptions
            {
                ExtraCaFiles = [_live.CaCertificatePemPath],
                RsyncEnabled = false,
                EarlyValidation = early,
                RequestTimeout = TimeSpan.FromSeconds(30),
                RepositoryTimeout = TimeSpan.FromSeconds(60),
            };
            using var fetcher = new RepositoryFetcher(_cache.Sub(cacheName), options);
            var run = fetcher.BeginRun();
            var counts = new CountingProvider(run);
            var result = await Task.Run(() => Validator.Run(Tals(), counts, _live.Options.Now, ValidatorOptions.Default, CancellationToken.None));
            await run.CompletionAsync();
            return (result, run.Report, counts);
        }
        finally
        {
            _live.Server.ClearFaults();
        }
    }

    private static void AssertSame(ValidationResult expected, ValidationResult actual)
    {
        Assert.Multiple(() =>
        {
            Assert.That(actual.Payload, Is.EqualTo(expected.Payload), "payload");
            Assert.That(actual.Rejected, Is.EqualTo(expected.Rejected), "rejected");
            Assert.That(actual.FailedPublicationPoints.Select(f => (f.CaUri, f.ManifestUri)), Is.EqualTo(expected.FailedPublicationPoints.Select(f => (f.CaUri, f.ManifestUri))), "failed points");
            Assert.That(actual.TrustAnchors.Select(t => t.CaCount), Is.EqualTo(expected.TrustAnchors.Select(t => t.CaCount)), "CAs");
        });
    }

    [Test]
    public async Task Points_are_validated_while_the_snapshot_arrives_with_the_same_result_as_waiting()
    {
        var (late, lateReport, lateCounts) = await ColdRunAsync(early: false, "late");
        var (early, earlyReport, earlyCounts) = await ColdRunAsync(early: true, "early");
        TestContext.Out.WriteLine($"early: {earlyCounts.Provisional} provisional, {earlyCounts.Final} final answers; waiting: {lateCounts.Final} final");
        Assert.Multiple(() =>
        {
            Assert.That(late.Payload, Is.EqualTo(_live.Repository.Expected()), "precondition: the plain cold run is right");
            Assert.That(lateCounts.Provisional, Is.Zero, "without early validation nothing provisional is handed out");
            Assert.That(earlyCounts.Provisional, Is.GreaterThan(0), "publication points were handed over before the snapshot was complete");
            Assert.That(earlyReport.Repositories.Single(r => r.Kind == RepositoryKind.Rrdp).Outcome, Is.EqualTo(FetchOutcome.Updated));
        });
        AssertSame(late, early);
    }

    [Test]
    public async Task A_snapshot_failing_its_hash_at_the_end_leaves_nothing_of_what_was_validated_early()
    {
        _live.Publisher.CorruptSnapshotHash();
        var (late, _, _) = await ColdRunAsync(early: false, "late");
        var (early, earlyReport, counts) = await ColdRunAsync(early: true, "early");
        var rrdp = earlyReport.Repositories.Single(r => r.Kind == RepositoryKind.Rrdp);
        Assert.Multiple(() =>
        {
            Assert.That(rrdp.Outcome, Is.EqualTo(FetchOutcome.Failed));
            Assert.That(rrdp.Error, Does.Contain("SHA-256"));
            Assert.That(counts.Provisional, Is.GreaterThan(0), "the validator did start on the snapshot");
            Assert.That(early.Payload, Is.EqualTo(PayloadSet.Empty), "nothing from the discarded snapshot");
            Assert.That(early.FailedPublicationPoints, Is.Not.Empty, "the TA's publication point fails: no repository data");
            Assert.That(Directory.EnumerateDirectories(_cache.Sub("early"), "gen-*", SearchOption.AllDirectories), Is.Empty, "the generation written early was deleted");
        });
        AssertSame(late, early);
    }

    [Test]
    public async Task A_point_whose_manifest_is_not_in_the_snapshot_gets_the_final_outcome_not_the_copy_being_written()
    {
        var snapshot = _live.Publisher.Snapshot!;
        _live.Server.SetFault(snapshot.UrlPath, HttpFault.SlowDrip((int)Math.Max(1024, snapshot.Length / 2)));
        try
        {
            var options = new FetchOptions { ExtraCaFiles = [_live.CaCertificatePemPath], RsyncEnabled = false, RequestTimeout = TimeSpan.FromSeconds(30), RepositoryTimeout = TimeSpan.FromSeconds(60) };
            using var fetcher = new RepositoryFetcher(_cache.Sub("absent"), options);
            var run = fetcher.BeginRun();
            var o = _live.Options;
            var ca = _live.Repository.AllCas.First();
            var existing = run.PublicationPointAsync(new PublicationPointRequest(ca.CertUri, ca.PublicationPoint, ca.Manifest.Uri, _live.NotificationUri), CancellationToken.None);
            var absent = run.PublicationPointAsync(new PublicationPointRequest($"rsync://{o.Host}/{o.Module}/x.cer", $"rsync://{o.Host}/{o.Module}/nowhere/", $"rsync://{o.Host}/{o.Module}/nowhere/m.mft", _live.NotificationUri), CancellationToken.None);
            var early = await existing.AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            var late = await absent.AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Multiple(() =>
            {
                Assert.That(early.Provisional, Is.Not.Null, "precondition: a point in the snapshot is handed over while it arrives");
                Assert.That(late.Provisional, Is.Null, "nothing to start on early without the manifest");
                Assert.That(late.Root, Is.Not.Null, late.Error);
                Assert.That(run.Report.Repositories.Single(r => r.Kind == RepositoryKind.Rrdp).Outcome, Is.EqualTo(FetchOutcome.Updated), "answered once the fetch had ended");
            });
            await run.CompletionAsync();
        }
        finally
        {
            _live.Server.ClearFaults();
        }
    }
}
