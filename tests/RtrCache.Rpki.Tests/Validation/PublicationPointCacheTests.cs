using RtrCache.Rpki.Validation;
using RtrCache.Testbed;

namespace RtrCache.Rpki.Tests.Validation;

/// <summary>
/// Reusing unchanged publication points across runs (<see cref="PublicationPointCache"/>) must never change a
/// result: every warm run here is compared with a fresh run over the same files at the same time.
/// </summary>
public class PublicationPointCacheTests
{
    private static ValidationResult Run(Repository repo, IRepositoryProvider provider, DateTimeOffset now, PublicationPointCache? cache, bool reportUnlisted = true)
        => Validator.Run(Generated.Tals(repo), provider, now, new ValidatorOptions { Cache = cache, ReportUnlistedFiles = reportUnlisted }, CancellationToken.None);

    private static ValidationResult Run(Repository repo, string tree, DateTimeOffset now, PublicationPointCache? cache, bool reportUnlisted = true)
        => Run(repo, new DirectoryRepository(tree), now, cache, reportUnlisted);

    private static int PublicationPoints(ValidationResult r) => r.TrustAnchors.Sum(t => t.CaCount);

    /// <summary>Everything a run reports, except its duration.</summary>
    internal static void AssertSame(ValidationResult expected, ValidationResult actual)
    {
        Assert.Multiple(() =>
        {
            Assert.That(actual.Payload, Is.EqualTo(expected.Payload), "payload");
            Assert.That(actual.Rejected, Is.EqualTo(expected.Rejected), "rejected");
            Assert.That(actual.FailedPublicationPoints, Is.EqualTo(expected.FailedPublicationPoints), "failed publication points");
            Assert.That(actual.EarliestExpiry, Is.EqualTo(expected.EarliestExpiry), "earliest expiry");
            Assert.That(actual.Now, Is.EqualTo(expected.Now));
            Assert.That(actual.TrustAnchors.Length, Is.EqualTo(expected.TrustAnchors.Length));
            for (int i = 0; i < Math.Min(actual.TrustAnchors.Length, expected.TrustAnchors.Length); i++)
            {
                var (a, e) = (actual.TrustAnchors[i], expected.TrustAnchors[i]);
                Assert.That(a.ToString(), Is.EqualTo(e.ToString()));
                Assert.That(a.CertificateUri, Is.EqualTo(e.CertificateUri));
                Assert.That(a.Payload, Is.EqualTo(e.Payload));
                Assert.That(a.ObjectsByType.OrderBy(kv => kv.Key), Is.EqualTo(e.ObjectsByType.OrderBy(kv => kv.Key)), $"{e.Name}: objects by type");
            }
        });
    }

