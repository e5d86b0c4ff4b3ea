using System.Net;
using NUnit.Framework.Interfaces;
using RtrCache.Interop.Peers;

namespace RtrCache.Interop.HarnessTests;

/// <summary>
/// Baseline: the real peer programs agree with Debian's StayRTR 0.5.1 serving a JSON file. These tests verify
/// the harness in <see cref="Peers"/> before it is pointed at our own cache.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class StayRtrBaselineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>OpenBGPD answers Serial Notify, reconnects and retries after a random 0–9 s.</summary>
    private static readonly TimeSpan OpenBgpdTimeout = TimeSpan.FromSeconds(45);

    /// <summary>IPv4 and IPv6, a shared prefix with two origins, a 32-bit ASN, AS0, max length &gt; prefix length.</summary>
    private static readonly PeerVrp[] InitialVrps =
    [
        PeerVrp.Parse("192.0.2.0/24", 24, 64496),
        PeerVrp.Parse("192.0.2.0/24", 24, 4_200_000_000),
        PeerVrp.Parse("198.51.100.0/22", 24, 64497),
        PeerVrp.Parse("203.0.113.0/24", 32, 0),
        PeerVrp.Parse("2001:db8::/32", 48, 64496),
        PeerVrp.Parse("2001:db8:1::/48", 48, 0),
        PeerVrp.Parse("2001:db8:ff00::/40", 64, 4_294_967_294),
    ];

    /// <summary>The initial set with one VRP withdrawn, one max length changed and two added.</summary>
    private static readonly PeerVrp[] ChangedVrps =
    [
        PeerVrp.Parse("192.0.2.0/24", 24, 64496),
        PeerVrp.Parse("192.0.2.0/24", 24, 4_200_000_000),
        PeerVrp.Parse("192.0.2.128/25", 25, 64499),
        PeerVrp.Parse("203.0.113.0/24", 32, 0),
        PeerVrp.Parse("2001:db8::/32", 40, 64496),
        PeerVrp.Parse("2001:db8:1::/48", 48, 0),
        PeerVrp.Parse("2001:db8:ff00::/40", 64, 4_294_967_294),
        PeerVrp.Parse("2001:db8:abcd::/48", 128, 65551),
    ];

    /// <summary>A real P-256 SubjectPublicKeyInfo (91 bytes, as rtrlib requires) and the SHA-1 of its key as SKI.</summary>
    private static readonly PeerRouterKey RouterKey = PeerRouterKey.FromBytes(
        64496,
        Convert.FromHexString("825CC6E2C2AE470682A8CA6BFE07D21C07F8FAA7"),
        Convert.FromBase64String(
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEjt+K3d8roDpcPtVjo9eFDgCRHA5HoRxgAFPfrNcHdGXPncaSZuR73x6tzUsdfUF2PyGbDIJ1j18+nb6enRn51g=="));

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<PeerProcess> _processes = [];
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = TempDirectory.Create();
        _owned.Clear();
        _processes.Clear();
    }

    [TearDown]
    public async Task TearDown()
    {
        bool failed = TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed;
        if (failed)
        {
            foreach (var process in _processes)
            {
                await TestContext.Out.WriteLineAsync(process.Tail(150));
            }
        }

        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _dir.Dispose();
        foreach (var process in _processes)
        {
            Assert.That(process.IsFullyStopped, Is.True, $"{process.Name} (pid {process.Pid}) or a child still running after dispose");
        }
    }

    [TestCase(0)]
    [TestCase(1)]
    public async Task RtrDump_receives_exactly_the_file(int version)
    {
        var stay = await StartStayRtrAsync(InitialVrps, [RouterKey]);

        var dump = (await RtrDump.RunAsync(IPAddress.Loopback, stay.Port, version, _dir.Path, Timeout)).EnsureComplete();

        Assert.Multiple(() =>
        {
            Assert.That(PeerSets.Diff(InitialVrps, dump.Vrps), Is.Empty, "VRPs");
            Assert.That(dump.EndOfData, Is.EqualTo(new PeerSyncState(version, stay.SessionId, stay.Serial)));
            // Router Key PDUs exist from v1 on.
            Assert.That(dump.RouterKeys, version == 0 ? Is.Empty : Is.EquivalentTo(new[] { RouterKey }), "router keys");
        });
    }

    [Test]
    public async Task RtrClient_receives_exactly_the_file()
    {
        var stay = await StartStayRtrAsync(InitialVrps, [RouterKey]);

        var client = Own(RtrClient.Start(IPAddress.Loopback, stay.Port, _dir.Path), c => c.Process);
        await client.WaitForPayloadAsync(InitialVrps, Timeout, [RouterKey]);

        Assert.Multiple(() =>
        {
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, stay.SessionId, stay.Serial)));
            Assert.That(client.ResetQueries, Is.EqualTo(1));
            Assert.That(client.SawReset, Is.False);
            Assert.That(client.Errors, Is.Zero);
        });
    }

    [Test]
    public async Task Bird_receives_exactly_the_file()
    {
        var stay = await StartStayRtrAsync(InitialVrps, [RouterKey]);

        var bird = Own(await BirdRouter.StartAsync(_dir.Path, IPAddress.Loopback, stay.Port, timeout: Timeout), b => b.Process);
        var status = await bird.WaitForEstablishedAsync(Timeout);
        await bird.WaitForVrpsAsync(InitialVrps, Timeout);

        Assert.Multiple(() =>
        {
            Assert.That(status.ProtocolVersion, Is.EqualTo(1));
            Assert.That(status.SessionId, Is.EqualTo(stay.SessionId));
            Assert.That(status.Serial, Is.EqualTo(stay.Serial));
            Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(1, stay.SessionId, stay.Serial)));
            Assert.That(bird.ResetQueries, Is.EqualTo(1));
            Assert.That(bird.CacheResets, Is.Zero);
            Assert.That(bird.ErrorReports, Is.Zero);
        });
    }

    [Test]
    public async Task OpenBgpd_receives_the_file()
    {
        var stay = await StartStayRtrAsync(InitialVrps, [RouterKey]);

        var bgpd = Own(await OpenBgpd.StartAsync(_dir.Path, IPAddress.Loopback, stay.Port, timeout: Timeout), b => b.Process);
        await bgpd.WaitForPayloadAsync(InitialVrps, stay.SessionId, stay.Serial, OpenBgpdTimeout);

        var status = await bgpd.GetRtrStatusAsync();
        Assert.Multiple(() =>
        {
            // 3 distinct IPv4 and 3 distinct IPv6 prefixes: the two 192.0.2.0/24 VRPs count once.
            Assert.That(OpenBgpd.ExpectedRoaCounts(InitialVrps), Is.EqualTo((3, 3)));
            Assert.That(status!.Refresh, Is.EqualTo(StayOptions.RtrRefresh), "timers adopted from End of Data");
            Assert.That(status.LastSentError, Is.Null);
            Assert.That(status.LastReceivedError, Is.Null);
            Assert.That(bgpd.EndOfDataCount, Is.GreaterThanOrEqualTo(1));
            Assert.That(bgpd.Errors, Is.Zero);
        });
    }

    [Test]
    public async Task Bird_and_RtrClient_follow_a_file_change_incrementally()
    {
        string file = _dir.File("vrps.json");
        var stay = await StartStayRtrAsync(InitialVrps, [RouterKey]);
        var bird = Own(await BirdRouter.StartAsync(_dir.Path, IPAddress.Loopback, stay.Port, timeout: Timeout), b => b.Process);
        var client = Own(RtrClient.Start(IPAddress.Loopback, stay.Port, _dir.Path), c => c.Process);
        await bird.WaitForVrpsAsync(InitialVrps, Timeout);
        await client.WaitForPayloadAsync(InitialVrps, Timeout, [RouterKey]);
        uint before = stay.Serial;

        uint after = await stay.UpdateAsync(() => RpkiClientJson.Write(file, ChangedVrps, [RouterKey]), Timeout);

        await bird.WaitForVrpsAsync(ChangedVrps, Timeout);
        await client.WaitForPayloadAsync(ChangedVrps, Timeout, [RouterKey]);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.Serial == after && client.LastSync?.Serial == after),
            Timeout,
            () => $"serial {after} not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");
        var status = await bird.GetStatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(after, Is.EqualTo(before + 1));
            Assert.That(status.Serial, Is.EqualTo(after));
            Assert.That(bird.ResetQueries, Is.EqualTo(1), "BIRD: only the initial Reset Query");
            Assert.That(bird.SerialQueries, Is.GreaterThanOrEqualTo(1), "BIRD: update by Serial Query");
            Assert.That(bird.CacheResets, Is.Zero);
            Assert.That(client.SawReset, Is.False, "rtrclient: no reset");
            Assert.That(client.SerialQueries, Is.GreaterThanOrEqualTo(1), "rtrclient: update by Serial Query");
            Assert.That(client.RouterKeys, Is.EquivalentTo(new[] { RouterKey }));
        });
    }

    [Test]
    public async Task OpenBgpd_follows_a_file_change()
    {
        string file = _dir.File("vrps.json");
        var stay = await StartStayRtrAsync(InitialVrps, []);
        var bgpd = Own(await OpenBgpd.StartAsync(_dir.Path, IPAddress.Loopback, stay.Port, timeout: Timeout), b => b.Process);
        await bgpd.WaitForPayloadAsync(InitialVrps, stay.SessionId, stay.Serial, OpenBgpdTimeout);

        uint after = await stay.UpdateAsync(() => RpkiClientJson.Write(file, ChangedVrps), Timeout);

        // Distinct prefixes go from (3, 3) to (3, 4): 192.0.2.128/25 replaces 198.51.100.0/22, 2001:db8:abcd::/48 is new.
        Assert.That(OpenBgpd.ExpectedRoaCounts(ChangedVrps), Is.EqualTo((3, 4)));
        await bgpd.WaitForPayloadAsync(ChangedVrps, stay.SessionId, after, OpenBgpdTimeout);
        Assert.Multiple(() =>
        {
            Assert.That(bgpd.CacheResets, Is.Zero);
            Assert.That(bgpd.Errors, Is.Zero);
            Assert.That(bgpd.ConnectionsOpened, Is.EqualTo(1), "same TCP session");
        });
    }

    [Test]
    public async Task Peers_connect_over_IPv6_loopback()
    {
        string file = _dir.File("vrps.json");
        RpkiClientJson.Write(file, InitialVrps, [RouterKey]);
        var stay = Own(await StayRtr.StartAsync(file, StayOptions with { Address = IPAddress.IPv6Loopback }, Timeout), s => s.Process);

        var bird = Own(await BirdRouter.StartAsync(_dir.Path, IPAddress.IPv6Loopback, stay.Port, timeout: Timeout), b => b.Process);
        var client = Own(RtrClient.Start(IPAddress.IPv6Loopback, stay.Port, _dir.Path), c => c.Process);
        var dump = (await RtrDump.RunAsync(IPAddress.IPv6Loopback, stay.Port, 1, _dir.Path, Timeout)).EnsureComplete();
        await bird.WaitForVrpsAsync(InitialVrps, Timeout);
        await client.WaitForPayloadAsync(InitialVrps, Timeout, [RouterKey]);

        Assert.That(PeerSets.Diff(InitialVrps, dump.Vrps), Is.Empty);
    }

    /// <summary>The waits must fail, with the difference in the message, when a peer holds another set.</summary>
    [Test]
    public async Task Waits_report_the_difference_when_a_peer_holds_another_set()
    {
        var stay = await StartStayRtrAsync(InitialVrps, [RouterKey]);
        var bird = Own(await BirdRouter.StartAsync(_dir.Path, IPAddress.Loopback, stay.Port, timeout: Timeout), b => b.Process);
        var client = Own(RtrClient.Start(IPAddress.Loopback, stay.Port, _dir.Path), c => c.Process);
        await bird.WaitForVrpsAsync(InitialVrps, Timeout);
        await client.WaitForPayloadAsync(InitialVrps, Timeout, [RouterKey]);
        var brief = TimeSpan.FromSeconds(1);

        var birdError = Assert.ThrowsAsync<TimeoutException>(() => bird.WaitForVrpsAsync(ChangedVrps, brief));
        var clientError = Assert.ThrowsAsync<TimeoutException>(() => client.WaitForPayloadAsync(InitialVrps, brief, []));

        Assert.Multiple(() =>
        {
            Assert.That(birdError!.Message, Does.Contain("192.0.2.128/25-25 AS64499").And.Contain("198.51.100.0/22-24 AS64497"));
            Assert.That(clientError!.Message, Does.Contain("unexpected (1)"));
        });
    }

    [Test]
    public async Task RtrDump_reports_a_Cache_Reset_for_an_unknown_serial()
    {
        var stay = await StartStayRtrAsync(InitialVrps, []);

        var dump = await RtrDump.RunAsync(IPAddress.Loopback, stay.Port, 1, _dir.Path, Timeout, (stay.SessionId, stay.Serial + 100));

        Assert.Multiple(() =>
        {
            Assert.That(dump.EndOfData, Is.Null);
            Assert.That(dump.ReceivedPdus, Does.Contain("PDU Cache Reset v1"));
            Assert.That(() => dump.EnsureComplete(), Throws.InvalidOperationException);
        });
    }

    /// <summary>Short timers so routers poll often; expire must stay ≥ 600 for BIRD and OpenBGPD.</summary>
    private static StayRtrOptions StayOptions { get; } = new() { RtrRefresh = 5, RtrRetry = 2, RtrExpire = 600 };

    private async Task<StayRtr> StartStayRtrAsync(IEnumerable<PeerVrp> vrps, IEnumerable<PeerRouterKey> keys)
    {
        string file = _dir.File("vrps.json");
        RpkiClientJson.Write(file, vrps, keys);
        return Own(await StayRtr.StartAsync(file, StayOptions, Timeout), s => s.Process);
    }

    private T Own<T>(T peer, Func<T, PeerProcess> process)
        where T : IAsyncDisposable
    {
        _owned.Add(peer);
        _processes.Add(process(peer));
        return peer;
    }
}
