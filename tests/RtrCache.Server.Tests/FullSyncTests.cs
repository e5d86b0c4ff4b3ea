using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using static RtrCache.Server.Tests.Support.Rtr;

namespace RtrCache.Server.Tests;

/// <summary>Reset Query at each version against the real host: full sync, per-version payload filter, End of Data.</summary>
public sealed class FullSyncTests : ServerTestBase
{
    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public async Task ResetQuery_FullSync_ModelEqualsServedSetForVersion(byte version)
    {
        var server = await StartServerAsync(Samples.Basic);
        uint serial = await server.WaitReadyAsync();
        var client = await server.ConnectAsync(version);

        var result = await client.ResetAsync();

        Assert.That(result.First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(result.First.Version, Is.EqualTo(version));
        Assert.That(result.First.Length, Is.EqualTo(8));
        Assert.That(result.Payload.All(p => p.Announce), Is.True, "a Reset Query answer holds announcements only");
        AssertCanonicalOrder(result.Payload);
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(version)),
            $"served: {client.Model.ToPayloadSet()}, expected {Samples.Basic.Expected(version)}");

        var eod = result.EndOfData!.Value;
        Assert.That(eod.Version, Is.EqualTo(version));
        Assert.That(eod.Serial.Value, Is.EqualTo(serial));
        Assert.That(eod.SessionId, Is.EqualTo(result.First.SessionId));
        if (version == 0)
        {
            Assert.That(eod.Length, Is.EqualTo(12), "v0 End of Data is 12 bytes");
            Assert.That(eod.Timers, Is.Null);
            Assert.That(result.Payload.Any(p => p.Type is PduType.RouterKey or PduType.Aspa), Is.False, "v0 gets only prefixes");
        }
        else
        {
            Assert.That(eod.Length, Is.EqualTo(24));
            Assert.That(eod.Timers, Is.EqualTo(TestServer.TestTimers), "End of Data timers are the configured ones");
            Assert.That(result.Payload.Count(p => p.Type == PduType.RouterKey), Is.EqualTo(1), "v1/v2 get router keys");
            Assert.That(result.Payload.Count(p => p.Type == PduType.Aspa), Is.EqualTo(version == 2 ? 2 : 0), "ASPA only for v2");
        }
    }

    [Test]
    public async Task SessionIds_DifferPerVersion_AndAreStableAcrossConnections()
    {
        var server = await StartServerAsync(Samples.Basic);
        var sessions = new SessionId[3];
        for (byte v = 0; v <= 2; v++)
        {
            var client = await server.SyncedClientAsync(v);
            sessions[v] = client.Session!.Value;
        }
        Assert.That(sessions.Distinct().Count(), Is.EqualTo(3), $"session IDs v0/v1/v2: {string.Join(", ", sessions)}");

        var again = await server.SyncedClientAsync(2);
        Assert.That(again.Session, Is.EqualTo(sessions[2]), "a second v2 connection gets the same session");
    }

    [Test]
    public async Task ResetQuery_RepeatedOnOneConnection_GivesTheSameFullSet()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.SyncedClientAsync(2);
        var first = client.Model.ToPayloadSet();
        var second = await client.ResetAsync();
        Assert.That(second.First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(first));
    }

    [Test]
    public async Task ResetQuery_WithNonZeroReservedField_IsAnswered()
    {
        // 8210bis §5: fields marked zero MUST be ignored on receipt.
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(2);
        await client.SendRawAsync(Raw.Header(2, 2, 0xBEEF, 8));
        var result = await client.ReadResponseAsync(applyAsReset: true);
        Assert.That(result.First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));
    }

    [Test]
    public async Task SeveralQueriesInOneSegment_AreAllAnswered()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(1);
        await client.SendRawAsync(Raw.Concat(Raw.ResetQuery(1), Raw.ResetQuery(1)));
        var a = await client.ReadResponseAsync(applyAsReset: true);
        var b = await client.ReadResponseAsync(applyAsReset: true);
        Assert.That(a.EndOfData, Is.Not.Null);
        Assert.That(b.EndOfData, Is.Not.Null);
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(1)));
    }

    [Test]
    public async Task LargeSet_50000Vrps_FullSyncOverV1_ArrivesComplete()
    {
        var roas = new List<Roa>(50_000);
        for (int i = 0; i < 50_000; i++)
            roas.Add(new Roa((uint)(64496 + i % 1000), $"10.{i >> 8}.{i & 255}.0/24", 24 + i % 3));
        var payload = new TestPayload(roas, [new AspaEntry(64496, 64497)], [Samples.Key1]);
        var server = await StartServerAsync(payload);
        var client = await server.ConnectAsync(1, timeout: TimeSpan.FromSeconds(30));

        var result = await client.ResetAsync();

        Assert.That(result.EndOfData, Is.Not.Null);
        Assert.That(result.Payload, Has.Count.EqualTo(50_001));
        Assert.That(client.Model.Vrps, Has.Count.EqualTo(50_000));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(payload.Expected(1)));
        Assert.That(TestServer.Metric(await server.MetricsAsync(), "rtrcache_payload_vrps{family=\"ipv4\"}"), Is.EqualTo(50_000));
    }
}