    /// <summary>A private copy of a tree whose files can be replaced; every file is new (fresh mtimes).</summary>
    private static string CopyTree(string from, string name)
    {
        var dir = Generated.NewWorkDir(name);
        foreach (var path in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(from, path));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target);
        }
        return dir;
    }

    /// <summary>Replaces a file the way the fetcher does: a new file written beside it and renamed over it.</summary>
    private static void Replace(string path, byte[] content)
    {
        var before = File.GetLastWriteTimeUtc(path);
        for (int attempt = 0; ; attempt++)
        {
            var temp = path + ".tmp";
            File.WriteAllBytes(temp, content);
            File.Move(temp, path, overwrite: true);
            // The new file must look new to stat(); on a coarse clock, wait and write it again.
            if (File.GetLastWriteTimeUtc(path) != before || attempt == 50) break;
            Thread.Sleep(20);
        }
        Assert.That(File.GetLastWriteTimeUtc(path), Is.Not.EqualTo(before), "precondition: the replacement has a new mtime");
    }

    [Test]
    public void WarmRunEqualsTheColdRunAndReusesEveryPublicationPoint()
    {
        var repo = Generated.Tiny;
        var now = repo.Options.Now;
        var fresh = Run(repo, repo.TreeRoot, now, null);
        var cache = new PublicationPointCache();
        var cold = Run(repo, repo.TreeRoot, now, cache);
        Assert.Multiple(() =>
        {
            Assert.That(cache.Hits, Is.Zero);
            Assert.That(cache.Misses, Is.EqualTo(PublicationPoints(fresh)));
            Assert.That(cache.Count, Is.EqualTo(PublicationPoints(fresh)));
        });
        AssertSame(fresh, cold);

        var warm = Run(repo, repo.TreeRoot, now, cache);
        Assert.Multiple(() =>
        {
            Assert.That(PublicationPoints(fresh), Is.GreaterThan(1));
            Assert.That(cache.Hits, Is.EqualTo(PublicationPoints(fresh)), "every publication point reused");
            Assert.That(cache.Misses, Is.Zero);
        });
        AssertSame(fresh, warm);
        Assert.That(warm.Payload, Is.EqualTo(repo.Expected()));

        // Again, single-threaded, and a while later (before anything expires): still everything reused.
        var later = now.AddHours(1);
        var third = Validator.Run(Generated.Tals(repo), repo.TreeRoot, later, new ValidatorOptions { Cache = cache, Parallelism = 1 }, CancellationToken.None);
        Assert.That(cache.Hits, Is.EqualTo(PublicationPoints(fresh)));
        AssertSame(Run(repo, repo.TreeRoot, later, null), third);
    }

    [Test]
    public void ADifferentTreeRootIsNotServedFromTheCache()
    {
        var repo = Generated.Tiny;
        var copy = CopyTree(repo.TreeRoot, "cache-root");
        try
        {
            var cache = new PublicationPointCache();
            Run(repo, repo.TreeRoot, repo.Options.Now, cache);
            var other = Run(repo, copy, repo.Options.Now, cache);
            Assert.That(cache.Hits, Is.Zero);
            AssertSame(Run(repo, copy, repo.Options.Now, null), other);
            Assert.That(cache.Count, Is.EqualTo(PublicationPoints(other)), "entries of the unused root are dropped at the end of the run");
        }
        finally { Generated.TryDelete(copy); }
    }

    public static IEnumerable<TestCaseData> Variants()
        => BrokenVariants.All.Select(v => new TestCaseData(v.Name).SetName($"CachedBrokenVariant({v.Name})"));

    [TestCaseSource(nameof(Variants))]
    public void WarmRunOfABrokenVariantEqualsTheColdRun(string name)
    {
        var variant = BrokenVariants.Get(name);
        var broken = variant.Apply(Generated.Tiny);
        var dir = Generated.NewWorkDir("cache-variant-" + name);
        try
        {
            broken.WriteTo(dir);
            IRepositoryProvider provider = variant.NeedsPreviousState
                ? new TwoCopies(broken.TreeRoot, broken.PreviousState!.TreeRoot)
                : new DirectoryRepository(broken.TreeRoot);
            var now = broken.Options.Now;
            var fresh = Run(broken, provider, now, null);
            var cache = new PublicationPointCache();
            AssertSame(fresh, Run(broken, provider, now, cache));
            var warm = Run(broken, provider, now, cache);
            AssertSame(fresh, warm);
            Assert.That(cache.Misses, Is.EqualTo(fresh.FailedPublicationPoints.Length + (name == "manifest-number-regression" ? 1 : 0)),
                "only failed points (and the one kept by the regression rule) are recomputed");
        }
        finally { Generated.TryDelete(dir); }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void AReplacedFileOfTheSameSizeInvalidatesOnlyItsPublicationPoint(bool reportUnlisted)
    {
        var repo = Generated.Tiny;
        var now = repo.Options.Now;
        var tree = CopyTree(repo.TreeRoot, "cache-replace");
        try
        {
            var cache = new PublicationPointCache();
            var cold = Run(repo, tree, now, cache, reportUnlisted);
            Run(repo, tree, now, cache, reportUnlisted);
            Assert.That(cache.Misses, Is.Zero);

            // A ROA in a CA below the TA, replaced by different bytes of the same size: its manifest hash no
            // longer matches, so that point (and only that point) now fails.
            var roas = Directory.EnumerateFiles(tree, "*.roa", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).ToList();
            var target = roas[roas.Count / 2];
            var bytes = File.ReadAllBytes(target);
            bytes[bytes.Length / 2] ^= 0x5A;
            Replace(target, bytes);

            var warm = Run(repo, tree, now, cache, reportUnlisted);
            var fresh = Run(repo, tree, now, null, reportUnlisted);
            AssertSame(fresh, warm);
            Assert.Multiple(() =>
            {
                Assert.That(fresh.FailedPublicationPoints, Has.Length.EqualTo(1), "the changed point fails in a fresh run");
                Assert.That(fresh.FailedPublicationPoints[0].Reason, Does.Contain("hash does not match"));
                Assert.That(cache.Misses, Is.EqualTo(1), "only the changed point is recomputed");
                // Its children are no longer reached: the rest is reused.
                Assert.That(cache.Hits, Is.EqualTo(PublicationPoints(fresh)));
                Assert.That(PublicationPoints(fresh), Is.LessThan(PublicationPoints(cold)));
            });
        }
        finally { Generated.TryDelete(tree); }
    }

    [Test]
    public void PastTheManifestsNextUpdateTheCachedPointsFailAsInAFreshRun()
    {
        var repo = Generated.Tiny;
        var now = repo.Options.Now;
        var cache = new PublicationPointCache();
        Run(repo, repo.TreeRoot, now, cache);
        var nextUpdate = now + repo.Options.ManifestLifetime;
        foreach (var t in new[] { nextUpdate.AddSeconds(-1), nextUpdate, nextUpdate.AddDays(1) })
        {
            var warm = Run(repo, repo.TreeRoot, t, cache);
            var fresh = Run(repo, repo.TreeRoot, t, null);
            AssertSame(fresh, warm);
        }
        Assert.That(Run(repo, repo.TreeRoot, nextUpdate, null).FailedPublicationPoints, Is.Not.Empty, "precondition: the manifests are stale by then");
        // And back before nextUpdate (a clock set back): the points are computed again, not taken from a later run.
        var back = Run(repo, repo.TreeRoot, now, cache);
        AssertSame(Run(repo, repo.TreeRoot, now, null), back);
    }

    [Test]
    public void ANotYetValidObjectIsUsedOnceItsNotBeforePasses()
    {
        // Manifests that stay fresh past the ROA's notBefore (now + 3 days).
        var good = Repository.Generate(TestbedOptions.ForScale(TestbedScale.Tiny) with { ManifestLifetime = TimeSpan.FromDays(10) });
        var broken = BrokenVariants.Get("not-yet-valid-ee").Apply(good);
        var dir = Generated.NewWorkDir("cache-not-yet-valid");
        try
        {
            broken.WriteTo(dir);
            var now = broken.Options.Now;
            var cache = new PublicationPointCache();
            var before = Run(broken, broken.TreeRoot, now, cache);
            Assert.That(before.Rejected.Any(r => r.Reason.Contains("not yet valid", StringComparison.Ordinal)), "precondition");

            var stillBefore = now.AddDays(2);
            AssertSame(Run(broken, broken.TreeRoot, stillBefore, null), Run(broken, broken.TreeRoot, stillBefore, cache));
            Assert.That(cache.Misses, Is.Zero, "nothing changes status yet");

            var after = now.AddDays(3).AddSeconds(1);
            var warm = Run(broken, broken.TreeRoot, after, cache);
            var fresh = Run(broken, broken.TreeRoot, after, null);
            AssertSame(fresh, warm);
            Assert.Multiple(() =>
            {
                Assert.That(fresh.Rejected, Is.Empty, "the ROA is valid now");
                Assert.That(fresh.Payload.VrpCount, Is.GreaterThan(before.Payload.VrpCount));
                Assert.That(cache.Misses, Is.EqualTo(1), "only the point holding the ROA is recomputed");
            });
        }
        finally { Generated.TryDelete(dir); }
    }

    [Test]
    public void AFileAddedToAPublicationPointIsReportedAsUnlisted()
    {
        var repo = Generated.Tiny;
        var tree = CopyTree(repo.TreeRoot, "cache-unlisted");
        try
        {
            var cache = new PublicationPointCache();
            Run(repo, tree, repo.Options.Now, cache);
            var roa = Directory.EnumerateFiles(tree, "*.roa", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal).First();
            File.Copy(roa, Path.Combine(Path.GetDirectoryName(roa)!, "extra-unlisted.roa"));
            var warm = Run(repo, tree, repo.Options.Now, cache);
            var fresh = Run(repo, tree, repo.Options.Now, null);
            AssertSame(fresh, warm);
            Assert.That(fresh.Rejected.Any(r => r.Uri.EndsWith("extra-unlisted.roa", StringComparison.Ordinal)), "precondition");
        }
        finally { Generated.TryDelete(tree); }
    }
}
