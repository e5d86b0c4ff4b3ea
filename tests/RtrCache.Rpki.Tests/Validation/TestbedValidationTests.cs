using System.Diagnostics;
using RtrCache.Payload;
using RtrCache.Rpki.Validation;
using RtrCache.Testbed;
using RpkiTal = RtrCache.Rpki.Objects.Tal;

namespace RtrCache.Rpki.Tests.Validation;

/// <summary>Shared generated repositories (cached on disk by the Testbed) and helpers.</summary>
internal static class Generated
{
    private static readonly Lazy<Repository> TinyLazy = new(() => Repository.Generate(TestbedOptions.ForScale(TestbedScale.Tiny)));

    public static Repository Tiny => TinyLazy.Value;

    public static IReadOnlyList<RpkiTal> Tals(Repository repo)
        => repo.TalPaths.Select(p => RpkiTal.Decode(File.ReadAllBytes(p), Path.GetFileNameWithoutExtension(p)).GetValueOrThrow()).ToList();

    public static ValidationResult Validate(Repository repo, string? treeRoot = null)
        => Validator.Run(Tals(repo), treeRoot ?? repo.TreeRoot, repo.Options.Now, ValidatorOptions.Default, CancellationToken.None);

    public static string NewWorkDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "rtrcache-validator-tests", $"{name}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public static string Describe(ValidationResult r)
        => string.Join("\n", r.TrustAnchors.Select(t => t.ToString())
            .Concat(r.FailedPublicationPoints.Select(f => "failed: " + f))
            .Concat(r.Rejected.Select(x => "rejected: " + x)));
}

public class TestbedValidationTests
{
    [Test]
    public void TinyRepositoryValidatesToExactlyTheExpectedPayload()
    {
        var repo = Generated.Tiny;
        var sw = Stopwatch.StartNew();
        var result = Generated.Validate(repo);
        TestContext.Out.WriteLine($"validated in {sw.Elapsed.TotalMilliseconds:F0} ms\n{Generated.Describe(result)}");
        var expected = repo.Expected();
        Assert.Multiple(() =>
        {
            Assert.That(result.Payload, Is.EqualTo(expected), $"got {result.Payload}, expected {expected}");
            Assert.That(result.Payload.Vrps, Is.EquivalentTo(expected.Vrps));
            Assert.That(result.Payload.Aspas.ToArray(), Is.EquivalentTo(expected.Aspas.ToArray()));
            Assert.That(result.Payload.RouterKeys.ToArray(), Is.EquivalentTo(expected.RouterKeys.ToArray()));
            Assert.That(result.Rejected, Is.Empty);
            Assert.That(result.FailedPublicationPoints, Is.Empty);
            Assert.That(result.TrustAnchors.Sum(t => t.CaCount), Is.EqualTo(repo.AllCas.Count()));
            Assert.That(result.TrustAnchors.All(t => t.Error is null));
            Assert.That(result.ObjectCount(Objects.RpkiObjectType.Roa), Is.EqualTo(repo.AllCas.Sum(c => c.Roas.Count)));
            Assert.That(result.ObjectCount(Objects.RpkiObjectType.Aspa), Is.EqualTo(repo.AllCas.Sum(c => c.Aspas.Count)));
            Assert.That(result.ObjectCount(Objects.RpkiObjectType.RouterCertificate), Is.EqualTo(repo.AllCas.Sum(c => c.Routers.Count)));
            Assert.That(result.EarliestExpiry, Is.GreaterThan(repo.Options.Now));
        });
    }

