using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RtrCache.Interop.Peers;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Interop.FetchInterop;

/// <summary>
/// Issue 5's fault matrix against the real process: each case starts from a good first serial, breaks the RRDP
/// server (or rsync) in one way while the repository also changes (so the data would change if the fault were
/// ignored), starts a run with SIGUSR1, and checks what routers are served (<c>/json</c>, <c>/readyz</c>, the
/// "Published serial" lines) and how the failure is reported (the "Repository …" warning, the fetcher's own
/// warning, <c>rtrcache_fetch_status</c>). Faults the client must survive by falling back to the snapshot (delta
/// hash mismatch, session reset, delta gap) must instead bring the new data, as exactly one new serial. Where the
/// fault is contained, clearing it must then bring the change: proof that the change was real.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FetchFaultTests : FetchFixture
{
    /// <summary>
    /// The report of a fetch stopped by <c>--fetch-timeout 2</c>: the repository deadline or the request timeout
    /// (both 2 s; whichever fires first names itself).
    /// </summary>
    private const string TimedOut = @"error: (.* timed out after 2 s|deadline of 2 s for the repository exceeded)$";

    /// <summary>An HTTP error on the notification: the last RRDP copy stays in use (inside the one-hour fallback window), no rsync.</summary>
    [TestCase(500)]
    [TestCase(404)]
    public async Task An_http_error_on_the_notification_keeps_the_served_data(int status)
    {
        var (live, cache, initial) = await StartGoodAsync();
        live.Server.SetFault(live.Publisher.NotificationUrlPath, HttpFault.Status(status));
        ChangeRepository(live, 65010);

        var round = await AssertContainedAsync(live, cache, initial);
        Assert.That(round.RepositoryWarnings.Single(), Does.Contain(status.ToString(System.Globalization.CultureInfo.InvariantCulture)), "the report names the status");
        await AssertRecoversAsync(live, cache);
    }

    /// <summary>
    /// A notification request that never answers, or answers at 4 bytes per second (each read makes progress, so
    /// only a total limit stops it), is given up after <c>--fetch-timeout</c>, not after the run's limit.
    /// </summary>
    [TestCase("hang")]
    [TestCase("slow drip")]
    public async Task A_hanging_notification_times_out_and_keeps_the_served_data(string fault)
    {
        var (live, cache, initial) = await StartGoodAsync("--fetch-timeout", "2");
        live.Server.SetFault(live.Publisher.NotificationUrlPath, fault == "hang" ? HttpFault.Hang : HttpFault.SlowDrip(4));
        ChangeRepository(live, 65010);

        var round = await AssertContainedAsync(live, cache, initial);
        Assert.Multiple(() =>
        {
            Assert.That(round.Elapsed, Is.LessThan(TimeSpan.FromSeconds(12)), "bounded by --fetch-timeout 2");
            Assert.That(round.RepositoryWarnings.Single(), Does.Match(TimedOut), "the report says it timed out");
        });
        await AssertRecoversAsync(live, cache);
    }

    /// <summary>
    /// A new RRDP session forces the snapshot, whose body is cut in half: with the connection reset before the
    /// announced length (a premature end), or as a complete-looking chunked response (only the hash shows it).
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task A_truncated_snapshot_keeps_the_served_data(bool reset)
    {
        var (live, cache, initial) = await StartGoodAsync();
        ChangeRepository(live, 65010);
        live.Publisher.NewSession(live.TreeRoot);
        var snapshot = live.Publisher.Snapshot!;
        live.Server.SetFault(snapshot.UrlPath, reset ? HttpFault.Truncate(snapshot.Length / 2) : HttpFault.TruncateCleanly(snapshot.Length / 2));

        var round = await AssertContainedAsync(live, cache, initial);
        Assert.Multiple(() =>
        {
            Assert.That(round.RepositoryWarnings.Single(), Does.Contain($"error: snapshot {snapshot.Uri}: ").And.Contain(reset ? "ended prematurely" : "does not match the notification's"),
                "the report names the snapshot and the problem");
            Assert.That(live.Server.RequestsFor(snapshot.UrlPath), Has.Exactly(1).Items.Matches<RequestLogEntry>(r => r.Fault != null), "the faulty snapshot was fetched");
        });
        await AssertRecoversAsync(live, cache);
    }

    /// <summary>The notification lists a wrong hash for the (forced) snapshot: the snapshot is refused.</summary>
    [Test]
    public async Task A_snapshot_hash_mismatch_keeps_the_served_data()
    {
        var (live, cache, initial) = await StartGoodAsync();
        ChangeRepository(live, 65010);
        live.Publisher.NewSession(live.TreeRoot);
        live.Publisher.CorruptSnapshotHash();

        var round = await AssertContainedAsync(live, cache, initial);
        Assert.That(round.RepositoryWarnings.Single(), Does.Contain("SHA-256").And.Contain("snapshot"), "the report names the hash mismatch");
        live.Publisher.ClearFaults();
        await AssertRecoversAsync(live, cache);
    }

    /// <summary>
    /// The delta's listed hash is wrong: the delta chain is abandoned and the snapshot (which is fine) taken, so the
    /// new data arrives after all, as one new serial, with a warning.
    /// </summary>
    [Test]
    public async Task A_delta_hash_mismatch_falls_back_to_the_snapshot_and_updates()
    {
        var (live, cache, _) = await StartGoodAsync();
        var publication = ChangeRepository(live, 65010);
        live.Publisher.CorruptDeltaHash(publication.Serial);
        live.Server.ClearRequests();

        var round = await AssertUpdatedAsync(live, cache);
        Assert.Multiple(() =>
        {
            Assert.That(round.FetchLines, Has.Some.Contains($"delta {publication.Serial}").And.Contain("SHA-256").And.Contain("taking the snapshot"),
                "the abandoned delta is reported");
            Assert.That(live.Server.RequestsFor(publication.Delta!.UrlPath), Has.Exactly(1).Items, "the delta was tried");
            Assert.That(live.Server.RequestsFor(live.Publisher.Snapshot!.UrlPath), Has.Exactly(1).Items, "then the snapshot taken");
        });
    }

    /// <summary>A session reset (new session ID, serial 1) is answered with the new session's snapshot.</summary>
    [Test]
    public async Task A_session_reset_is_answered_with_the_snapshot_and_updates()
    {
        var (live, cache, _) = await StartGoodAsync();
        ChangeRepository(live, 65010);
        live.Publisher.NewSession(live.TreeRoot);
        live.Server.ClearRequests();

        var round = await AssertUpdatedAsync(live, cache);
        Assert.Multiple(() =>
        {
            Assert.That(round.FetchLines, Has.Some.Contains("session changed"), "the reset is reported");
            Assert.That(live.Server.RequestsFor(live.Publisher.Snapshot!.UrlPath), Has.Exactly(1).Items, "the new session's snapshot was taken");
            Assert.That(live.Server.Requests.Where(r => r.Path.EndsWith("/delta.xml", StringComparison.Ordinal)), Is.Empty, "no delta of either session");
        });
    }

    /// <summary>Two changes, the first delta no longer listed: a gap, so the snapshot; still only one new RTR serial.</summary>
    [Test]
    public async Task A_delta_gap_is_answered_with_the_snapshot_and_updates()
    {
        var (live, cache, _) = await StartGoodAsync();
        var first = ChangeRepository(live, 65010);
        var second = ChangeRepository(live, 65020);
        live.Publisher.DropDelta(first.Serial);
        live.Server.ClearRequests();

        var round = await AssertUpdatedAsync(live, cache);
        Assert.Multiple(() =>
        {
            Assert.That(round.FetchLines, Has.Some.Contains($"delta {first.Serial} is not listed"), "the gap is reported");
            Assert.That(live.Server.RequestsFor(live.Publisher.Snapshot!.UrlPath), Has.Exactly(1).Items, "the snapshot was taken");
            Assert.That(live.Server.RequestsFor(second.Delta!.UrlPath), Is.Empty, "no delta after the gap");
        });
    }

    /// <summary>A notification with nested entity definitions (10^9 "lol"s when expanded) is refused at the DOCTYPE, quickly and without memory growth.</summary>
    [Test]
    public async Task A_billion_laughs_notification_is_refused_without_harm()
    {
        var (live, cache, initial) = await StartGoodAsync();
        live.Server.SetFault(live.Publisher.NotificationUrlPath, HttpFault.BillionLaughs);
        ChangeRepository(live, 65010);

        var round = await AssertContainedAsync(live, cache, initial);
        Assert.Multiple(() =>
        {
            Assert.That(round.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "refused at once");
            Assert.That(cache.PeakResidentBytes(), Is.InRange(1L, 1L << 30), "peak RSS stays far below the ~3 GB of the expansion");
            Assert.That(round.RepositoryWarnings.Single(), Does.Contain("a DOCTYPE (DTD) is not allowed in RRDP files"), "the report says why");
        });
        await AssertRecoversAsync(live, cache);
    }

    /// <summary>
    /// A notification with an external entity naming a local file: refused, and the file's content appears nowhere
    /// (no cache file, no log line, no HTTP output of ours).
    /// </summary>
    [Test]
    public async Task An_xxe_notification_is_refused_and_leaks_nothing()
    {
        var (live, cache, initial) = await StartGoodAsync();
        string marker = "xxe-secret-" + Guid.NewGuid().ToString("N");
        string secret = Dir.File("secret.txt");
        await File.WriteAllTextAsync(secret, marker + "\n");
        live.Server.SetFault(live.Publisher.NotificationUrlPath, HttpFault.Xxe(secret));
        ChangeRepository(live, 65010);

        var round = await AssertContainedAsync(live, cache, initial);
        byte[] needle = Encoding.UTF8.GetBytes(marker);
        var leakingFiles = Directory.EnumerateFiles(CacheDirectory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => new FileInfo(f).Length > 0 && File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0) // .lock is empty and locked
            .ToList();
        string metrics = await cache.GetMetricsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(round.RepositoryWarnings.Single(), Does.Contain("a DOCTYPE (DTD) is not allowed in RRDP files"), "the report says why");
            Assert.That(leakingFiles, Is.Empty, "no cache file holds the secret");
            Assert.That(cache.Process.GetText(), Does.Not.Contain(marker), "no log line holds the secret");
            Assert.That(metrics, Does.Not.Contain(marker), "metrics do not hold the secret");
        });
        await AssertRecoversAsync(live, cache);
    }

    /// <summary>
    /// A 10 GB snapshot streamed lazily by the server is refused before it fills disk or memory: with its
    /// Content-Length announced, before the body is read; sent chunked, the parser reads it as it arrives and
    /// refuses its first object (on a host the repository may not speak for), which stops the download after a
    /// few megabytes; nothing of it is kept. (Before snapshots were parsed while downloading, this case ran into
    /// <c>--fetch-timeout</c> with a growing temporary file.)
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task An_oversized_snapshot_is_refused_without_filling_disk_or_memory(bool declareLength)
    {
        // Loopback delivers hundreds of MB per second: 2 s bound the chunked variant's temporary file (the
        // fetcher's own size limit, 2 GiB, would take longer to reach).
        var (live, cache, initial) = await StartGoodAsync("--fetch-timeout", "2");
        ChangeRepository(live, 65010);
        live.Publisher.NewSession(live.TreeRoot);
        live.Server.SetFault(live.Publisher.Snapshot!.UrlPath, HttpFault.Oversized(10L << 30, declareLength));

        var round = await AssertContainedAsync(live, cache, initial);
        long cacheBytes = Directory.EnumerateFiles(CacheDirectory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Sum(f => new FileInfo(f).Length);
        Assert.Multiple(() =>
        {
            Assert.That(round.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "refused quickly");
            Assert.That(cacheBytes, Is.LessThan(10L << 20), "nothing of it stays in the cache directory");
            Assert.That(cache.PeakResidentBytes(), Is.InRange(1L, 1L << 30), "peak RSS stays bounded");
            Assert.That(round.RepositoryWarnings.Single(), declareLength
                ? Does.Contain("snapshot").And.Contain("bytes announced, more than the 2147483648 byte limit")
                : Does.Contain("snapshot").And.Contain("rejected object URI 'rsync://oversized.invalid/"), "the report says why");
            if (!declareLength)
            {
                var received = Regex.Match(round.RepositoryWarnings.Single(), @" (\d+) bytes in ");
                Assert.That(received.Success && long.Parse(received.Groups[1].Value, CultureInfo.InvariantCulture) < 64L << 20, Is.True,
                    "the download stopped once the parser refused the file: " + round.RepositoryWarnings.Single());
            }
        });
        await AssertRecoversAsync(live, cache);
    }

    /// <summary>rsync down while RRDP works: everything comes over RRDP; rsync is never needed, nothing is stale.</summary>
    [Test]
    public async Task With_the_rsync_daemon_down_rrdp_alone_brings_the_change()
    {
        var (live, cache, _) = await StartGoodAsync();
        live.StopRsync();
        ChangeRepository(live, 65010);

        var round = await AssertUpdatedAsync(live, cache);
        Assert.That(round.Repositories, Is.EqualTo((2, 1, 1, 0, 0)), "RRDP updated, TA certificate unchanged, nothing stale: " + round.Loaded);
    }

    /// <summary>
    /// Every HTTPS request fails (RRDP and the TA's https URI) and <c>--rrdp-fallback-time 0</c>: the run falls back to
    /// rsync at once, and the change (published to the rsync tree as well) arrives that way. When RRDP is back, the
    /// next change comes over RRDP again (its deltas from the serial it last had), without rsync.
    /// </summary>
    [Test]
    public async Task With_rrdp_down_the_change_arrives_over_the_rsync_fallback()
    {
        var (live, cache, _) = await StartGoodAsync("--rrdp-fallback-time", "0");
        live.Server.SetFault("/*", HttpFault.Status(500));
        ChangeRepository(live, 65010);

        var round = await cache.RunAsync(RunLimit);
        Assert.That(round.Published?.Serial, Is.EqualTo(2u), $"the change is published. {round}");
        await AssertServesAsync(cache, Expected(live), 2, "after the rsync fallback");
        var status = await cache.GetFetchStatusAsync();
        string module = live.Rsync!.ModuleUri(live.Options.Module);
        Assert.Multiple(() =>
        {
            Assert.That(status, Does.Contain(new FetchStatusSeries(live.NotificationUri, "rrdp", "rrdp", "stale")), string.Join("; ", status));
            Assert.That(status, Does.Contain(new FetchStatusSeries(module, "rsync", "rsync", "updated")), "the rsync module was fetched: " + string.Join("; ", status));
            Assert.That(status, Does.Contain(new FetchStatusSeries(module + "ta/ta.cer", "trustanchor", "rsync", "unchanged")),
                "the TA certificate came from the TAL's rsync URI when its https URI failed");
            Assert.That(round.RepositoryWarnings, Has.Some.Contains($"rrdp {live.NotificationUri}, stale").And.Contain("fell back to rsync"),
                "the report says RRDP failed and rsync took over");
            Assert.That(round.Validation?.FailedPoints, Is.Zero, round.Loaded);
        });

        live.Server.ClearFaults();
        live.Server.ClearRequests();
        var third = ChangeRepository(live, 65020);
        var back = await cache.RunAsync(RunLimit);
        Assert.That(back.Published?.Serial, Is.EqualTo(3u), $"the next change is published. {back}");
        await AssertServesAsync(cache, Expected(live), 3, "with RRDP back");
        var backStatus = await cache.GetFetchStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(backStatus, Does.Contain(new FetchStatusSeries(live.NotificationUri, "rrdp", "rrdp", "updated")), string.Join("; ", backStatus));
            Assert.That(backStatus.Where(s => s.Kind == "rsync"), Is.Empty, "rsync no longer needed");
            Assert.That(live.Server.RequestsFor(third.Delta!.UrlPath), Has.Exactly(1).Items, "RRDP resumed with deltas");
            Assert.That(back.RepositoryWarnings, Is.Empty, "nothing stale");
        });
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Repository and rtrcache up, serial 1 served with exactly the expected payload.</summary>
    private async Task<(LiveRepository Live, FetchingCache Cache, ServedPayload Initial)> StartGoodAsync(params string[] fetchArguments)
    {
        var live = await StartRepositoryAsync();
        var initial = Expected(live);
        var cache = await StartCacheAsync(live, fetchArguments);
        await AssertServesAsync(cache, initial, 1, "before the fault");
        return (live, cache, initial);
    }

    /// <summary>
    /// Runs once and asserts the fault was contained: payload unchanged, still serial 1 with the initial data, the
    /// RRDP repository reported stale with its URI (log and metrics), and no rsync fallback (inside the window).
    /// </summary>
    private static async Task<FetchRound> AssertContainedAsync(LiveRepository live, FetchingCache cache, ServedPayload initial)
    {
        var round = await cache.RunAsync(RunLimit);
        var status = await cache.GetFetchStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(round.Unchanged, Is.True, $"payload unchanged. {round}");
            Assert.That(round.Published, Is.Null, "no new serial");
            Assert.That(round.RepositoryWarnings, Has.Exactly(1).Items, $"one repository reported. {round}");
            Assert.That(round.RepositoryWarnings, Has.Some.Contains($"rrdp {live.NotificationUri}, stale, via rrdp").And.Contain("error: "),
                "the report names the repository, its state and the error");
            Assert.That(round.Repositories?.Stale, Is.EqualTo(1), round.Loaded);
            Assert.That(round.Validation?.FailedPoints, Is.Zero, "the cached copy validates: " + round.Loaded);
            Assert.That(status, Does.Contain(new FetchStatusSeries(live.NotificationUri, "rrdp", "rrdp", "stale")), string.Join("; ", status));
            Assert.That(status.Where(s => s.Kind == "rsync"), Is.Empty, "no rsync inside the fallback window");
        });
        await AssertServesAsync(cache, initial, 1, "while the fault lasts");
        return round;
    }

    /// <summary>Clears every server fault, runs, and asserts the change arrives as serial 2.</summary>
    private static async Task AssertRecoversAsync(LiveRepository live, FetchingCache cache)
    {
        live.Server.ClearFaults();
        await AssertUpdatedAsync(live, cache);
    }

    /// <summary>Runs once and asserts the current repository content is published as serial 2, fetched over RRDP.</summary>
    private static async Task<FetchRound> AssertUpdatedAsync(LiveRepository live, FetchingCache cache)
    {
        var round = await cache.RunAsync(RunLimit);
        Assert.That(round.Published?.Serial, Is.EqualTo(2u), $"the change is published as the next serial. {round}");
        await AssertServesAsync(cache, Expected(live), 2, "after the change");
        var status = await cache.GetFetchStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(cache.Server.Publications.Select(p => p.Serial), Is.EqualTo(new uint[] { 1, 2 }), "exactly one new serial");
            Assert.That(status, Does.Contain(new FetchStatusSeries(live.NotificationUri, "rrdp", "rrdp", "updated")), string.Join("; ", status));
            Assert.That(status.Where(s => s.Kind == "rsync"), Is.Empty, "no rsync");
            Assert.That(round.RepositoryWarnings, Is.Empty, "nothing stale");
            Assert.That(round.Validation?.FailedPoints, Is.Zero, round.Loaded);
        });
        return round;
    }
}
