using RtrCache.Payload;
using RtrCache.Testbed;

namespace RtrCache.Testbed.Tests;

/// <summary>
/// Cross-check against Debian's rpki-client 8.2 (installed by .ci/run): it must produce exactly the VRPs and
/// router keys the generator expects, on the good repository and on each broken variant.
/// </summary>
[NonParallelizable]
public class RpkiClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [OneTimeSetUp]
    public void RequireRpkiClient()
    {
        if (!RpkiClient.IsAvailable) Assert.Fail($"{RpkiClient.ExecutablePath} not installed (.ci/run installs Debian's rpki-client)");
        TestContext.Progress.WriteLine($"rpki-client: {RpkiClient.Version()}");
    }

    private static PayloadSet VrpsAndKeys(PayloadSet s) => PayloadSet.Create(s.Vrps, s.RouterKeys.ToArray());

    private static RpkiClientResult Run(Repository repo, string name)
    {
        var work = TinyRepository.NewWorkDir(name);
        try
        {
            var r = RpkiClient.Run(repo, work, Timeout);
            Assert.That(r.TimedOut, Is.False, $"rpki-client timed out\n{r.Log}");
            return r;
        }
        finally
        {
            TinyRepository.TryDelete(work);
        }
    }

    [Test]
    public void GoodRepositoryValidatesToTheExpectedVrpsAndRouterKeys()
    {
        var repo = TinyRepository.Good;
        var r = Run(repo, "good");
        TestContext.Out.WriteLine($"{r.CommandLine}\n(exit {r.ExitCode}, {r.Elapsed.TotalSeconds:F1} s)\n{r.Log}");
        Assert.That(r.ExitCode, Is.EqualTo(0));
        Assert.That(r.Payload, Is.Not.Null, "no JSON output");
        var expected = VrpsAndKeys(repo.Expected());
        Assert.Multiple(() =>
        {
            Assert.That(r.Payload!.Vrps, Is.EquivalentTo(expected.Vrps));
            Assert.That(r.Payload!.RouterKeys.ToArray(), Is.EquivalentTo(expected.RouterKeys.ToArray()));
            Assert.That(r.Counter("failedroas") + r.Counter("invalidroas"), Is.Zero);
            Assert.That(r.Counter("failedmanifests") + r.Counter("stalemanifests"), Is.Zero);
            Assert.That(r.Counter("invalidcertificates"), Is.Zero);
            Assert.That(r.Counter("bgpsec_pubkeys"), Is.EqualTo(repo.AllCas.Sum(c => c.Routers.Count)));
            // 8.2 implements ASPA profile -10 (version 0, per-AFI providers): our version-1 objects fail its parse
            Assert.That(r.Counter("failedaspas"), Is.EqualTo(repo.AllCas.Sum(c => c.Aspas.Count)));
        });
    }

    /// <summary>Variants whose defect rpki-client 8.2 does not see, with the reason.</summary>
    private static readonly Dictionary<string, string> NotCheckedBy82 = new()
    {
        ["manifest-number-regression"] = "needs a previously accepted manifest; a one-shot -n run has none",
        ["aspa-unsorted-providers"] = "8.2 parses ASPA profile -10 only, every current-profile ASPA fails its parse anyway",
        ["aspa-customer-in-providers"] = "same: ASPA profile -10",
        ["aspa-as0-with-others"] = "same: ASPA profile -10",
        ["aspa-wrong-version"] = "same: ASPA profile -10",
    };

    /// <summary>Variants where rpki-client 8.2 rejects the object but its output differs from the RFC 9286 expectation.</summary>
    private static readonly Dictionary<string, string> Deviations82 = new()
    {
        ["der-trailing-garbage"] = "8.2 reads the CMS with d2i and ignores bytes after the ContentInfo: the ROA is accepted",
    };

    public static IEnumerable<TestCaseData> Variants()
        => BrokenVariants.All.Select(v => new TestCaseData(v.Name).SetName($"BrokenVariant({v.Name})"));

    [TestCaseSource(nameof(Variants))]
    public void BrokenVariantIsRejected(string name)
    {
        var variant = BrokenVariants.Get(name);
        var good = TinyRepository.Good;
        var broken = variant.Apply(good);
        var dir = TinyRepository.NewWorkDir("variant-" + name);
        try
        {
            broken.WriteTo(dir);
            var r = Run(broken, name);
            var rejection = broken.Rejection!;
            TestContext.Out.WriteLine($"{rejection}\n{r.CommandLine}\n(exit {r.ExitCode}, {r.Elapsed.TotalSeconds:F1} s)\n{r.Log}");
            Assert.That(r.Payload, Is.Not.Null, "rpki-client wrote no JSON output");
            var got = r.Payload!;
            var expected = VrpsAndKeys(broken.Expected());
            var goodSet = VrpsAndKeys(good.Expected());
            if (NotCheckedBy82.TryGetValue(name, out var why))
            {
                // the rest of the tree must still validate exactly as the good one
                Assert.That(got.Vrps, Is.EquivalentTo(goodSet.Vrps), why);
                Assert.Pass($"not checked by rpki-client 8.2: {why}");
            }
            if (Deviations82.TryGetValue(name, out var deviation))
            {
                // pin the known behaviour, so that a newer rpki-client that fixes it shows up here
                Assert.That(got.Vrps, Is.EquivalentTo(goodSet.Vrps), deviation);
                Assert.Pass($"rpki-client 8.2 deviation: {deviation}");
            }
            Assert.That(got.Vrps, Is.EquivalentTo(expected.Vrps), $"{rejection.Uri}: {rejection.Reason}");
            Assert.That(got.RouterKeys.ToArray(), Is.EquivalentTo(expected.RouterKeys.ToArray()));
        }
        finally
        {
            TinyRepository.TryDelete(dir);
        }
    }
}
