using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using RtrCache.Testing;
using static RtrCache.Server.Tests.Support.Rtr;

namespace RtrCache.Server.Tests;

/// <summary>Input changes → Serial Notify → Serial Query → net delta; Cache Reset and Session ID rules (8210bis §5.1, §5.3, §8, §10).</summary>
public sealed class IncrementalTests : ServerTestBase
{
    private static readonly Roa Kept4 = new(64496, "192.0.2.0/24", 24);
    private static readonly Roa Removed4 = new(64497, "198.51.100.0/24", 24);
    private static readonly Roa Added4 = new(64498, "203.0.113.0/24", 24);
    private static readonly Roa V6Before = new(64496, "2001:db8::/32", 48);
    private static readonly Roa V6After = new(64496, "2001:db8::/32", 56);

    private static readonly TestPayload Before = new(
        [Kept4, Removed4, V6Before],
        [new AspaEntry(64496, 64497, 64498), new AspaEntry(64500, 64501)],
        [Samples.Key1]);

    /// <summary>Added VRP, removed VRP, changed maxLength, changed ASPA provider set, removed ASPA customer, added router key.</summary>
    private static readonly TestPayload After = new(
        [Kept4, Added4, V6After],
        [new AspaEntry(64496, 64497, 64499)],
        [Samples.Key1, Samples.Key2]);

    private static async Task<RtrPdu> ReadNotifyAsync(RtrTestClient client)
    {
        var pdu = await client.ReadPduAsync() ?? throw new EndOfStreamException("closed while waiting for Serial Notify");
        Assert.That(pdu.Type, Is.EqualTo(PduType.SerialNotify), $"expected Serial Notify, got {pdu}");
        Assert.That(pdu.Length, Is.EqualTo(12));
        return pdu;
    }