    [Test]
    public void ValidationAtAnotherTimeRejectsEverythingStaleWithoutThrowing()
    {
        var repo = Generated.Tiny;
        var result = Validator.Run(Generated.Tals(repo), repo.TreeRoot, repo.Options.Now.AddDays(30), ValidatorOptions.Default, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.Payload.VrpCount, Is.Zero);
            Assert.That(result.FailedPublicationPoints, Has.Length.EqualTo(repo.TrustAnchors.Count));
            Assert.That(result.FailedPublicationPoints[0].Reason, Does.Contain("stale"));
        });
    }

    [Test]
    public void MissingTreeFailsTheTrustAnchorWithAReason()
    {
        var repo = Generated.Tiny;
        var empty = Generated.NewWorkDir("empty");
        try
        {
            var result = Generated.Validate(repo, empty);
            Assert.That(result.Payload.VrpCount, Is.Zero);
            Assert.That(result.TrustAnchors[0].Error, Does.Contain("no TA certificate"));
        }
        finally { Generated.TryDelete(empty); }
    }

    [Test]
    public void SingleWorkerGivesTheSameResult()
    {
        var repo = Generated.Tiny;
        var one = Validator.Run(Generated.Tals(repo), repo.TreeRoot, repo.Options.Now, new ValidatorOptions { Parallelism = 1 }, CancellationToken.None);
        Assert.That(one.Payload, Is.EqualTo(repo.Expected()));
    }

    /// <summary>A word the rejection reason must contain, per variant (case-insensitive).</summary>
    private static readonly Dictionary<string, string> Keyword = new()
    {
        ["bad-signature-roa"] = "signature",
        ["bad-signature-ca"] = "signature",
        ["expired-ee"] = "expired",
        ["expired-ca"] = "expired",
        ["not-yet-valid-ee"] = "not yet valid",
        ["not-yet-valid-ca"] = "not yet valid",
        ["revoked-ee"] = "revoked",
        ["revoked-ca"] = "revoked",
        ["overclaiming-child"] = "not contained",
        ["roa-prefix-outside-ee"] = "not covered",
        ["maxlength-below-prefix-length"] = "maxlength",
        ["manifest-hash-mismatch"] = "hash does not match",
        ["file-missing"] = "missing",
        ["file-not-on-manifest"] = "not listed on the manifest",
        ["stale-manifest"] = "stale",
        ["aspa-unsorted-providers"] = "ascending",
        ["aspa-customer-in-providers"] = "customer",
        ["aspa-as0-with-others"] = "AS0",
        ["aspa-wrong-version"] = "version",
        ["der-truncated"] = "",
        ["der-trailing-garbage"] = "",
        ["der-absurd-length"] = "",
        ["der-deep-nesting"] = "",
        ["manifest-name-slash"] = "file name",
        ["manifest-name-dotdot"] = "file name",
        ["manifest-name-control"] = "file name",
        ["duplicate-ski-self-loop"] = "loop",
        ["manifest-number-regression"] = "lower than the previously accepted 5",
        ["duplicate-ski-ancestor-loop"] = "loop",
    };

    public static IEnumerable<TestCaseData> Variants()
        => BrokenVariants.All.Select(v => new TestCaseData(v.Name).SetName($"BrokenVariant({v.Name})"));

    [TestCaseSource(nameof(Variants))]
    public void BrokenVariantIsRejectedAndTheRestValidates(string name)
    {
        var variant = BrokenVariants.Get(name);
        var broken = variant.Apply(Generated.Tiny);
        var dir = Generated.NewWorkDir("variant-" + name);
        try
        {
            broken.WriteTo(dir);
            // A variant with history is validated as a fetcher presents it: the new copy, and the previously
            // accepted one to fall back on.
            var result = variant.NeedsPreviousState
                ? Validator.Run(Generated.Tals(broken), new TwoCopies(broken.TreeRoot, broken.PreviousState!.TreeRoot), broken.Options.Now, ValidatorOptions.Default, CancellationToken.None)
                : Generated.Validate(broken);
            var rejection = broken.Rejection!;
            TestContext.Out.WriteLine($"expected: {rejection}\n{Generated.Describe(result)}");
            var expected = broken.Expected();
            Assert.That(result.Payload, Is.EqualTo(expected), $"got {result.Payload}, expected {expected}");
            string keyword = Keyword[name];
            if (rejection.Scope == RejectionScope.PublicationPoint)
            {
                var failed = result.FailedPublicationPoints.Where(f => f.ManifestUri == rejection.Uri).ToList();
                Assert.That(failed, Has.Count.EqualTo(1), $"publication point {rejection.Uri} not reported as failed");
                Assert.That(failed[0].Reason, Does.Contain(keyword).IgnoreCase);
                Assert.That(result.Rejected, Is.Empty);
                Assert.That(result.FailedPublicationPoints, Has.Length.EqualTo(1));
            }
            else
            {
                var rejected = result.Rejected.Where(r => r.Uri == rejection.Uri).ToList();
                Assert.That(rejected, Has.Count.EqualTo(1), $"{rejection.Uri} not reported as rejected");
                Assert.That(rejected[0].Reason, Does.Contain(keyword).IgnoreCase);
                Assert.That(result.Rejected, Has.Length.EqualTo(1), "only the broken object is rejected");
                Assert.That(result.FailedPublicationPoints, Is.Empty);
            }
        }
        finally
        {
            Generated.TryDelete(dir);
        }
    }
}

