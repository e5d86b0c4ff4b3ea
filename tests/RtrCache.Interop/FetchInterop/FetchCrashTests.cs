using System.Diagnostics;
using RtrCache.Testbed;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Interop.FetchInterop;

/// <summary>
/// Issue 5: "a crash or kill -9 at any moment leaves the last complete state usable; the validator never sees a
/// half-applied delta". The process is killed with SIGKILL at a different point of a run in each round (right after
/// the signal, while the delta is still dripping into its staging directory, as soon as the server has sent the
/// delta, after validation, at random moments), then restarted on the same cache directory with the RRDP server
/// unreachable, so that its first run validates exactly what the cache holds.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FetchCrashTests : FetchFixture
{
    /// <summary>Where in the run the kill lands.</summary>
    public enum KillPoint
    {
        /// <summary>As soon as the round is requested (before or during the notification fetch).</summary>
        RightAfterSignal,

        /// <summary>While a staging generation exists: the delta is downloading (slow drip) onto the hard-link copy.</summary>
        WhileStaging,

        /// <summary>The moment the whole delta is in the client's download file: it hashes, parses, applies and commits it.</summary>
        WhenDeltaDownloaded,

        /// <summary>After the "Loaded" line: the new data is committed and validated, the serial is being published.</summary>
        AfterValidation,

        /// <summary>A random delay (0 to 3 s) after the signal.</summary>
        Random,
    }

    /// <summary>
    /// After each kill: the restarted process (RRDP unreachable, rsync disabled) serves either the payload before the
    /// change or the one after it, never a mix; no publication point fails and no object is rejected beyond the
    /// baseline (a half-applied delta would break manifest hashes); no staging directory or temporary file survives
    /// the recovery; at most two generations remain. Once RRDP is back, the next run converges to the new payload,
    /// as exactly one serial more than before the change.
    /// </summary>
    [Test]
    public async Task Kill_9_during_runs_leaves_a_cache_that_validates_consistently_after_restart()
    {
        var live = await StartRepositoryAsync(TestbedScale.Tiny, new LiveRepositoryOptions { Rsync = false });
        string[] rrdpOnly = ["--disable-rsync"];
        var cache = await StartCacheAsync(live, rrdpOnly);
        var before = Expected(live);
        await AssertServesAsync(cache, before, 1, "cold start");
        int baselineRejected = cache.StartupRound.Validation!.Value.Rejected;
        string rrdpStores = Path.Combine(CacheDirectory, "repository", "rrdp");
        var random = TestContext.CurrentContext.Random;
        KillPoint[] points = [KillPoint.RightAfterSignal, KillPoint.WhileStaging, KillPoint.WhenDeltaDownloaded, KillPoint.AfterValidation, KillPoint.Random, KillPoint.Random];
        uint serial = 1;
        int killsWithStaging = 0;

        for (int round = 0; round < points.Length; round++)
        {
            // A change to every CA (a new ROA each, new manifests and CRLs) and to an ASPA: one delta of ~20 objects.
            foreach (var ca in live.Repository.AllCas.Where(c => !c.IsTrustAnchor).ToList())
            {
                live.Repository.AddRoa(ca.Name, (uint)(65000 + (round * 10) + ca.Name.Length));
            }

            var publication = ChangeRepository(live, (uint)(65500 + round));
            var after = Expected(live);
            live.Server.SetFault(publication.Delta!.UrlPath, HttpFault.SlowDrip((int)Math.Max(256, publication.Delta.Length / 2)), times: 1);

            var point = points[round];
            string where = await KillAsync(cache, point, publication.Delta.UrlPath, publication.Delta.Length, live, rrdpStores, random);
            bool staging = StagingLeftovers(rrdpStores).Any(e => Path.GetFileName(e).StartsWith("staging-", StringComparison.Ordinal));
            killsWithStaging += staging ? 1 : 0;
            await TestContext.Out.WriteLineAsync($"round {round}: killed {where}; staging left behind: {staging}");

            // Restart on the same cache with RRDP unreachable: the first run validates the cache as it is.
            live.Server.ClearFaults();
            live.Server.SetFault("/rrdp/*", HttpFault.Status(503));
            cache = await StartCacheAsync(live, rrdpOnly);
            var startup = await cache.WaitForStartupRoundAsync(RunLimit);
            var served = await cache.GetServedAsync();
            bool isBefore = before.SameAs(served), isAfter = after.SameAs(served);
            uint? ready = await cache.GetReadySerialAsync();
            await TestContext.Out.WriteLineAsync($"round {round}: after the restart the cache held the payload {(isAfter ? "after" : isBefore ? "before" : "of neither state")} the change");
            Assert.Multiple(() =>
            {
                Assert.That(startup.Loaded, Is.Not.Null, $"round {round} ({where}): the restarted run validated the cache. {startup}");
                Assert.That(startup.Validation, Is.EqualTo((baselineRejected, 0)),
                    $"round {round} ({where}): no publication point failed, nothing more rejected: the cache is consistent. {startup.Loaded}");
                Assert.That(startup.Repositories?.Stale, Is.EqualTo(1), $"round {round}: RRDP unreachable, cached copy used. {startup.Loaded}");
                Assert.That(isBefore || isAfter, Is.True,
                    $"round {round} ({where}): served payload is the one before or after the change, not a mix.\nvs before:\n{before.Diff(served)}\nvs after:\n{after.Diff(served)}");
                Assert.That(ready, Is.EqualTo(isAfter ? serial + 1 : serial), $"round {round} ({where}): serial for the payload served");
                Assert.That(StagingLeftovers(rrdpStores), Is.Empty, $"round {round}: recovery removed staging directories and temporary files");
                Assert.That(Directory.EnumerateDirectories(rrdpStores, "gen-*", SearchOption.AllDirectories).Count(), Is.InRange(1, 2),
                    $"round {round}: the current generation and at most the previous one remain");
            });

            // RRDP back: the next run converges to the new payload as exactly one new serial.
            live.Server.ClearFaults();
            var converge = await cache.RunAsync(RunLimit);
            serial++;
            await AssertServesAsync(cache, after, serial, $"round {round} ({where}): after the run with RRDP back");
            Assert.That(converge.Validation, Is.EqualTo((baselineRejected, 0)), converge.Loaded);
            before = after;
        }

        Assert.That(killsWithStaging, Is.GreaterThanOrEqualTo(1), "at least one kill landed while a delta was being applied in staging");
    }

    /// <summary>Triggers a run and kills the process at <paramref name="point"/>; returns a description of the moment.</summary>
    private static async Task<string> KillAsync(FetchingCache cache, KillPoint point, string deltaPath, long deltaLength, LiveRepository live, string rrdpStores, Random random)
    {
        long mark = cache.Process.LineCount;
        var sw = Stopwatch.StartNew();
        cache.TriggerRun();
        string where;
        switch (point)
        {
            case KillPoint.RightAfterSignal:
                await cache.Process.WaitForLineAsync(l => l.Contains("Update round requested by SIGUSR1", StringComparison.Ordinal), RunLimit, mark);
                where = "right after the signal";
                break;
            case KillPoint.WhileStaging:
                await Peers.Poll.UntilAsync(() => Task.FromResult(StagingLeftovers(rrdpStores).Any(e => Path.GetFileName(e).StartsWith("staging-", StringComparison.Ordinal))), RunLimit,
                    () => "no staging directory appeared", TimeSpan.FromMilliseconds(5));
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 800)));
                where = "while the delta was dripping into staging";
                break;
            case KillPoint.WhenDeltaDownloaded:
                await Peers.Poll.UntilAsync(() => Task.FromResult(DeltaDownloaded(rrdpStores, deltaLength) || live.Server.RequestsFor(deltaPath).Count > 0), RunLimit,
                    () => "the delta was not downloaded", TimeSpan.FromMilliseconds(1));
                where = "as the delta's last byte arrived";
                break;
            case KillPoint.AfterValidation:
                await cache.Process.WaitForLineAsync(l => l.Contains("PayloadPipeline[0] Loaded ", StringComparison.Ordinal), RunLimit, mark);
                where = "after validation";
                break;
            default:
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 3000)));
                where = "at a random moment";
                break;
        }

        await cache.KillAsync();
        bool published = cache.Process.GetLines().Any(l => l.Index >= mark && FetchingCache.IsRoundEnd(l.Text));
        return $"{where} ({sw.Elapsed.TotalSeconds:0.00} s after SIGUSR1, {(published ? "round had ended" : "round unfinished")})";
    }

    /// <summary>True when a delta download file in an RRDP store holds <paramref name="length"/> bytes (the whole delta).</summary>
    private static bool DeltaDownloaded(string rrdpStores, long length)
    {
        try
        {
            return Directory.Exists(rrdpStores) && Directory.EnumerateDirectories(rrdpStores)
                .SelectMany(store => Directory.EnumerateFiles(store, "delta-*.tmp"))
                .Any(f => new FileInfo(f).Length >= length);
        }
        catch (IOException)
        {
            return false; // the file went away while we looked
        }
    }

    /// <summary>Staging directories and temporary files in the RRDP stores (what an interrupted update leaves).</summary>
    private static IEnumerable<string> StagingLeftovers(string rrdpStores)
    {
        if (!Directory.Exists(rrdpStores))
        {
            return [];
        }

        return Directory.EnumerateDirectories(rrdpStores)
            .SelectMany(store => Directory.EnumerateFileSystemEntries(store))
            .Where(e => Path.GetFileName(e).StartsWith("staging-", StringComparison.Ordinal) || e.EndsWith(".tmp", StringComparison.Ordinal))
            .ToList();
    }
}