    [Test]
    public async Task InputChange_NotifiesV2AndV1Sessions_AndSerialQueryGetsExactNetDelta()
    {
        var server = await StartServerAsync(Before);
        var v2 = await server.SyncedClientAsync(2);
        var v1 = await server.SyncedClientAsync(1);
        uint serial = v2.Serial!.Value.Value;

        server.WriteJson(After);

        var n2 = await ReadNotifyAsync(v2);
        Assert.That((n2.Version, n2.SessionId, n2.Serial.Value), Is.EqualTo(((byte)2, v2.Session!.Value, serial + 1)));
        var n1 = await ReadNotifyAsync(v1);
        Assert.That((n1.Version, n1.SessionId, n1.Serial.Value), Is.EqualTo(((byte)1, v1.Session!.Value, serial + 1)));
        // Both notifies are timed from the publication: the fan-out time is on /metrics.
        await TestServer.WaitUntilAsync(async () => await server.MetricAsync("rtrcache_rtr_notify_delay_seconds_count") == 2, "both notify delays to be observed");
        Assert.That(await server.MetricAsync("rtrcache_rtr_notify_delay_seconds_sum"), Is.GreaterThan(0).And.LessThan(60));

        var r2 = await v2.SerialAsync();
        Assert.That(r2.First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(r2.First.SessionId, Is.EqualTo(v2.Session));
        Assert.That(Describe(r2.Payload), Is.EqualTo(new[]
        {
            Describe(Added4.ToVrp(), true),
            Describe(Removed4.ToVrp(), false),
            Describe(V6After.ToVrp(), true),
            Describe(V6Before.ToVrp(), false),
            Describe(Samples.Key2.ToRouterKey(), true),
            AspaAnnounce(64496, 64497, 64499), // one announcement with the full new set, no withdrawal first
            AspaWithdraw(64500),               // 12-byte withdrawal
        }));
        Assert.That(r2.EndOfData!.Value.Serial.Value, Is.EqualTo(serial + 1));
        Assert.That(r2.EndOfData!.Value.Timers, Is.EqualTo(TestServer.TestTimers));
        Assert.That(v2.Model.ToPayloadSet(), Is.EqualTo(After.Expected(2)));

        var r1 = await v1.SerialAsync();
        Assert.That(Describe(r1.Payload), Is.EqualTo(new[]
        {
            Describe(Added4.ToVrp(), true),
            Describe(Removed4.ToVrp(), false),
            Describe(V6After.ToVrp(), true),
            Describe(V6Before.ToVrp(), false),
            Describe(Samples.Key2.ToRouterKey(), true),
        }));
        Assert.That(r1.EndOfData!.Value.Serial.Value, Is.EqualTo(serial + 1));
        Assert.That(v1.Model.ToPayloadSet(), Is.EqualTo(After.Expected(1)));

        // Up to date: an empty delta with the same serial.
        var again = await v2.SerialAsync();
        Assert.That(again.First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(again.Payload, Is.Empty);
        Assert.That(again.EndOfData!.Value.Serial.Value, Is.EqualTo(serial + 1));
    }

    [Test]
    public async Task V0Session_IsNotifiedAndGetsPrefixDeltaOnly()
    {
        var server = await StartServerAsync(Before);
        var v0 = await server.SyncedClientAsync(0);
        uint serial = v0.Serial!.Value.Value;

        server.WriteJson(After);
        var n0 = await ReadNotifyAsync(v0);
        Assert.That((n0.Version, n0.SessionId, n0.Serial.Value), Is.EqualTo(((byte)0, v0.Session!.Value, serial + 1)));
        var r0 = await v0.SerialAsync();
        Assert.That(r0.Payload.All(p => p.Type is PduType.Ipv4Prefix or PduType.Ipv6Prefix), Is.True);
        Assert.That(r0.EndOfData!.Value.Length, Is.EqualTo(12));
        Assert.That(v0.Model.ToPayloadSet(), Is.EqualTo(After.Expected(0)));
    }

    [Test]
    public async Task SeveralUpdates_SerialQueryFromOldestSerial_GetsNetDelta()
    {
        var a = new TestPayload([Kept4, Removed4], [new AspaEntry(64496, 64497, 64498)]);
        var b = a.With(roas: [Kept4, Removed4, Added4], aspas: [new AspaEntry(64496, 64497, 64499)]);
        var c = b.With(roas: [Kept4, Added4], aspas: [new AspaEntry(64496, 64497, 64499), new AspaEntry(64510, 64511)]);
        var d = c.With(roas: [Kept4], aspas: [new AspaEntry(64496, 64497, 64498), new AspaEntry(64510, 64511)]);

        var server = await StartServerAsync(a);
        var client = await server.SyncedClientAsync(2);
        uint s0 = client.Serial!.Value.Value;
        var session = client.Session!.Value;
        server.WriteJson(b);
        await server.WaitForSerialAsync(s0 + 1);
        server.WriteJson(c);
        await server.WaitForSerialAsync(s0 + 2);
        server.WriteJson(d);
        await server.WaitForSerialAsync(s0 + 3);

        // A→D: Added4 came and went, AS64496's providers changed and changed back; neither may appear.
        var fromOldest = await client.SerialAsync();
        Assert.That(Describe(fromOldest.Payload), Is.EqualTo(new[]
        {
            Describe(Removed4.ToVrp(), false),
            AspaAnnounce(64510, 64511),
        }));
        Assert.That(fromOldest.EndOfData!.Value.Serial.Value, Is.EqualTo(s0 + 3));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(d.Expected(2)));

        // B→D, from a serial in the middle of the history (raw: this client holds nothing).
        var other = await server.ConnectAsync(2);
        await other.SendSerialQueryAsync(session, s0 + 1);
        var (first, payload, eod) = await ReadRawResponseAsync(other);
        Assert.That(first.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(Describe(payload), Is.EqualTo(new[]
        {
            Describe(Removed4.ToVrp(), false),
            Describe(Added4.ToVrp(), false),
            AspaAnnounce(64496, 64497, 64498),
            AspaAnnounce(64510, 64511),
        }));
        Assert.That(eod!.Value.Serial.Value, Is.EqualTo(s0 + 3));
    }

    [Test]
    public async Task SerialQuery_FromTheFuture_GetsCacheReset_AndTheConnectionGoesOn()
    {
        var server = await StartServerAsync(Before);
        var client = await server.SyncedClientAsync(2);
        uint serial = client.Serial!.Value.Value;

        await client.SendSerialQueryAsync(client.Session!.Value, serial + 5);
        var (first, _, _) = await ReadRawResponseAsync(client);
        Assert.That(first.Type, Is.EqualTo(PduType.CacheReset));
        Assert.That((first.Version, first.Length, first.HeaderField), Is.EqualTo(((byte)2, 8, (ushort)0)));

        var reset = await client.ResetAsync();
        Assert.That(reset.First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Before.Expected(2)));
    }

    [Test]
    public async Task SerialQuery_OlderThanHistory_GetsCacheReset()
    {
        var c = After.With(roas: [Kept4]);
        var server = await StartServerAsync(Before, s => s with { History = 1 });
        var client = await server.SyncedClientAsync(2);
        uint s0 = client.Serial!.Value.Value;
        var session = client.Session!.Value;
        server.WriteJson(After);
        await server.WaitForSerialAsync(s0 + 1);
        server.WriteJson(c);
        await server.WaitForSerialAsync(s0 + 2);

        var router = await server.ConnectAsync(2);
        await router.SendSerialQueryAsync(session, s0);
        var (tooOld, _, _) = await ReadRawResponseAsync(router);
        Assert.That(tooOld.Type, Is.EqualTo(PduType.CacheReset), "serial s0 fell out of a one-serial history");

        await router.SendSerialQueryAsync(session, s0 + 1);
        var (kept, payload, eod) = await ReadRawResponseAsync(router);
        Assert.That(kept.Type, Is.EqualTo(PduType.CacheResponse), "serial s0+1 is still in the history");
        Assert.That(Describe(payload), Is.EqualTo(new[] { Describe(Added4.ToVrp(), false), Describe(V6After.ToVrp(), false) }));
        Assert.That(eod!.Value.Serial.Value, Is.EqualTo(s0 + 2));

        var resetAtOld = await client.SerialAsync();
        Assert.That(resetAtOld.IsCacheReset, Is.True);
    }

    [Test]
    public async Task SerialQuery_UnknownSessionOnNewConnection_GetsCacheReset()
    {
        var server = await StartServerAsync(Before);
        var synced = await server.SyncedClientAsync(2);
        ushort unknown = unchecked((ushort)(synced.Session!.Value.Value + 1));

        var client = await server.ConnectAsync(2);
        await client.SendSerialQueryAsync(new(unknown), synced.Serial!.Value);
        var (first, _, _) = await ReadRawResponseAsync(client);
        Assert.That(first.Type, Is.EqualTo(PduType.CacheReset), "8210bis §5.3: unknown session on a new connection ⇒ Cache Reset, not an error");

        var reset = await client.ResetAsync();
        Assert.That(reset.First.Type, Is.EqualTo(PduType.CacheResponse));
    }

    [Test]
    public async Task SerialQuery_WithSessionOtherThanTheOneThisConnectionGot_IsCorruptData_AndCloses()
    {
        var server = await StartServerAsync(Before);
        var client = await server.SyncedClientAsync(2);
        ushort other = unchecked((ushort)(client.Session!.Value.Value + 1));
        var query = Raw.SerialQuery(2, other, client.Serial!.Value.Value);

        await client.SendRawAsync(query);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), string.Join("; ", pdus));
        AssertErrorReport(pdus[0], 2, ErrorCode.CorruptData, query);
    }

    [Test]
    public async Task ContentOnlyRewrite_DoesNotMakeANewSerial()
    {
        var server = await StartServerAsync(Before);
        var client = await server.SyncedClientAsync(2);
        uint serial = client.Serial!.Value.Value;
        double loaded = await server.MetricAsync("rtrcache_input_reloads_total{result=\"loaded\"}");

        // Same payload, different bytes (entries reordered).
        server.WriteJson(new TestPayload(Before.Roas.Reverse(), Before.Aspas.Reverse(), Before.Keys));
        await server.WaitForMetricAboveAsync("rtrcache_input_reloads_total{result=\"loaded\"}", loaded);
        await Task.Delay(300); // the round that loaded it also decides about the serial; let it finish

        await client.SendSerialQueryAsync(client.Session!.Value, serial);
        var (first, payload, eod) = await ReadRawResponseAsync(client);
        Assert.That(first.Type, Is.EqualTo(PduType.CacheResponse), "no Serial Notify for an unchanged payload");
        Assert.That(payload, Is.Empty);
        Assert.That(eod!.Value.Serial.Value, Is.EqualTo(serial));
    }
}
