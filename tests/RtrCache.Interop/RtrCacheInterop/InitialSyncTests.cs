using System.Net;
using RtrCache.Interop.Peers;

namespace RtrCache.Interop.RtrCacheInterop;

/// <summary>
/// Our server (<c>rtrcache serve</c>, a real process) serving a file; each real router program must end up
/// with exactly the served payload, at the version it speaks, with our session ID for that version and serial 1.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class InitialSyncTests : RtrCacheFixture
{
    [Test]
    public async Task RtrClient_holds_exactly_the_served_VRPs_and_router_key()
    {
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas);

        var client = StartRtrClient(server);
        await client.WaitForPayloadAsync(InteropPayload.Initial, Timeout, [InteropPayload.RouterKey]);

        Assert.Multiple(() =>
        {
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, server.SessionIds.V1, 1)), "rtrclient speaks v1");
            Assert.That(client.ResetQueries, Is.EqualTo(1));
            Assert.That(client.SawReset, Is.False);
            Assert.That(client.Errors, Is.Zero);
        });
    }

    [Test]
    public async Task Bird_holds_exactly_the_served_VRPs_at_version_1()
    {
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas);

        var bird = await StartBirdAsync(server);
        var status = await bird.WaitForEstablishedAsync(Timeout);
        await bird.WaitForVrpsAsync(InteropPayload.Initial, Timeout);

        Assert.Multiple(() =>
        {
            Assert.That(status.ProtocolVersion, Is.EqualTo(1));
            Assert.That(status.SessionId, Is.EqualTo(server.SessionIds.V1));
            Assert.That(status.Serial, Is.EqualTo(1u));
            Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(1, server.SessionIds.V1, 1)));
            Assert.That(bird.ResetQueries, Is.EqualTo(1));
            Assert.That(bird.CacheResets, Is.Zero);
            Assert.That(bird.ErrorReports, Is.Zero);
        });
    }

    [Test]
    public async Task OpenBgpd_syncs_and_adopts_our_timers()
    {
        // Timers distinct from everything's defaults, so "adopted" is visible.
        var options = new RtrCacheServerOptions { Refresh = 7, Retry = 3, Expire = 700 };
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas, options);

        var bgpd = await StartOpenBgpdAsync(server);
        await bgpd.WaitForPayloadAsync(InteropPayload.Initial, server.SessionIds.V1, 1, OpenBgpdTimeout);

        var status = await bgpd.GetRtrStatusAsync();
        Assert.Multiple(() =>
        {
            // 3 distinct IPv4 and 3 distinct IPv6 prefixes: the two 192.0.2.0/24 VRPs count once.
            Assert.That(OpenBgpd.ExpectedRoaCounts(InteropPayload.Initial), Is.EqualTo((3, 3)));
            Assert.That((status!.Refresh, status.Retry, status.Expire), Is.EqualTo((7, 3, 700)), "timers adopted from End of Data");
            Assert.That(status.LastSentError, Is.Null);
            Assert.That(status.LastReceivedError, Is.Null);
            Assert.That(bgpd.EndOfDataCount, Is.GreaterThanOrEqualTo(1));
            Assert.That(bgpd.CacheResets, Is.Zero);
            Assert.That(bgpd.Errors, Is.Zero);
            Assert.That(bgpd.ConnectionsOpened, Is.EqualTo(1));
        });
    }

    [TestCase(0)]
    [TestCase(1)]
    public async Task RtrDump_receives_the_same_set_at_version(int version)
    {
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas);

        var dump = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, version, Dir.Path, Timeout)).EnsureComplete();

        Assert.Multiple(() =>
        {
            Assert.That(PeerSets.Diff(InteropPayload.Initial, dump.Vrps), Is.Empty, "VRPs");
            Assert.That(dump.EndOfData, Is.EqualTo(new PeerSyncState(version, server.SessionIds.For(version), 1)));
            Assert.That(dump.ReceivedPdus, Does.Contain($"PDU Cache Response v{version} (session: {server.SessionIds.For(version)})"));
            // Router Key PDUs exist from v1 on; v0 must get none.
            Assert.That(dump.RouterKeys, version == 0 ? Is.Empty : Is.EquivalentTo(new[] { InteropPayload.RouterKey }), "router keys");
        });
    }

    [Test]
    public async Task Session_ids_differ_per_version()
    {
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey]);

        var v0 = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 0, Dir.Path, Timeout)).EnsureComplete();
        var v1 = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 1, Dir.Path, Timeout)).EnsureComplete();
        var v2 = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 2, Dir.Path, Timeout)).EnsureComplete();

        var ids = new[] { v0.EndOfData!.Value.SessionId, v1.EndOfData!.Value.SessionId, v2.EndOfData!.Value.SessionId };
        Assert.Multiple(() =>
        {
            Assert.That(ids, Is.Unique, "one session ID per protocol version");
            Assert.That(ids, Is.EqualTo(new[] { server.SessionIds.V0, server.SessionIds.V1, server.SessionIds.V2 }));
        });
    }

    /// <summary>
    /// Without ASPAs a v2 Cache Response has nothing whose layout changed since draft 8210bis-10, so stayrtr 0.5.1's
    /// rtrdump, which speaks that old draft, reads all of it.
    /// </summary>
    [Test]
    public async Task RtrDump_version_2_reads_a_response_without_ASPAs()
    {
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey]);

        var dump = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 2, Dir.Path, Timeout)).EnsureComplete();

        Assert.Multiple(() =>
        {
            Assert.That(PeerSets.Diff(InteropPayload.Initial, dump.Vrps), Is.Empty, "VRPs");
            Assert.That(dump.RouterKeys, Is.EquivalentTo(new[] { InteropPayload.RouterKey }));
            Assert.That(dump.EndOfData, Is.EqualTo(new PeerSyncState(2, server.SessionIds.V2, 1)));
        });
    }

    /// <summary>
    /// With ASPAs, a v2 session gets our ASPA PDUs in the current (8210bis-14 and later) 12-byte-base layout, which
    /// rtrdump 0.5.1 cannot decode: it reads the customer ASN as its obsolete flags/AFI/provider-count fields, waits
    /// for bytes that never come and gives up ("EOF", exit 1) before End of Data. Success is not expected; what must
    /// hold is that the session did start at v2 with our v2 session ID, that whatever it did decode is ours, and that
    /// our server is unharmed: still ready, and still serving a v1 dump completely.
    /// </summary>
    [Test]
    public async Task RtrDump_version_2_against_our_ASPA_layout_fails_sanely()
    {
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas);

        var dump = await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 2, Dir.Path, Timeout);
        await TestContext.Out.WriteLineAsync($"rtrdump v2 with ASPAs: exit {dump.ExitCode}, End of Data {dump.EndOfData}, log:\n{dump.Log}");

        var afterwards = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 1, Dir.Path, Timeout)).EnsureComplete();
        var ready = await server.GetReadyzAsync();
        Assert.Multiple(() =>
        {
            Assert.That(dump.ReceivedPdus, Has.Some.EqualTo($"PDU Cache Response v2 (session: {server.SessionIds.V2})"),
                "the v2 session started with our v2 session ID");
            Assert.That(dump.ReceivedPdus.Where(p => p.StartsWith("PDU Error", StringComparison.Ordinal)), Is.Empty,
                "our server sent no Error Report");
            if (dump.EndOfData is { } eod)
            {
                // Should a future rtrdump parse it after all, the result must still be right.
                Assert.That(eod, Is.EqualTo(new PeerSyncState(2, server.SessionIds.V2, 1)));
                Assert.That(PeerSets.Diff(InteropPayload.Initial, dump.Vrps), Is.Empty);
            }
            else
            {
                Assert.That(dump.Vrps, Is.SubsetOf(InteropPayload.Initial), "what it decoded before giving up");
            }

            Assert.That(ready.Status, Is.EqualTo(200));
            Assert.That(PeerSets.Diff(InteropPayload.Initial, afterwards.Vrps), Is.Empty, "a v1 dump afterwards");
            Assert.That(afterwards.EndOfData, Is.EqualTo(new PeerSyncState(1, server.SessionIds.V1, 1)));
        });
    }

    /// <summary>
    /// <c>--max-version 1</c>: a v2 Reset Query gets Error Report 4 (Unsupported Protocol Version) in a version 1 PDU.
    /// rtrdump 0.5.1 logs "Downgrading to version 1" but does not retry (it disconnects on any PDU it does not handle),
    /// so it ends with the Error Report and no data; a v1 dump against the same server works.
    /// </summary>
    [Test]
    public async Task RtrDump_version_2_gets_Error_4_naming_version_1_from_a_server_capped_at_1()
    {
        var options = new RtrCacheServerOptions { ExtraArguments = ["--max-version", "1"] };
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas, options);
        long mark = server.Process.LineCount;

        var dump = await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 2, Dir.Path, Timeout);
        var v1 = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 1, Dir.Path, Timeout)).EnsureComplete();
        var refusal = await server.WaitForLogAsync("sent Error Report 4", Timeout, mark);

        Assert.Multiple(() =>
        {
            Assert.That(dump.ReceivedPdus, Has.Some.StartsWith("PDU Error report v1 (error code: 4)"), dump.Log);
            Assert.That(dump.Log, Does.Contain("Downgrading to version 1"));
            Assert.That(dump.EndOfData, Is.Null);
            Assert.That(dump.Vrps, Is.Empty);
            Assert.That(refusal.Text, Does.Contain("highest supported version is 1"));
            Assert.That(PeerSets.Diff(InteropPayload.Initial, v1.Vrps), Is.Empty);
            Assert.That(v1.RouterKeys, Is.EquivalentTo(new[] { InteropPayload.RouterKey }));
            Assert.That(v1.EndOfData, Is.EqualTo(new PeerSyncState(1, server.SessionIds.V1, 1)));
        });
    }

    /// <summary>
    /// <c>--max-version 0</c>: BIRD and rtrclient start at v1, get Error Report 4 in a version 0 PDU, reconnect at v0
    /// and then hold the VRPs (no router keys: there is no Router Key PDU in v0) under our v0 session ID; a change
    /// reaches them through a v0 Serial Notify and a v0 Serial Query.
    /// </summary>
    [Test]
    public async Task Routers_fall_back_to_version_0_when_the_server_is_capped_at_0()
    {
        var options = new RtrCacheServerOptions { Refresh = 300, ExtraArguments = ["--max-version", "0"] };
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas, options);
        ushort session = server.SessionIds.V0;

        var bird = await StartBirdAsync(server, new BirdOptions { RefreshSeconds = 300 });
        var client = StartRtrClient(server);
        await bird.WaitForVrpsAsync(InteropPayload.Initial, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Initial, Timeout, []);
        var status = await bird.WaitForEstablishedAsync(Timeout);
        Assert.Multiple(() =>
        {
            Assert.That(status.ProtocolVersion, Is.EqualTo(0));
            Assert.That((status.SessionId, status.Serial), Is.EqualTo(((ushort?)session, (uint?)1u)));
            Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(0, session, 1)), "v0 End of Data (no timers)");
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(0, session, 1)));
            Assert.That(client.RouterKeys, Is.Empty, "no Router Key PDUs at v0");
            Assert.That(client.Process.GetText(), Does.Contain("Downgrading from 1 to version 0"));
            Assert.That(bird.Process.GetText(), Does.Contain("Downgrading from protocol version 1 to version 0"));
        });
        int birdResets = bird.ResetQueries, clientResets = client.ResetQueries;

        var published = await server.UpdateAsync(
            () => RpkiClientJson.Write(JsonFile, InteropPayload.Change1, [InteropPayload.RouterKey], InteropPayload.Change1Aspas), Timeout);
        await bird.WaitForVrpsAsync(InteropPayload.Change1, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Change1, Timeout, []);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.Serial == 2 && client.LastSync?.Serial == 2),
            Timeout,
            () => $"serial 2 not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");
        Assert.Multiple(() =>
        {
            Assert.That(published.Serial, Is.EqualTo(2u));
            Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(0, session, 2)));
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(0, session, 2)));
            Assert.That(bird.SerialNotifies, Is.GreaterThanOrEqualTo(1));
            Assert.That(SerialNotifiesSeen(client), Is.GreaterThanOrEqualTo(1));
            Assert.That((bird.ResetQueries, client.ResetQueries), Is.EqualTo((birdResets, clientResets)), "updated without a reset");
            Assert.That((bird.CacheResets, client.CacheResets), Is.EqualTo((0, 0)));
            Assert.That(client.RouterKeys, Is.Empty);
        });
    }

    /// <summary>
    /// <c>--rtr-listen [::1]:PORT</c> plus a second listener on 127.0.0.1: BIRD and rtrclient connect over ::1,
    /// rtrdump over 127.0.0.1; all get the same data from the one cache.
    /// </summary>
    [Test]
    public async Task Routers_connect_over_IPv6_loopback()
    {
        int ipv4Port = FreePort.Tcp(IPAddress.Loopback);
        var options = new RtrCacheServerOptions
        {
            Address = IPAddress.IPv6Loopback,
            ExtraArguments = ["--rtr-listen", $"127.0.0.1:{ipv4Port}"],
        };
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas, options);

        var bird = await StartBirdAsync(server);
        var client = StartRtrClient(server);
        var dump = (await RtrDump.RunAsync(IPAddress.Loopback, ipv4Port, 1, Dir.Path, Timeout)).EnsureComplete();
        await bird.WaitForVrpsAsync(InteropPayload.Initial, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Initial, Timeout, [InteropPayload.RouterKey]);
        var status = await bird.GetStatusAsync();
        var sessions = server.Process.GetLines().Where(l => l.Text.Contains("RTR session #", StringComparison.Ordinal)
                                                            && l.Text.EndsWith(" connected", StringComparison.Ordinal))
            .Select(l => l.Text).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(server.Address, Is.EqualTo(IPAddress.IPv6Loopback));
            Assert.That(status.IsEstablished, Is.True);
            Assert.That(status.SessionId, Is.EqualTo(server.SessionIds.V1));
            Assert.That(status.Serial, Is.EqualTo(1u));
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, server.SessionIds.V1, 1)));
            Assert.That(PeerSets.Diff(InteropPayload.Initial, dump.Vrps), Is.Empty);
            Assert.That(dump.EndOfData, Is.EqualTo(new PeerSyncState(1, server.SessionIds.V1, 1)));
            Assert.That(sessions.Count(s => s.Contains("[::1]:", StringComparison.Ordinal)), Is.EqualTo(2), "BIRD and rtrclient over ::1:\n" + string.Join('\n', sessions));
            Assert.That(sessions.Count(s => s.Contains(" 127.0.0.1:", StringComparison.Ordinal)), Is.EqualTo(1), "rtrdump over 127.0.0.1");
        });
    }
}
