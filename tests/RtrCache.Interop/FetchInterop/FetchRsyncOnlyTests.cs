using RtrCache.Testbed.Publishing;

namespace RtrCache.Interop.FetchInterop;

/// <summary>
/// Repositories without RRDP (no rpkiNotify in the certificates, a TAL with only an rsync URI) are fetched with
/// rsync alone; a change arrives as exactly one serial; when the rsync daemon is down the last good copy keeps
/// being served and the module is reported stale. And a run that exceeds <c>--run-timeout</c> is abandoned
/// without touching what routers are served.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FetchRsyncOnlyTests : FetchFixture
{
    [Test]
    public async Task An_rsync_only_repository_is_served_and_followed_and_survives_a_dead_daemon()
    {
        var live = await StartRepositoryAsync(options: new LiveRepositoryOptions { Rrdp = false, HttpsTrustAnchor = false });
        var cache = await StartCacheAsync(live);
        await AssertServesAsync(cache, Expected(live), 1, "first run over rsync");
        string module = live.Rsync!.ModuleUri(live.Options.Module);
        var status = await cache.GetFetchStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(status, Does.Contain(new FetchStatusSeries(module, "rsync", "rsync", "updated")), string.Join("; ", status));
            Assert.That(status.Where(s => s.Kind == "rrdp"), Is.Empty, "no RRDP without rpkiNotify");
            Assert.That(live.Server.Requests.Where(r => r.Path.Contains("/rrdp/", StringComparison.Ordinal)), Is.Empty, "the RRDP server was never asked");
        });

        var before = Expected(live);
        live.Repository.AddRoa("ca0-0", 65030);
        live.Republish();
        Assert.That(Expected(live).Diff(before), Is.Not.Empty, "the change alters the payload");
        var round = await cache.RunAsync(RunLimit);
        Assert.That(round.Published?.Serial, Is.EqualTo(2u), $"the change is one new serial. {round}");
        await AssertServesAsync(cache, Expected(live), 2, "after the change over rsync");

        var changed = Expected(live);
        live.StopRsync();
        live.Repository.AddRoa("ca0-0", 65031);
        live.Republish();
        var down = await cache.RunAsync(RunLimit);
        var downStatus = await cache.GetFetchStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(down.Unchanged, Is.True, $"nothing new can arrive with the daemon down. {down}");
            Assert.That(down.RepositoryWarnings, Has.Some.Contains($"rsync {module}, stale"), "the module is reported stale with its URI");
            Assert.That(downStatus, Does.Contain(new FetchStatusSeries(module, "rsync", "rsync", "stale")), string.Join("; ", downStatus));
            Assert.That(down.Validation?.FailedPoints, Is.Zero, "the last good copy still validates: " + down.Loaded);
        });
        await AssertServesAsync(cache, changed, 2, "while the daemon is down");
    }

    [Test]
    public async Task A_run_over_its_time_limit_is_abandoned_and_the_served_data_stays()
    {
        var live = await StartRepositoryAsync();
        var cache = await StartCacheAsync(live, ["--run-timeout", "2", "--fetch-timeout", "60"]);
        var initial = Expected(live);
        await AssertServesAsync(cache, initial, 1, "before the hang");

        live.Server.SetFault("/rrdp/*", HttpFault.Hang);
        live.Repository.AddRoa("ca0-0", 65040);
        live.Republish();
        var round = await cache.RunAsync(RunLimit);
        Assert.Multiple(() =>
        {
            Assert.That(round.Lines, Has.Some.Contains("Input unavailable: ").And.Contain("run abandoned after 2 s (--run-timeout)"), round.ToString());
            Assert.That(round.Published, Is.Null, "no serial from an abandoned run");
        });
        await AssertServesAsync(cache, initial, 1, "after the abandoned run");

        live.Server.ClearFaults();
        var next = await cache.RunAsync(RunLimit);
        Assert.That(next.Published?.Serial, Is.EqualTo(2u), $"the next run brings the change. {next}");
        await AssertServesAsync(cache, Expected(live), 2, "after recovery");
    }
}
