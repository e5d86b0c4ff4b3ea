using System.Buffers.Binary;
using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using static RtrCache.Server.Tests.Support.Rtr;

namespace RtrCache.Server.Tests;

/// <summary>What the cache does with PDUs a router must not send (8210bis §5.11, §8; spec §3.10, §8 items 4–5).</summary>
public sealed class BadInputTests : ServerTestBase
{
    /// <summary>A bad PDU and the Error Report it must draw (null code: no answer at all).</summary>
    public sealed record BadPdu(string Name, byte[] Bytes, ErrorCode? Code, byte ErrorVersion, bool ExactEncapsulation)
    {
        public override string ToString() => Name;
    }

    private static byte[] Ipv4Prefix(byte version)
    {
        var b = new byte[20];
        Raw.Header(version, 4, 0, 20).CopyTo(b, 0);
        b[8] = 1; b[9] = 24; b[10] = 24;
        b[12] = 192; b[13] = 0; b[14] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), 64496);
        return b;
    }

    private static byte[] EndOfData(byte version)
    {
        var b = new byte[24];
        Raw.Header(version, 7, 0x1234, 24).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(12), 3600);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), 600);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), 7200);
        return b;
    }

    public static IEnumerable<BadPdu> Answered()
    {
        yield return new("unknown type 5", Raw.Header(2, 5, 0, 8), ErrorCode.UnsupportedPduType, 2, true);
        yield return new("unknown type 12", Raw.Header(2, 12, 0, 8), ErrorCode.UnsupportedPduType, 2, true);
        yield return new("unknown type 255 (v1)", Raw.Header(1, 255, 0, 8), ErrorCode.UnsupportedPduType, 1, true);
        yield return new("Router Key type in v0", Raw.Header(0, 9, 0, 8), ErrorCode.UnsupportedPduType, 0, true);
        yield return new("ASPA type in v1", Raw.Header(1, 11, 0, 12), ErrorCode.UnsupportedPduType, 1, false);
        yield return new("Cache Response from the router", Raw.Header(2, 3, 0x1234, 8), ErrorCode.InvalidRequest, 2, true);
        yield return new("IPv4 Prefix from the router", Ipv4Prefix(2), ErrorCode.InvalidRequest, 2, false);
        yield return new("Serial Notify from the router", Raw.Concat(Raw.Header(1, 0, 0x1234, 12), [0, 0, 0, 7]), ErrorCode.InvalidRequest, 1, false);
        yield return new("Cache Reset from the router", Raw.Header(2, 8, 0, 8), ErrorCode.InvalidRequest, 2, true);
        yield return new("End of Data from the router", EndOfData(2), ErrorCode.InvalidRequest, 2, false);
        yield return new("Reset Query of length 12", Raw.Concat(Raw.Header(2, 2, 0, 12), [0, 0, 0, 0]), ErrorCode.CorruptData, 2, false);
        yield return new("Serial Query of length 8", Raw.Header(2, 1, 0x1234, 8), ErrorCode.CorruptData, 2, true);
        yield return new("length below the header", Raw.Header(2, 2, 0, 4), ErrorCode.CorruptData, 2, false);
    }

    public static IEnumerable<BadPdu> Unanswered()
    {
        var query = Raw.ResetQuery(2);
        yield return new("well-formed Error Report", Raw.ErrorReport(2, ErrorCode.InternalError, query, "router trouble"), null, 0, false);
        yield return new("Error Report code 2 (v1)", Raw.ErrorReport(1, ErrorCode.NoDataAvailable, [], null), null, 0, false);
        var tooLong = Raw.ErrorReport(2, ErrorCode.CorruptData, query, "x");
        BinaryPrimitives.WriteUInt32BigEndian(tooLong.AsSpan(8), 200); // encapsulated length beyond the PDU
        yield return new("Error Report with a bad encapsulated length", tooLong, null, 0, false);
        var badText = Raw.ErrorReport(2, ErrorCode.CorruptData, [], "abc");
        BinaryPrimitives.WriteUInt32BigEndian(badText.AsSpan(12), 2); // text length does not match
        yield return new("Error Report with a bad text length", badText, null, 0, false);
        var badUtf8 = Raw.ErrorReport(2, ErrorCode.CorruptData, [], "ab");
        badUtf8[^1] = 0xFF;
        yield return new("Error Report with invalid UTF-8 text", badUtf8, null, 0, false);
        yield return new("Error Report header with length 65536", Raw.Header(2, 10, 0, 65536), null, 0, false);
        yield return new("Error Report of version 3", Raw.ErrorReport(3, ErrorCode.InternalError, [], null), null, 0, false);
        yield return new("Error Report shorter than 16", Raw.Concat(Raw.Header(2, 10, 0, 12), [0, 0, 0, 0]), null, 0, false);
    }

    [TestCaseSource(nameof(Answered))]
    public async Task BadPdu_GetsTheDefinedErrorReport_AndTheSessionCloses(BadPdu bad)
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(bad.ErrorVersion);

        await client.SendRawAsync(bad.Bytes);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), "exactly one Error Report, then close: " + string.Join("; ", pdus));
        AssertErrorReport(pdus[0], bad.ErrorVersion, bad.Code!.Value, bad.ExactEncapsulation ? bad.Bytes : null);
        AssertEncapsulatesHeaderOf(pdus[0], bad.Bytes);
        Assert.That(await server.MetricAsync($"rtrcache_rtr_error_reports_sent_total{{code=\"{(int)bad.Code!.Value}\"}}"), Is.EqualTo(1));
    }

    [TestCaseSource(nameof(Unanswered))]
    public async Task ErrorReportFromTheRouter_ClosesWithoutAnswer(BadPdu bad)
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(2);

        await client.SendRawAsync(bad.Bytes);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Is.Empty, "never answer an Error Report with an Error Report: " + string.Join("; ", pdus));
        Assert.That(await server.MetricsAsync(), Does.Not.Contain("rtrcache_rtr_error_reports_sent_total{"), "the cache counted an Error Report sent");
    }

    [Test]
    public async Task ErrorReportFromTheRouter_OnAnEstablishedSession_ClosesWithoutAnswer()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.SyncedClientAsync(1);

        await client.SendRawAsync(Raw.ErrorReport(1, ErrorCode.DuplicateAnnouncementReceived, Raw.ResetQuery(1), "dup"));

        Assert.That(await ReadUntilCloseAsync(client), Is.Empty);
        Assert.That(await server.MetricAsync("rtrcache_rtr_error_reports_received_total{code=\"7\"}"), Is.EqualTo(1));
    }

    [Test]
    public async Task LengthAbove65535_IsCorruptDataAtOnce_WithoutWaitingForTheBody()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(2, timeout: TimeSpan.FromSeconds(5));
        var header = Raw.Header(2, 2, 0, 65536);

        await client.SendRawAsync(header);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), string.Join("; ", pdus));
        AssertErrorReport(pdus[0], 2, ErrorCode.CorruptData, header);

        var other = await server.ConnectAsync(1, timeout: TimeSpan.FromSeconds(5));
        var huge = Raw.Header(1, 2, 0, 0xFFFFFFFF);
        await other.SendRawAsync(huge);
        var pdus2 = await ReadUntilCloseAsync(other);
        Assert.That(pdus2, Has.Count.EqualTo(1), string.Join("; ", pdus2));
        AssertErrorReport(pdus2[0], 1, ErrorCode.CorruptData, huge);
    }

    [Test]
    public async Task BadSessions_DoNotDisturbAGoodSessionRunningInParallel()
    {
        var server = await StartServerAsync(Samples.Basic);
        var good = await server.SyncedClientAsync(2);
        uint serial = good.Serial!.Value.Value;

        using var stop = new CancellationTokenSource();
        int rounds = 0;
        var goodLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var r = await good.SerialAsync();
                Assert.That(r.First.Type, Is.EqualTo(PduType.CacheResponse));
                Assert.That(r.Payload, Is.Empty);
                Assert.That(r.EndOfData!.Value.Serial.Value, Is.EqualTo(serial));
                rounds++;
            }
        });

        var bad = Answered().Concat(Unanswered()).ToList();
        await Task.WhenAll(bad.Select(async b =>
        {
            var client = await server.ConnectAsync(b.Code is null ? (byte)2 : b.ErrorVersion);
            await client.SendRawAsync(b.Bytes);
            var pdus = await ReadUntilCloseAsync(client);
            Assert.That(pdus, Has.Count.EqualTo(b.Code is null ? 0 : 1), b.Name);
        }));

        await stop.CancelAsync();
        await goodLoop;
        Assert.That(rounds, Is.GreaterThan(0));

        var reset = await good.ResetAsync();
        Assert.That(reset.First.Type, Is.EqualTo(PduType.CacheResponse));
        Assert.That(good.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));
        Assert.That(await server.MetricAsync("rtrcache_rtr_sessions{version=\"2\"}"), Is.EqualTo(1), "only the good session is left");
    }
}
