using RtrCache.Interop.Peers;
using RtrCache.Interop.RtrCacheInterop;
using RtrCache.Testbed;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Interop.FetchInterop;

/// <summary>
/// Issue 5 end to end: a generated repository published over RRDP by an HTTPS server on loopback, fetched and
/// validated by <c>rtrcache serve --tal-dir</c>, served over RTR to Debian's rtrclient (rtrlib 0.8) and BIRD
/// 2.0.12; then the repository changes (new ROA, revoked ROA, changed ASPA) and the next run must bring exactly one
/// new serial that both routers take incrementally, fetched as an RRDP delta rather than the snapshot.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FetchEndToEndTests : FetchFixture
{
    /// <summary>Refresh 300 s at both ends: a router only moves on when our Serial Notify tells it to.</summary>
    private static readonly RtrCacheServerOptions NotifyOnly = new() { Refresh = 300, Retry = 2, Expire = 600 };

    private static readonly BirdOptions BirdNotifyOnly = new() { RefreshSeconds = 300, RetrySeconds = 1, ExpireSeconds = 600 };

    /// <summary>
    /// Cold start: the snapshot over RRDP, serial 1 equal to the generator's expected payload at BIRD (VRPs),
    /// rtrclient (VRPs and router keys) and in our export (with ASPAs). Change: one delta fetched (no snapshot),
    /// exactly serial 2, reached by both routers through Serial Notify and Serial Query with no new Reset Query
    /// or Cache Reset. No change: a 304 on the notification and no new serial.
    /// </summary>
    [Test]
    public async Task Routers_hold_the_fetched_repository_and_follow_a_change_by_one_delta()
    {
        var live = await StartRepositoryAsync(TestbedScale.Tiny);
        var initial = Expected(live);
        Assert.That(initial.Vrps, Is.Not.Empty, "the Tiny repository has VRPs");
        Assert.That(initial.RouterKeys, Is.Not.Empty, "and router keys");

        var cache = await StartCacheAsync(live, options: NotifyOnly);
        await AssertServesAsync(cache, initial, 1, "first run after a cold start");
        var startup = cache.StartupRound;
        // A good repository: nothing rejected (the TA certificate's copy in its own publication point is not an
        // unlisted file, whichever TAL URI it was loaded from) and no publication point failed.
        Assert.That(startup.Validation, Is.EqualTo((0, 0)), startup.ToString());
        var firstStatus = await cache.GetFetchStatusAsync();
        Assert.That(firstStatus, Does.Contain(new FetchStatusSeries(live.NotificationUri, "rrdp", "rrdp", "updated")),
            "the first run loaded the repository over RRDP: " + string.Join("; ", firstStatus));
        Assert.That(firstStatus.Where(s => s.Kind == "rsync"), Is.Empty, "rsync was not needed");
        Assert.That(live.Server.RequestsFor(live.Publisher.Snapshot!.UrlPath).Count(r => r.StatusCode == 200), Is.EqualTo(1), "a cold start takes the snapshot");

        ushort session = cache.Server.SessionIds.V1;
        var bird = await StartBirdAsync(cache.Server, BirdNotifyOnly);
        var client = StartRtrClient(cache.Server);
        await bird.WaitForVrpsAsync(initial.Vrps, Timeout);
        await client.WaitForPayloadAsync(initial.Vrps, Timeout, initial.RouterKeys);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.Serial == 1 && client.LastSync?.Serial == 1),
            Timeout,
            () => $"serial 1 not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");

        // The three kinds of change issue 5 names.
        var added = live.Repository.AddRoa("ca1-1", 65100);
        var (revokedCa, revoked) = RoaWithOwnVrps(live.Repository);
        live.Repository.RevokeRoa(revokedCa.Name, revoked.FileName);
        var (aspaCa, aspa) = live.Repository.AllCas.SelectMany(c => c.Aspas.Select(a => (c, a))).First();
        live.Repository.SetAspaProviders(aspaCa.Name, aspa.FileName, aspa.Providers.Append(65200u));
        live.Server.ClearRequests();
        var publication = live.Republish();
        var changed = Expected(live);
        Assert.Multiple(() =>
        {
            Assert.That(publication.Delta, Is.Not.Null);
            Assert.That(changed.Vrps.Except(initial.Vrps).Count(), Is.EqualTo(added.Vrps().Count()), "the new ROA's VRPs are new");
            Assert.That(initial.Vrps.Except(changed.Vrps), Is.Not.Empty, "the revoked ROA's VRPs are gone");
            Assert.That(changed.Aspas.SetEquals(initial.Aspas), Is.False, "an ASPA changed");
        });

        int birdNotifies = bird.SerialNotifies, birdSerialQueries = bird.SerialQueries, clientSerialQueries = client.SerialQueries;
        var round = await cache.RunAsync(RunLimit);
        Assert.That(round.Published?.Serial, Is.EqualTo(2u), $"one new serial for the change. {round}");

        await bird.WaitForVrpsAsync(changed.Vrps, Timeout);
        await client.WaitForPayloadAsync(changed.Vrps, Timeout, changed.RouterKeys);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.Serial == 2 && client.LastSync?.Serial == 2),
            Timeout,
            () => $"serial 2 not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");
        await AssertServesAsync(cache, changed, 2, "after the change");

        var requests = live.Server.Requests;
        var status = await cache.GetFetchStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(cache.Server.Publications.Select(p => p.Serial), Is.EqualTo(new uint[] { 1, 2 }), "exactly one new serial");
            Assert.That(round.Repositories, Is.EqualTo((2, 1, 1, 0, 0)), "repositories: RRDP updated, TA certificate unchanged. " + round.Loaded);
            Assert.That(round.Validation, Is.EqualTo((1, 0)),
                "the revoked ROA is the one more rejected object, no publication point failed. " + round.Loaded);
            Assert.That(status, Does.Contain(new FetchStatusSeries(live.NotificationUri, "rrdp", "rrdp", "updated")), string.Join("; ", status));
            Assert.That(status.Where(s => s.Kind == "rsync"), Is.Empty, "rsync was not needed");
            Assert.That(requests.Where(r => r.Path == publication.Delta!.UrlPath && r.StatusCode == 200), Has.Exactly(1).Items, "the delta was fetched once");
            Assert.That(requests.Where(r => r.Path.EndsWith("/snapshot.xml", StringComparison.Ordinal)), Is.Empty, "no snapshot was fetched");

            Assert.That((notified: bird.SerialNotifies > birdNotifies, serialQuery: bird.SerialQueries > birdSerialQueries), Is.EqualTo((true, true)),
                "BIRD was notified and updated by Serial Query");
            Assert.That(bird.ResetQueries, Is.EqualTo(1), "BIRD: only the initial Reset Query");
            Assert.That(bird.CacheResets, Is.Zero);
            Assert.That(bird.ErrorReports, Is.Zero);
            Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(1, session, 2)));
            Assert.That(client.SerialQueries, Is.GreaterThan(clientSerialQueries), "rtrclient updated by Serial Query");
            Assert.That(client.ResetQueries, Is.EqualTo(1), "rtrclient: only the initial Reset Query");
            Assert.That(client.CacheResets, Is.Zero);
            Assert.That(client.Errors, Is.Zero);
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, session, 2)));
        });

        // Nothing changed since: the notification is answered 304 and no serial is added.
        live.Server.ClearRequests();
        var idle = await cache.RunAsync(RunLimit);
        var idleStatus = await cache.GetFetchStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(idle.Unchanged, Is.True, idle.ToString());
            Assert.That(cache.Server.Publications.Select(p => p.Serial), Is.EqualTo(new uint[] { 1, 2 }));
            Assert.That(idleStatus, Does.Contain(new FetchStatusSeries(live.NotificationUri, "rrdp", "rrdp", "unchanged")), string.Join("; ", idleStatus));
            Assert.That(live.Server.RequestsFor(live.Publisher.NotificationUrlPath).Select(r => r.StatusCode), Is.EqualTo(new[] { 304 }),
                "conditional request for the unchanged notification");
            Assert.That(live.Server.Requests.Where(r => r.Path.EndsWith("/delta.xml", StringComparison.Ordinal) || r.Path.EndsWith("/snapshot.xml", StringComparison.Ordinal)),
                Is.Empty, "nothing else fetched");
        });
    }

    /// <summary>A ROA some of whose VRPs no other ROA yields, so revoking it visibly removes VRPs.</summary>
    private static (CaNode Ca, RoaNode Roa) RoaWithOwnVrps(Repository repo)
    {
        var all = repo.AllCas.SelectMany(c => c.Roas.Select(r => (Ca: c, Roa: r))).ToList();
        foreach (var (ca, roa) in all)
        {
            var others = all.Where(x => x.Roa != roa).SelectMany(x => x.Roa.Vrps()).ToHashSet();
            if (roa.Vrps().Any(v => !others.Contains(v)))
            {
                return (ca, roa);
            }
        }

        throw new InvalidOperationException("every ROA's VRPs also come from another ROA");
    }
}
