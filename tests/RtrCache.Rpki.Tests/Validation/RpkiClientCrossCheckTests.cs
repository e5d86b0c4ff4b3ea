using RtrCache.Payload;
using RtrCache.Rpki.Validation;
using RtrCache.Testbed;

namespace RtrCache.Rpki.Tests.Validation;

/// <summary>
/// Our validator and Debian's rpki-client 8.2 (installed by .ci/run) on the same generated repository give the
/// same VRPs and router keys. rpki-client has no clock option, so the repositories use the default Now (today
/// 00:00 UTC). ASPAs are not compared: 8.2 parses an older profile.
/// </summary>
[NonParallelizable]
public class RpkiClientCrossCheckTests
{
    [OneTimeSetUp]
    public void RequireRpkiClient()
    {
        if (!RpkiClient.IsAvailable) Assert.Fail($"{RpkiClient.ExecutablePath} not installed (.ci/run installs Debian's rpki-client)");
    }

    [TestCase(TestbedScale.Tiny)]
    [TestCase(TestbedScale.Small)]
    public void SameVrpsAndRouterKeysAsRpkiClient(TestbedScale scale)
    {
        var repo = Repository.Generate(TestbedOptions.ForScale(scale));
        var ours = Generated.Validate(repo);
        var work = Generated.NewWorkDir("rpki-client-" + scale);
        try
        {
            var theirs = RpkiClient.Run(repo, work, TimeSpan.FromMinutes(2));
            TestContext.Out.WriteLine($"ours: {ours.Payload} in {ours.Elapsed.TotalMilliseconds:F0} ms; rpki-client: exit {theirs.ExitCode} in {theirs.Elapsed.TotalMilliseconds:F0} ms");
            Assert.That(theirs.TimedOut, Is.False);
            Assert.That(theirs.Payload, Is.Not.Null, "rpki-client wrote no JSON\n" + theirs.Log);
            Assert.Multiple(() =>
            {
                Assert.That(ours.Payload.VrpCount, Is.GreaterThan(0));
                Assert.That(ours.Payload.Vrps, Is.EquivalentTo(theirs.Payload!.Vrps));
                Assert.That(ours.Payload.RouterKeys.ToArray(), Is.EquivalentTo(theirs.Payload!.RouterKeys.ToArray()));
                Assert.That(ours.Payload.Aspas.ToArray(), Is.EquivalentTo(repo.Expected().Aspas.ToArray()), "ASPAs: against the generator's intent");
                Assert.That(ours.Rejected, Is.Empty);
                Assert.That(ours.FailedPublicationPoints, Is.Empty);
            });
        }
        finally
        {
            Generated.TryDelete(work);
        }
    }
}