/// <summary>A fetcher's view of a repository: the current copy and the previous complete one.</summary>
internal sealed class TwoCopies(string current, string previous) : IRepositoryProvider
{
    private readonly DirectoryRepository _current = new(current);

    public ValueTask<IReadOnlyList<string>> TrustAnchorCandidatesAsync(RpkiTal tal, string uri, CancellationToken ct)
        => _current.TrustAnchorCandidatesAsync(tal, uri, ct);

    public ValueTask<RepositoryLocation> PublicationPointAsync(PublicationPointRequest request, CancellationToken ct)
        => ValueTask.FromResult(new RepositoryLocation(Path.GetFullPath(current), Path.GetFullPath(previous)));
}

/// <summary>Falling back on the previous copy of a publication point when the new copy is broken.</summary>
public class PreviousCopyFallbackTests
{
    [TestCase("manifest-hash-mismatch")]
    [TestCase("file-missing")]
    [TestCase("stale-manifest")]
    public void BrokenNewCopyFallsBackToThePreviousCompleteCopy(string name)
    {
        var variant = BrokenVariants.Get(name);
        var broken = variant.Apply(Generated.Tiny);
        var dir = Generated.NewWorkDir("fallback-" + name);
        try
        {
            broken.WriteTo(dir);
            var good = Generated.Tiny;
            var result = Validator.Run(Generated.Tals(broken), new TwoCopies(broken.TreeRoot, good.TreeRoot), good.Options.Now, ValidatorOptions.Default, CancellationToken.None);
            TestContext.Out.WriteLine(Generated.Describe(result));
            Assert.That(result.Payload, Is.EqualTo(good.Expected()), "the previous copy's payload is used");
            Assert.That(result.FailedPublicationPoints, Is.Empty);
            var notes = result.Rejected.Where(r => r.Uri == broken.Rejection!.Uri || r.Reason.Contains("previous copy", StringComparison.Ordinal)).ToList();
            Assert.That(notes, Has.Count.EqualTo(1), "the fallback is reported once, on the manifest");
            Assert.That(notes[0].Reason, Does.Contain("using the previous copy"));
        }
        finally
        {
            Generated.TryDelete(dir);
        }
    }

    [Test]
    public void WithoutAPreviousCopyTheBrokenPointStillFails()
    {
        var broken = BrokenVariants.Get("manifest-hash-mismatch").Apply(Generated.Tiny);
        var dir = Generated.NewWorkDir("fallback-none");
        try
        {
            broken.WriteTo(dir);
            var result = Validator.Run(Generated.Tals(broken), new TwoCopies(broken.TreeRoot, broken.TreeRoot), broken.Options.Now, ValidatorOptions.Default, CancellationToken.None);
            Assert.That(result.FailedPublicationPoints, Has.Length.EqualTo(1));
            Assert.That(result.Payload, Is.EqualTo(broken.Expected()));
        }
        finally
        {
            Generated.TryDelete(dir);
        }
    }
}
