using System.Diagnostics;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using RtrCache.Host.Serving;
using RtrCache.Server.Tests.Support;
using static RtrCache.Server.Tests.Support.Rtr;

namespace RtrCache.Server.Tests;

/// <summary>Admission control, partial-PDU timeout, and Serial Notify timing.</summary>
public sealed class ConnectionTests : ServerTestBase
{
    private const string Refused = "rtrcache_rtr_connections_refused_total";

    // ------------------------------------------------------------------ admission

    /// <summary>
    /// Connects, sends a Reset Query and expects the connection closed without any data. The cache aborts a refused
    /// connection (RST), which may already fail the client's connect.
    /// </summary>
    private static async Task AssertRefusedAsync(TestServer server)
    {
        Testing.RtrTestClient client;
        try
        {
            client = await server.ConnectAsync(2, timeout: TimeSpan.FromSeconds(5));
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode is System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.ConnectionRefused)
        {
            return;
        }
        await TrySendAsync(client, Raw.ResetQuery(2));
        Assert.That(await ReadUntilCloseAsync(client), Is.Empty, "a refused connection is closed without data");
    }

    [Test]
    public async Task AllowList_WithoutLoopback_RefusesTheConnectionWithoutData()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { Allow = [IpPrefix.Parse("10.0.0.0/8"), IpPrefix.Parse("2001:db8::/32")] });
        await AssertRefusedAsync(server);
        Assert.That(await server.MetricAsync(Refused + "{reason=\"NotAllowed\"}"), Is.EqualTo(1));
        Assert.That(await server.MetricAsync("rtrcache_rtr_sessions{version=\"none\"}"), Is.EqualTo(0));
    }

    [Test]
    public async Task AllowList_WithLoopback_Admits()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { Allow = [IpPrefix.Parse("10.0.0.0/8"), IpPrefix.Parse("127.0.0.0/8")] });
        var client = await server.SyncedClientAsync(2);
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));
        Assert.That(await server.MetricAsync(Refused + "{reason=\"NotAllowed\"}"), Is.EqualTo(0));
    }

    [Test]
    public async Task MaxConnectionsPerAddress_RefusesTheThird_AndAdmitsAgainAfterOneLeaves()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { MaxConnectionsPerAddress = 2 });
        var first = await server.SyncedClientAsync(2);
        var second = await server.SyncedClientAsync(1);

        await AssertRefusedAsync(server);
        Assert.That(await server.MetricAsync(Refused + "{reason=\"TooManyFromAddress\"}"), Is.EqualTo(1));

        // The two admitted sessions are unaffected.
        Assert.That((await first.SerialAsync()).First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That((await second.SerialAsync()).First.Type, Is.EqualTo(PduType.CacheResponse));

        await first.DisposeAsync();
        await TestServer.WaitUntilAsync(async () => await server.MetricAsync("rtrcache_rtr_sessions{version=\"2\"}") == 0, "the first session to end");
        var fourth = await server.SyncedClientAsync(2);
        Assert.That(fourth.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));
    }

    [Test]
    public async Task MaxConnections_RefusesBeyondTheTotal()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { MaxConnections = 1 });
        _ = await server.SyncedClientAsync(2);

        await AssertRefusedAsync(server);
        Assert.That(await server.MetricAsync(Refused + "{reason=\"TooManyConnections\"}"), Is.EqualTo(1));
    }

    // ------------------------------------------------------------------ partial PDUs

    private static ServeSettings ShortPduTimeout(ServeSettings s) => s with { PduTimeout = TimeSpan.FromMilliseconds(500) };

    [Test]
    public async Task PartialHeader_ThenSilence_IsDisconnectedAfterThePartialPduTimeout()
    {
        var server = await StartServerAsync(Samples.Basic, ShortPduTimeout);
        var client = await server.ConnectAsync(2, timeout: TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();

        await client.SendRawAsync(Raw.ResetQuery(2).AsMemory(0, 3));

        Assert.That(await ReadUntilCloseAsync(client), Is.Empty, "dropped without an Error Report");
        Assert.That(watch.Elapsed, Is.GreaterThan(TimeSpan.FromMilliseconds(300)), "not before the timeout");
    }

    [Test]
    public async Task PartialSecondPdu_AfterAnsweredQuery_IsDisconnected()
    {
        var server = await StartServerAsync(Samples.Basic, ShortPduTimeout);
        var client = await server.ConnectAsync(2, timeout: TimeSpan.FromSeconds(5));

        await client.SendRawAsync(Raw.Concat(Raw.ResetQuery(2), Raw.ResetQuery(2).AsSpan(0, 5).ToArray()));
        var answer = await client.ReadResponseAsync(applyAsReset: true);
        Assert.That(answer.EndOfData, Is.Not.Null);

        Assert.That(await ReadUntilCloseAsync(client), Is.Empty);
    }

    [Test]
    public async Task IdleSession_WithNothingBuffered_IsNotDisconnected()
    {
        var server = await StartServerAsync(Samples.Basic, ShortPduTimeout);
        var client = await server.SyncedClientAsync(2);
        await Task.Delay(1200);
        var again = await client.SerialAsync();
        Assert.That(again.First.Type, Is.EqualTo(PduType.CacheResponse), "an idle session outlives the partial-PDU timeout");
    }

    /// <summary>
    /// ServeSettings.PduTimeout (--pdu-timeout): "How long a router may leave a started PDU unfinished before its
    /// session is dropped (slowloris)". The clock runs from the PDU's first byte, so a router that trickles one byte
    /// just under the timeout cannot keep an unfinished PDU (up to a 65,535-byte Error Report) open indefinitely.
    /// </summary>
    [Test]
    public async Task TrickledPdu_OlderThanThePartialPduTimeout_IsDisconnected()
    {
        var server = await StartServerAsync(Samples.Basic, ShortPduTimeout);
        var client = await server.ConnectAsync(2, timeout: TimeSpan.FromSeconds(5));
        var query = Raw.ResetQuery(2);
        for (int i = 0; i < query.Length; i++)
        {
            await TrySendAsync(client, query.AsSpan(i, 1).ToArray());
            await Task.Delay(250);
        }
        // 8 bytes over ~2 s: the PDU sat unfinished for four times the timeout.
        Assert.That(await ReadUntilCloseAsync(client), Is.Empty);
    }

    [Test]
    public async Task RouterThatStopsReading_IsDroppedAfterTheWriteStallTimeout()
    {
        var roas = new List<Roa>(200_000);
        for (int i = 0; i < 200_000; i++) roas.Add(new Roa(64496, $"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}/32", 32));
        var server = await StartServerAsync(new TestPayload(roas), s => s with { WriteStallTimeout = TimeSpan.FromSeconds(2) });

        // A router with a tiny receive window that asks for 4 MB and never reads.
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
        {
            ReceiveBufferSize = 4096,
        };
        await socket.ConnectAsync(server.Rtr);
        await socket.SendAsync(Raw.ResetQuery(2));
        await TestServer.WaitUntilAsync(async () => await server.MetricAsync("rtrcache_rtr_sessions{version=\"2\"}") == 1, "the session to negotiate");
        await TestServer.WaitUntilAsync(async () => await server.MetricAsync("rtrcache_rtr_sessions{version=\"2\"}") == 0,
            "the stalled session to be dropped", TimeSpan.FromSeconds(15));

        // Others are served meanwhile and afterwards.
        var good = await server.SyncedClientAsync(0);
        Assert.That(good.Model.Vrps, Has.Count.EqualTo(200_000));
    }

    // ------------------------------------------------------------------ Serial Notify

    [Test]
    public async Task SerialNotify_IsNotSentBeforeNegotiation()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(2);
        uint serial = await server.WaitReadyAsync();

        server.WriteJson(Samples.Basic.With(roas: Samples.Basic.Roas.Skip(1)));
        await server.WaitForSerialAsync(serial + 1);
        await Task.Delay(300);

        await client.SendResetQueryAsync();
        var (first, _, eod) = await ReadRawResponseAsync(client);
        Assert.That(first.Type, Is.EqualTo(PduType.CacheResponse), "no Serial Notify may reach a session that has not negotiated");
        Assert.That(eod!.Value.Serial.Value, Is.EqualTo(serial + 1));
    }

    [Test]
    public async Task SerialNotify_IsRateLimitedPerSession()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { NotifyInterval = TimeSpan.FromSeconds(2) });
        var client = await server.SyncedClientAsync(2);
        uint serial = client.Serial!.Value.Value;

        server.WriteJson(Samples.Basic.With(roas: Samples.Basic.Roas.Skip(1)));
        var first = (await client.ReadPduAsync())!.Value;
        var sinceFirst = Stopwatch.StartNew();
        Assert.That((first.Type, first.Serial.Value), Is.EqualTo((PduType.SerialNotify, serial + 1)), "the first notify is not held back");

        server.WriteJson(Samples.Basic.With(roas: Samples.Basic.Roas.Skip(2)));
        var pending = client.ReadPduAsync();
        var winner = await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(1)));
        Assert.That(winner, Is.Not.SameAs(pending), "a second Serial Notify within 1 s of the first (interval 2 s)");

        var second = (await pending)!.Value;
        Assert.That((second.Type, second.Serial.Value), Is.EqualTo((PduType.SerialNotify, serial + 2)));
        Assert.That(sinceFirst.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the held-back notify is sent once the interval is over");
    }

    [Test]
    public async Task SerialNotify_HeldBack_IsDroppedWhenTheRouterCatchesUpMeanwhile()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { NotifyInterval = TimeSpan.FromSeconds(2) });
        var client = await server.SyncedClientAsync(2);
        uint serial = client.Serial!.Value.Value;

        server.WriteJson(Samples.Basic.With(roas: Samples.Basic.Roas.Skip(1)));
        var first = (await client.ReadPduAsync())!.Value;
        Assert.That(first.Type, Is.EqualTo(PduType.SerialNotify));

        server.WriteJson(Samples.Basic.With(roas: Samples.Basic.Roas.Skip(2)));
        await server.WaitForSerialAsync(serial + 2);
        var caughtUp = await client.SerialAsync();
        Assert.That(caughtUp.EndOfData!.Value.Serial.Value, Is.EqualTo(serial + 2));

        // The router holds the newest serial: the held-back notify must not come.
        var pending = client.ReadPduAsync();
        var winner = await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(2.5)));
        Assert.That(winner, Is.Not.SameAs(pending), $"unexpected PDU after catching up: {(pending.IsCompletedSuccessfully ? pending.Result : null)}");

        // The next change is notified (the interval since the last notify is over).
        server.WriteJson(Samples.Basic.With(roas: Samples.Basic.Roas.Skip(3)));
        var next = (await pending)!.Value;
        Assert.That((next.Type, next.Serial.Value), Is.EqualTo((PduType.SerialNotify, serial + 3)));
    }
}
