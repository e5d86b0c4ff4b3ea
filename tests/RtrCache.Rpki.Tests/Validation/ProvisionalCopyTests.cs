using RtrCache.Rpki.Validation;
using RtrCache.Testbed;
using RpkiTal = RtrCache.Rpki.Objects.Tal;

namespace RtrCache.Rpki.Tests.Validation;

/// <summary>
/// Validating a repository copy while it is still being written (<see cref="RepositoryLocation.Provisional"/>):
/// points whose files are complete are computed early, the others wait for the final copy, unlisted files that
/// arrive late are still reported, and a copy that is discarded leaves nothing of itself in the result.
/// Every run is compared with an ordinary run over the final files.
/// </summary>
public class ProvisionalCopyTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>A repository whose copy the test is "writing": named provisional until <see cref="End"/>.</summary>
    private sealed class ProvisionalRepository(string provisionalRoot, string? fallbackRoot, string trustAnchorRoot) : IRepositoryProvider, IProvisionalCopy
    {
        private readonly TaskCompletionSource<bool> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly DirectoryRepository _trustAnchors = new(trustAnchorRoot);
        private int _provisional;
        private int _final;

        public Task<bool> Completion => _end.Task;

        /// <summary>Answers naming the copy provisional.</summary>
        public int ProvisionalAnswers => Volatile.Read(ref _provisional);

        /// <summary>Answers given after the copy was final (points that waited, or a repeated walk).</summary>
        public int FinalAnswers => Volatile.Read(ref _final);

        public void End(bool committed) => _end.TrySetResult(committed);

        public ValueTask<IReadOnlyList<string>> TrustAnchorCandidatesAsync(RpkiTal tal, string uri, CancellationToken ct)
            => _trustAnchors.TrustAnchorCandidatesAsync(tal, uri, ct);

        public ValueTask<RepositoryLocation> PublicationPointAsync(PublicationPointRequest request, CancellationToken ct)
        {
            if (!_end.Task.IsCompleted)
            {
                Interlocked.Increment(ref _provisional);
                return ValueTask.FromResult(new RepositoryLocation(provisionalRoot, fallbackRoot) { Provisional = this });
            }
            Interlocked.Increment(ref _final);
            return ValueTask.FromResult(_end.Task.Result
                ? new RepositoryLocation(provisionalRoot, fallbackRoot)
                : new RepositoryLocation(fallbackRoot, null, "the new copy was discarded"));
        }
    }

    private static ValidatorOptions Options(PublicationPointCache? cache = null) => new() { Cache = cache };

    private static Task<ValidationResult> Start(Repository repo, IRepositoryProvider provider, PublicationPointCache? cache = null)
        => Task.Run(() => Validator.Run(Generated.Tals(repo), provider, repo.Options.Now, Options(cache), CancellationToken.None));

    private static ValidationResult Ordinary(Repository repo, string tree)
        => Validator.Run(Generated.Tals(repo), new DirectoryRepository(tree), repo.Options.Now, Options(), CancellationToken.None);

    private static void Copy(string from, string to, Func<string, bool>? include = null)
    {
        foreach (var path in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, path);
            if (include is not null && !include(relative)) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target);
        }
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>The directory (relative to the tree) of one leaf CA's publication point: the directory of some ROA.</summary>
    private static string LeafDirectory(string tree)
        => Path.GetDirectoryName(Path.GetRelativePath(tree, Directory.EnumerateFiles(tree, "*.roa", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Last()))!;

    [Test]
    public async Task Complete_points_are_computed_before_the_copy_is_final_and_late_unlisted_files_are_still_reported()
    {
        var repo = Generated.Tiny;
        var copy = Generated.NewWorkDir("provisional-complete");
        var reference = Generated.NewWorkDir("provisional-reference");
        try
        {
            Copy(repo.TreeRoot, copy);
            Copy(repo.TreeRoot, reference);
            // An object that arrives after its directory was validated, not on the manifest.
            string leaf = LeafDirectory(repo.TreeRoot);
            string extraSource = Directory.EnumerateFiles(Path.Combine(repo.TreeRoot, leaf), "*.roa").Order(StringComparer.Ordinal).First();
            File.Copy(extraSource, Path.Combine(reference, leaf, "late-arrival.roa"));
            var expected = Ordinary(repo, reference);
            Assert.That(expected.Rejected.Select(r => r.Reason), Has.Some.Contains("not listed on the manifest"), "precondition: the late file is reported");

            var provider = new ProvisionalRepository(copy, null, repo.TreeRoot);
            var run = Start(repo, provider);
            int cas = repo.AllCas.Count();
            await UntilAsync(() => provider.ProvisionalAnswers >= cas || run.IsCompleted, $"all {cas} CAs were answered with the provisional copy");
            await Task.Delay(200);
            Assert.That(run.IsCompleted, Is.False, "the walk waits until the copy is final before it returns");
            File.Copy(extraSource, Path.Combine(copy, leaf, "late-arrival.roa"));
            provider.End(committed: true);
            var result = await run.WaitAsync(Limit);

            Assert.That(provider.FinalAnswers, Is.Zero, "every point was computed from the copy being written");
            PublicationPointCacheTests.AssertSame(expected, result);
        }
        finally
        {
            Generated.TryDelete(copy);
            Generated.TryDelete(reference);
        }
    }

    [Test]
    public async Task A_point_whose_files_are_not_all_there_waits_for_the_final_copy_and_is_not_reported_failed()
    {
        var repo = Generated.Tiny;
        var copy = Generated.NewWorkDir("provisional-partial");
        try
        {
            string leaf = LeafDirectory(repo.TreeRoot);
            // Everything but the leaf's ROAs: its manifest is there, so the point is tried and must not load.
            Copy(repo.TreeRoot, copy, r => !(Path.GetDirectoryName(r) == leaf && r.EndsWith(".roa", StringComparison.Ordinal)));
            var provider = new ProvisionalRepository(copy, null, repo.TreeRoot);
            var run = Start(repo, provider);
            // The CAs below the incomplete point are only found once it is computed: wait until the answers stop.
            int seen = -1;
            await UntilAsync(() =>
            {
                int now = provider.ProvisionalAnswers;
                bool settled = now > 0 && now == seen;
                seen = now;
                if (!settled) Thread.Sleep(300);
                return settled || run.IsCompleted;
            }, "the walk went as far as the copy allows");
            Assert.That(run.IsCompleted, Is.False, "the walk waits for the copy");
            Assert.That(provider.ProvisionalAnswers, Is.LessThanOrEqualTo(repo.AllCas.Count()));
            Copy(repo.TreeRoot, copy, r => Path.GetDirectoryName(r) == leaf && r.EndsWith(".roa", StringComparison.Ordinal));
            provider.End(committed: true);
            var result = await run.WaitAsync(Limit);

            Assert.That(provider.FinalAnswers, Is.GreaterThanOrEqualTo(1), "the incomplete point was asked for again");
            Assert.That(provider.ProvisionalAnswers + provider.FinalAnswers, Is.EqualTo(repo.AllCas.Count() + 1), "only it: every other CA was answered once");
            PublicationPointCacheTests.AssertSame(Ordinary(repo, repo.TreeRoot), result);
            Assert.That(result.FailedPublicationPoints, Is.Empty);
        }
        finally
        {
            Generated.TryDelete(copy);
        }
    }

    [Test]
    public async Task A_discarded_copy_leaves_nothing_in_the_result_the_walk_is_repeated_on_the_old_copy()
    {
        var good = Generated.Tiny;
        var variant = BrokenVariants.Get("revoked-ee").Apply(good);
        var broken = Generated.NewWorkDir("provisional-discarded");
        try
        {
            variant.WriteTo(broken);
            var brokenResult = Ordinary(variant, variant.TreeRoot);
            var expected = Ordinary(good, good.TreeRoot);
            Assert.That(brokenResult.Payload, Is.Not.EqualTo(expected.Payload), "precondition: the discarded copy yields something else");

            var provider = new ProvisionalRepository(variant.TreeRoot, good.TreeRoot, good.TreeRoot);
            var run = Start(good, provider);
            int cas = good.AllCas.Count();
            await UntilAsync(() => provider.ProvisionalAnswers >= cas || run.IsCompleted, $"all {cas} CAs were answered with the provisional copy");
            provider.End(committed: false);
            var result = await run.WaitAsync(Limit);

            Assert.That(provider.FinalAnswers, Is.EqualTo(cas), "the walk was repeated on final copies only");
            PublicationPointCacheTests.AssertSame(expected, result);
        }
        finally
        {
            Generated.TryDelete(broken);
        }
    }

    [Test]
    public async Task Points_computed_early_are_cached_once_the_copy_is_committed()
    {
        var repo = Generated.Tiny;
        var copy = Generated.NewWorkDir("provisional-cache");
        try
        {
            Copy(repo.TreeRoot, copy);
            var cache = new PublicationPointCache();
            var provider = new ProvisionalRepository(copy, null, repo.TreeRoot);
            var run = Start(repo, provider, cache);
            int cas = repo.AllCas.Count();
            await UntilAsync(() => provider.ProvisionalAnswers >= cas || run.IsCompleted, "all CAs were answered");
            provider.End(committed: true);
            var first = await run.WaitAsync(Limit);
            Assert.That(cache.Count, Is.EqualTo(cas), "every early point was stored once confirmed");

            // The next run sees the committed copy as a plain one (same roots): every point comes from the cache.
            var warm = Validator.Run(Generated.Tals(repo), provider, repo.Options.Now, Options(cache), CancellationToken.None);
            Assert.That(cache.Hits, Is.EqualTo(cas));
            PublicationPointCacheTests.AssertSame(first, warm);
            PublicationPointCacheTests.AssertSame(Ordinary(repo, copy), warm);
        }
        finally
        {
            Generated.TryDelete(copy);
        }
    }
}
