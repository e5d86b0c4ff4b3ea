using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using static RtrCache.Server.Tests.Support.Rtr;

namespace RtrCache.Server.Tests;

/// <summary>Version negotiation (8210bis §7, spec §7) against the real host.</summary>
public sealed class VersionNegotiationTests : ServerTestBase
{
    [Test]
    public async Task Version3ResetQuery_GetsError4WithVersion2_EncapsulatingTheQuery()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(3);
        var query = Raw.ResetQuery(3);

        await client.SendRawAsync(query);

        var error = await client.ReadPduAsync();
        Assert.That(error, Is.Not.Null);
        AssertErrorReport(error!.Value, 2, ErrorCode.UnsupportedProtocolVersion, query);
    }

    [Test]
    public async Task Version3ResetQuery_RouterRetriesAtVersion2_GetsData()
    {
        var server = await StartServerAsync(Samples.Basic);
        var first = await server.ConnectAsync(3);
        await first.SendRawAsync(Raw.ResetQuery(3));
        var error = (await first.ReadPduAsync())!.Value;
        Assert.That(error.Type, Is.EqualTo(PduType.ErrorReport));

        var retry = await server.SyncedClientAsync(error.Version);
        Assert.That(retry.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));
    }

    [Test]
    public async Task MaxVersion1_V2ResetQuery_GetsError4WithVersion1_ThenV1Works()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { MaxVersion = 1 });
        var client = await server.ConnectAsync(2);
        var query = Raw.ResetQuery(2);

        await client.SendRawAsync(query);

        var error = await client.ReadPduAsync();
        Assert.That(error, Is.Not.Null);
        AssertErrorReport(error!.Value, 1, ErrorCode.UnsupportedProtocolVersion, query);

        var v1 = await server.SyncedClientAsync(1);
        Assert.That(v1.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(1)));
        var v0 = await server.SyncedClientAsync(0);
        Assert.That(v0.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(0)));
    }

    [Test]
    public async Task MaxVersion0_V1SerialQuery_GetsError4WithVersion0()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { MaxVersion = 0 });
        var client = await server.ConnectAsync(1);
        var query = Raw.SerialQuery(1, 1234, 1);

        await client.SendRawAsync(query);

        var error = await client.ReadPduAsync();
        Assert.That(error, Is.Not.Null);
        AssertErrorReport(error!.Value, 0, ErrorCode.UnsupportedProtocolVersion, query);
    }

    [Test]
    public async Task AfterNegotiatingV1_AV2Query_IsError8_AndCloses()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.SyncedClientAsync(1);
        var query = Raw.ResetQuery(2);

        await client.SendRawAsync(query);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), string.Join("; ", pdus));
        AssertErrorReport(pdus[0], 1, ErrorCode.UnexpectedProtocolVersion, query);
    }

    [Test]
    public async Task AfterNegotiatingV2_AV1SerialQuery_IsError8_AndCloses()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.SyncedClientAsync(2);
        var query = Raw.SerialQuery(1, client.Session!.Value.Value, client.Serial!.Value.Value);

        await client.SendRawAsync(query);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), string.Join("; ", pdus));
        AssertErrorReport(pdus[0], 2, ErrorCode.UnexpectedProtocolVersion, query);
    }

    [Test]
    public async Task AfterNegotiatingV0_AV1Query_IsAnErrorCodeV0Defines_AndCloses()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.SyncedClientAsync(0);
        var query = Raw.ResetQuery(1);

        await client.SendRawAsync(query);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), string.Join("; ", pdus));
        // Code 8 does not exist in RFC 6810; the catch-all Corrupt Data is the code a v0 router understands.
        AssertErrorReport(pdus[0], 0, ErrorCode.CorruptData, query);
    }

    [Test]
    public async Task NegotiationHappensOnTheFirstAnsweredQuery_ACacheResetFixesTheVersionToo()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.ConnectAsync(1);
        await client.SendSerialQueryAsync(new(4321), 99); // unknown session: Cache Reset at v1
        var (reset, _, _) = await ReadRawResponseAsync(client);
        Assert.That((reset.Type, reset.Version), Is.EqualTo((PduType.CacheReset, (byte)1)));

        var query = Raw.ResetQuery(2);
        await client.SendRawAsync(query);
        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), string.Join("; ", pdus));
        AssertErrorReport(pdus[0], 1, ErrorCode.UnexpectedProtocolVersion, query);
    }

    /// <summary>
    /// Spec §7 "After negotiation: a PDU from the router with a different version ⇒ drop the session, sending
    /// Error 8" — also when that version is one we do not speak at all (Error 4 is for negotiation only).
    /// </summary>
    [Test]
    public async Task AfterNegotiatingV1_AVersion3Query_IsError8()
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.SyncedClientAsync(1);
        var query = Raw.ResetQuery(3);

        await client.SendRawAsync(query);

        var pdus = await ReadUntilCloseAsync(client);
        Assert.That(pdus, Has.Count.EqualTo(1), string.Join("; ", pdus));
        AssertErrorReport(pdus[0], 1, ErrorCode.UnexpectedProtocolVersion, query);
    }
}
