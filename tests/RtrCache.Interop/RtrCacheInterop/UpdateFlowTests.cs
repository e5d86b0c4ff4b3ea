using System.Net;
using RtrCache.Interop.Peers;

namespace RtrCache.Interop.RtrCacheInterop;

/// <summary>
/// The input file changes while BIRD, rtrclient and OpenBGPD are connected to our server: each change must
/// become exactly one new serial (+1), reach the routers through Serial Notify, and be applied incrementally
/// (Serial Query, no Cache Reset, same TCP session). A broken file must change nothing the routers see, and a
/// restart of our server (new session IDs) must bring them back through Cache Reset and Reset Query.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class UpdateFlowTests : RtrCacheFixture
{
    /// <summary>
    /// Refresh 300 s everywhere (End of Data and BIRD's own): no router polls during the test on its own, so every
    /// update it picks up was triggered by our Serial Notify.
    /// </summary>
    private static readonly RtrCacheServerOptions NotifyOnly = new() { Refresh = 300, Retry = 2, Expire = 600 };

    private static readonly BirdOptions BirdNotifyOnly = new() { RefreshSeconds = 300, RetrySeconds = 1, ExpireSeconds = 600 };

    [Test]
    public async Task Routers_follow_successive_changes_incrementally_after_Serial_Notify()
    {
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas, NotifyOnly);
        ushort session = server.SessionIds.V1;
        var bird = await StartBirdAsync(server, BirdNotifyOnly);
        var client = StartRtrClient(server);
        var bgpd = await StartOpenBgpdAsync(server);
        await bird.WaitForVrpsAsync(InteropPayload.Initial, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Initial, Timeout, [InteropPayload.RouterKey]);
        await bgpd.WaitForPayloadAsync(InteropPayload.Initial, session, 1, OpenBgpdTimeout);

        var rounds = new (PeerVrp[] Vrps, PeerAspa[] Aspas, string Delta)[]
        {
            (InteropPayload.Change1, InteropPayload.Change1Aspas, "+3/-2 VRPs, +0/-0 router keys, 1 ASPA changes"),
            (InteropPayload.Change2, InteropPayload.Change2Aspas, "+2/-3 VRPs, +0/-0 router keys, 1 ASPA changes"),
            // Only ASPA: v1 routers get a Serial Notify and an empty delta, and must still move to the new serial.
            (InteropPayload.Change2, InteropPayload.Change3Aspas, "+0/-0 VRPs, +0/-0 router keys, 1 ASPA changes"),
        };
        // Distinct prefixes per family, all OpenBGPD can show: they change in rounds 1 and 2, not in the ASPA-only round 3.
        Assert.That(
            new[] { InteropPayload.Initial, InteropPayload.Change1, InteropPayload.Change2 }.Select(OpenBgpd.ExpectedRoaCounts),
            Is.EqualTo(new[] { (3, 3), (4, 4), (4, 3) }));

        PeerVrp[] previous = InteropPayload.Initial;
        uint serial = 1;
        foreach (var (vrps, aspas, delta) in rounds)
        {
            int birdNotifies = bird.SerialNotifies, clientNotifies = SerialNotifiesSeen(client), bgpdNotifies = bgpd.SerialNotifies;
            int birdSerialQueries = bird.SerialQueries, clientSerialQueries = client.SerialQueries;

            var published = await server.UpdateAsync(() => RpkiClientJson.Write(JsonFile, vrps, [InteropPayload.RouterKey], aspas), Timeout);
            Assert.That(published.Serial, Is.EqualTo(serial + 1), $"one new serial per change: {published}");
            Assert.That(published.Delta, Is.EqualTo(delta), "the server's own account of the change");
            serial = published.Serial;

            await bird.WaitForVrpsAsync(vrps, Timeout);
            await client.WaitForPayloadAsync(vrps, Timeout, [InteropPayload.RouterKey]);
            await Poll.UntilAsync(
                () => Task.FromResult(bird.LastEndOfData?.Serial == serial && client.LastSync?.Serial == serial),
                Timeout,
                () => $"serial {serial} not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");
            await bgpd.WaitForPayloadAsync(vrps, session, serial, OpenBgpdTimeout);
            var status = await bird.GetStatusAsync();

            Assert.Multiple(() =>
            {
                Assert.That(status.IsEstablished, Is.True);
                Assert.That((status.SessionId, status.Serial), Is.EqualTo(((ushort?)session, (uint?)serial)), "BIRD");
                Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(1, session, serial)));
                Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, session, serial)));
                Assert.That(bird.SerialNotifies, Is.GreaterThan(birdNotifies), "Serial Notify reached BIRD");
                Assert.That(SerialNotifiesSeen(client), Is.GreaterThan(clientNotifies), "Serial Notify reached rtrclient");
                Assert.That(bgpd.SerialNotifies, Is.GreaterThan(bgpdNotifies), "Serial Notify reached OpenBGPD");
                Assert.That(bird.SerialQueries, Is.GreaterThan(birdSerialQueries), "BIRD updated by Serial Query");
                Assert.That(client.SerialQueries, Is.GreaterThan(clientSerialQueries), "rtrclient updated by Serial Query");
                Assert.That(bird.ResetQueries, Is.EqualTo(1), "BIRD: only the initial Reset Query");
                Assert.That(bird.CacheResets, Is.Zero, "BIRD got no Cache Reset");
                Assert.That(bird.ErrorReports, Is.Zero);
                Assert.That(client.ResetQueries, Is.EqualTo(1), "rtrclient: only the initial Reset Query");
                Assert.That(client.CacheResets, Is.Zero, "rtrclient got no Cache Reset");
                Assert.That(client.Errors, Is.Zero);
                Assert.That(client.RouterKeys, Is.EquivalentTo(new[] { InteropPayload.RouterKey }));
                Assert.That(bgpd.CacheResets, Is.Zero, "OpenBGPD got no Cache Reset");
                Assert.That(bgpd.Errors, Is.Zero);
                Assert.That(bgpd.ConnectionsOpened, Is.EqualTo(1), "OpenBGPD: same TCP session");
            });

            // rtrdump's Serial Query from the previous serial: the net change, flags ignored by rtrdump.
            var delta1 = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 1, Dir.Path, Timeout, (session, serial - 1))).EnsureComplete();
            Assert.That(PeerSets.Diff(InteropPayload.SymmetricDifference(previous, vrps), delta1.Vrps), Is.Empty,
                $"VRPs in the delta from serial {serial - 1} to {serial}");
            Assert.That(delta1.EndOfData, Is.EqualTo(new PeerSyncState(1, session, serial)));
            previous = vrps;
        }

        // The net delta over all rounds, and a serial the cache never had.
        var net = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 1, Dir.Path, Timeout, (session, 1))).EnsureComplete();
        var future = await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 1, Dir.Path, Timeout, (session, serial + 100));
        Assert.Multiple(() =>
        {
            Assert.That(PeerSets.Diff(InteropPayload.SymmetricDifference(InteropPayload.Initial, InteropPayload.Change2), net.Vrps), Is.Empty,
                "net delta from serial 1");
            Assert.That(net.EndOfData, Is.EqualTo(new PeerSyncState(1, session, serial)));
            Assert.That(future.ReceivedPdus, Does.Contain("PDU Cache Reset v1"), "unknown serial");
            Assert.That(future.EndOfData, Is.Null);
            Assert.That(server.Publications.Select(p => p.Serial), Is.EqualTo(new uint[] { 1, 2, 3, 4 }));
        });
    }

    /// <summary>
    /// A rejected input (an invalid entry, then broken JSON) keeps the old serial and data everywhere; the server
    /// names the file and the entry. A good file afterwards is published as the next serial and applied incrementally.
    /// </summary>
    [Test]
    public async Task A_rejected_input_file_changes_nothing_the_routers_see()
    {
        ServerErrorsExpected = true;
        var options = new RtrCacheServerOptions { Refresh = 2, Retry = 1, Expire = 600 };
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas, options);
        ushort session = server.SessionIds.V1;
        var bird = await StartBirdAsync(server, new BirdOptions { RefreshSeconds = 1 });
        var client = StartRtrClient(server);
        await bird.WaitForVrpsAsync(InteropPayload.Initial, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Initial, Timeout, [InteropPayload.RouterKey]);

        // roas[2] is 198.51.100.0/22 with max length 24; make it 20 (below the prefix length).
        string good = await File.ReadAllTextAsync(JsonFile);
        string badEntry = ReplaceMaxLength(good, "198.51.100.0/22", 24, 20);
        await RejectAsync(badEntry, "roas[2]: max length 20 outside 22..32 for 198.51.100.0/22");

        // Cut in the middle: not JSON at all.
        await RejectAsync(good[..(good.Length / 2)], "JSON syntax error");

        var published = await server.UpdateAsync(
            () => RpkiClientJson.Write(JsonFile, InteropPayload.Change1, [InteropPayload.RouterKey], InteropPayload.Change1Aspas), Timeout);
        await bird.WaitForVrpsAsync(InteropPayload.Change1, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Change1, Timeout, [InteropPayload.RouterKey]);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.Serial == 2 && client.LastSync?.Serial == 2),
            Timeout,
            () => $"serial 2 not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");
        Assert.Multiple(() =>
        {
            Assert.That(published.Serial, Is.EqualTo(2u), "the next good file is the next serial");
            Assert.That(bird.ResetQueries, Is.EqualTo(1));
            Assert.That(bird.CacheResets, Is.Zero);
            Assert.That(client.SawReset, Is.False);
            Assert.That(server.ErrorLines, Has.Count.EqualTo(2), "exactly the two rejections:\n" + string.Join('\n', server.ErrorLines));
        });

        async Task RejectAsync(string content, string expectedError)
        {
            long mark = server.Process.LineCount;
            int birdQueries = bird.SerialQueries, clientQueries = client.SerialQueries;
            string temporary = JsonFile + ".new";
            await File.WriteAllTextAsync(temporary, content);
            File.Move(temporary, JsonFile, overwrite: true);

            var rejected = await server.WaitForLogAsync("Rejected input", Timeout, mark);
            // Both routers poll (refresh 1-2 s) at least twice after the rejection and must still be at serial 1.
            await Poll.UntilAsync(
                () => Task.FromResult(bird.SerialQueries >= birdQueries + 2 && client.SerialQueries >= clientQueries + 2),
                Timeout,
                () => $"routers did not poll: BIRD {bird.SerialQueries - birdQueries}, rtrclient {client.SerialQueries - clientQueries} Serial Queries");
            var status = await bird.GetStatusAsync();
            var vrps = await bird.GetVrpsAsync();
            var ready = await server.GetReadyzAsync();

            Assert.Multiple(() =>
            {
                Assert.That(rejected.Text, Does.Contain(JsonFile), "the log names the file");
                Assert.That(rejected.Text, Does.Contain(expectedError), "the log names the problem");
                Assert.That(rejected.Text, Does.Contain("keeping serial 1"));
                Assert.That(server.Publications.Select(p => p.Serial), Is.EqualTo(new uint[] { 1 }), "no new serial");
                Assert.That(ready, Is.EqualTo((200, "ready: serial 1, 4 IPv4 VRPs, 3 IPv6 VRPs, 1 router keys, 3 ASPAs\n")));
                Assert.That(status.IsEstablished, Is.True, $"BIRD still established: {status}");
                Assert.That((status.SessionId, status.Serial), Is.EqualTo(((ushort?)session, (uint?)1u)));
                Assert.That(PeerSets.Diff(InteropPayload.Initial, vrps), Is.Empty, "BIRD keeps the old set");
                Assert.That(PeerSets.Diff(InteropPayload.Initial, client.Vrps), Is.Empty, "rtrclient keeps the old set");
                Assert.That(client.RouterKeys, Is.EquivalentTo(new[] { InteropPayload.RouterKey }));
                Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, session, 1)));
                Assert.That(bird.ResetQueries, Is.EqualTo(1), "no reset");
                Assert.That(bird.CacheResets, Is.Zero);
                Assert.That(bird.ErrorReports, Is.Zero);
                Assert.That(client.SawReset, Is.False);
                Assert.That(client.Errors, Is.Zero);
            });
        }
    }

    /// <summary>
    /// Our server restarts on the same port with other data: it has new session IDs and starts again at serial 1.
    /// The routers reconnect and ask for their old session and serial; per 8210bis §5.3 a Serial Query for a session
    /// the cache does not know, on a new connection, gets Cache Reset, after which the router resets and holds the new
    /// data under the new session.
    /// </summary>
    [Test]
    public async Task Routers_resync_after_a_server_restart()
    {
        var first = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas);
        var bird = await StartBirdAsync(first, new BirdOptions { RefreshSeconds = 2 });
        var client = StartRtrClient(first);
        await bird.WaitForVrpsAsync(InteropPayload.Initial, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Initial, Timeout, [InteropPayload.RouterKey]);
        await first.UpdateAsync(() => RpkiClientJson.Write(JsonFile, InteropPayload.Change1, [InteropPayload.RouterKey], InteropPayload.Change1Aspas), Timeout);
        await bird.WaitForVrpsAsync(InteropPayload.Change1, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Change1, Timeout, [InteropPayload.RouterKey]);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.Serial == 2 && client.LastSync?.Serial == 2),
            Timeout,
            () => $"serial 2 not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");

        await StopServerAsync(first);
        var second = await StartServerAsync(InteropPayload.Change2, [InteropPayload.RouterKey], InteropPayload.Change2Aspas,
            new RtrCacheServerOptions { Port = first.Port });
        Assume.That(second.SessionIds.V1, Is.Not.EqualTo(first.SessionIds.V1), "random session IDs happened to repeat");

        await bird.WaitForVrpsAsync(InteropPayload.Change2, Timeout);
        await client.WaitForPayloadAsync(InteropPayload.Change2, Timeout, [InteropPayload.RouterKey]);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.SessionId == second.SessionIds.V1 && client.LastSync?.SessionId == second.SessionIds.V1),
            Timeout,
            () => $"new session not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");
        var status = await bird.WaitForEstablishedAsync(Timeout);
        Assert.Multiple(() =>
        {
            Assert.That((status.SessionId, status.Serial), Is.EqualTo(((ushort?)second.SessionIds.V1, (uint?)1u)));
            Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(1, second.SessionIds.V1, 1)));
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, second.SessionIds.V1, 1)));
            // Old session on a new connection: Cache Reset (not an error), then the router's second Reset Query.
            Assert.That((bird.CacheResets, bird.ResetQueries), Is.EqualTo((1, 2)), "BIRD: Cache Reset, Reset Query");
            Assert.That((client.CacheResets, client.ResetQueries), Is.EqualTo((1, 2)), "rtrclient: Cache Reset, Reset Query");
            Assert.That(bird.ErrorReports, Is.Zero, "no Error Report either way (BIRD)");
            // client.Errors also counts the RTR_ERROR_* states of the lost connection; only Error PDUs matter here.
            Assert.That(client.Process.GetText(PeerStream.Stderr), Does.Not.Contain("Error PDU received"), "no Error Report (rtrclient)");
        });
    }

    /// <summary>Rewrites the <c>maxLength</c> of the entry for <paramref name="prefix"/> in an indented rpki-client JSON text.</summary>
    private static string ReplaceMaxLength(string json, string prefix, int from, int to)
    {
        string anchor = $"\"prefix\": \"{prefix}\",";
        int at = json.IndexOf(anchor, StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThan(0), $"{prefix} not in the file");
        string oldText = $"\"maxLength\": {from}";
        int field = json.IndexOf(oldText, at, StringComparison.Ordinal);
        return json[..field] + $"\"maxLength\": {to}" + json[(field + oldText.Length)..];
    }
}
