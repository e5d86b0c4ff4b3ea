using System.Net;
using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using RtrCache.Testing;
using static RtrCache.Server.Tests.Support.Rtr;

namespace RtrCache.Server.Tests;

/// <summary>The update loop as routers see it: no data yet, rejected input files, SLURM.</summary>
public sealed class InputTests : ServerTestBase
{
    private const string JsonRejections = "rtrcache_input_rejections_total{kind=\"json\"}";
    private const string SlurmRejections = "rtrcache_input_rejections_total{kind=\"slurm\"}";

    /// <summary>Serial Query for the held serial; asserts the answer is an empty Cache Response with that serial (no Notify before it).</summary>
    private static async Task AssertUnchangedAsync(RtrTestClient client)
    {
        await client.SendSerialQueryAsync(client.Session!.Value, client.Serial!.Value);
        var (first, payload, eod) = await ReadRawResponseAsync(client);
        Assert.That(first.Type, Is.EqualTo(PduType.CacheResponse), $"expected an empty Cache Response (and no Serial Notify), got {first}");
        Assert.That(Describe(payload), Is.Empty);
        Assert.That(eod!.Value.Serial, Is.EqualTo(client.Serial));
    }

    [Test]
    public async Task NoInputYet_QueriesGetError2_ConnectionStaysOpen_ThenDataOnceTheFileAppears()
    {
        var server = await StartServerAsync(initial: null);
        Assert.That((await server.GetAsync("readyz")).Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That((await server.GetAsync("healthz")).Status, Is.EqualTo(HttpStatusCode.OK));
        var client = await server.ConnectAsync(2);

        var reset = Raw.ResetQuery(2);
        await client.SendRawAsync(reset);
        var e1 = await client.ReadPduAsync();
        Assert.That(e1, Is.Not.Null, "the connection stays open after Error 2");
        AssertErrorReport(e1!.Value, 2, ErrorCode.NoDataAvailable, reset);

        var serial = Raw.SerialQuery(2, 77, 5);
        await client.SendRawAsync(serial);
        var e2 = await client.ReadPduAsync();
        Assert.That(e2, Is.Not.Null, "the connection stays open after Error 2");
        AssertErrorReport(e2!.Value, 2, ErrorCode.NoDataAvailable, serial);

        server.WriteJson(Samples.Basic);
        uint s = await server.WaitReadyAsync();

        var result = await client.ResetAsync();
        Assert.That(result.First.Type, Is.EqualTo(PduType.CacheResponse), "a Reset Query after Error 2 on the same connection gets data");
        Assert.That(result.EndOfData!.Value.Serial.Value, Is.EqualTo(s));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));
    }

    [Test]
    public async Task NoInputYet_AV1RouterGetsError2AtVersion1()
    {
        var server = await StartServerAsync(initial: null);
        var client = await server.ConnectAsync(1);
        var reset = Raw.ResetQuery(1);
        await client.SendRawAsync(reset);
        var e = await client.ReadPduAsync();
        AssertErrorReport(e!.Value, 1, ErrorCode.NoDataAvailable, reset);
    }

    [TestCase("{ \"roas\": [ { \"asn\": 64496, \"prefix\": \"192.0.2.0/24\", ", TestName = "RejectedInput_TruncatedJson_KeepsSerialAndData")]
    [TestCase("{ \"roas\": [ { \"asn\": 64496, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 16 } ] }", TestName = "RejectedInput_MaxLengthBelowPrefixLength_KeepsSerialAndData")]
    [TestCase("{ \"roas\": [], \"aspas\": [ { \"customer_asid\": 64496, \"providers\": [] } ] }", TestName = "RejectedInput_AspaWithoutProviders_KeepsSerialAndData")]
    [TestCase("[]", TestName = "RejectedInput_NotAnObject_KeepsSerialAndData")]
    public async Task RejectedInput_KeepsSerialAndData_IsCounted_AndALaterValidFileIsPickedUp(string badJson)
    {
        var server = await StartServerAsync(Samples.Basic);
        var client = await server.SyncedClientAsync(2);
        uint serial = client.Serial!.Value.Value;
        double before = await server.MetricAsync(JsonRejections);

        server.WriteJsonText(badJson);
        await server.WaitForMetricAboveAsync(JsonRejections, before);

        await AssertUnchangedAsync(client);
        Assert.That(await server.ReadySerialAsync(), Is.EqualTo(serial));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));

        var next = Samples.Basic.With(roas: Samples.Basic.Roas.Skip(1));
        server.WriteJson(next);
        var notify = await client.ReadPduAsync();
        Assert.That(notify!.Value.Type, Is.EqualTo(PduType.SerialNotify));
        Assert.That(notify.Value.Serial.Value, Is.EqualTo(serial + 1));
        var delta = await client.SerialAsync();
        Assert.That(Describe(delta.Payload), Is.EqualTo(new[] { Describe(Samples.Basic.Roas[0].ToVrp(), false) }));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(next.Expected(2)));
    }

    private const string Slurm = """
        {
          "slurmVersion": 2,
          "validationOutputFilters": {
            "prefixFilters": [ { "prefix": "198.51.100.0/24", "comment": "drop everything inside" } ],
            "bgpsecFilters": [],
            "aspaFilters": []
          },
          "locallyAddedAssertions": {
            "prefixAssertions": [ { "asn": 64510, "prefix": "192.0.2.128/25", "maxPrefixLength": 26 } ],
            "bgpsecAssertions": [],
            "aspaAssertions": [ { "customerAsn": 64520, "providerAsns": [ 64521, 64522 ] } ]
          }
        }
        """;

    /// <summary>Samples.Basic with <see cref="Slurm"/> applied, worked out by hand.</summary>
    private static TestPayload BasicWithSlurm => Samples.Basic.With(
        roas: Samples.Basic.Roas.Where(r => r.Prefix != "198.51.100.0/24").Append(new Roa(64510, "192.0.2.128/25", 26)),
        aspas: Samples.Basic.Aspas.Append(new AspaEntry(64520, 64521, 64522)));

    [Test]
    public async Task Slurm_FiltersAndAssertions_AreReflectedInTheServedSet()
    {
        var server = await StartServerAsync(Samples.Basic, slurm: Slurm);
        // 198.51.100.0/22 is less specific than the filter and stays.
        Assert.That(BasicWithSlurm.Roas.Select(r => r.Prefix), Does.Contain("198.51.100.0/22"));

        var v2 = await server.SyncedClientAsync(2);
        Assert.That(v2.Model.ToPayloadSet(), Is.EqualTo(BasicWithSlurm.Expected(2)));
        var v1 = await server.SyncedClientAsync(1);
        Assert.That(v1.Model.ToPayloadSet(), Is.EqualTo(BasicWithSlurm.Expected(1)));

        // What the rules did is visible: one VRP (198.51.100.0/24) filtered, one VRP and one ASPA customer added.
        string metrics = await server.MetricsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(TestServer.Metric(metrics, "rtrcache_slurm_filtered{kind=\"vrps\"}"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_slurm_added{kind=\"vrps\"}"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_slurm_added{kind=\"aspas\"}"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_slurm_filtered{kind=\"aspas\"}"), Is.EqualTo(0));
        });

        // Input changes are filtered by the same rules.
        var next = Samples.Basic.With(roas: Samples.Basic.Roas.Append(new Roa(64499, "198.51.100.128/25", 25)));
        server.WriteJson(next);
        await server.WaitForMetricAboveAsync("rtrcache_input_reloads_total{result=\"loaded\"}", 1);
        await Task.Delay(300);
        await AssertUnchangedAsync(v2);
    }

    [Test]
    public async Task Slurm_BrokenChange_KeepsThePreviousRules_AndAFixedFileApplies()
    {
        var server = await StartServerAsync(Samples.Basic, slurm: Slurm);
        var client = await server.SyncedClientAsync(2);
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(BasicWithSlurm.Expected(2)));
        double before = await server.MetricAsync(SlurmRejections);

        // Drops the filter (would let 198.51.100.0/24 through) but is broken: an unknown member.
        string broken = Slurm.Replace("{ \"prefix\": \"198.51.100.0/24\", \"comment\": \"drop everything inside\" }", "", StringComparison.Ordinal)
            .Replace("\"slurmVersion\": 2,", "\"slurmVersion\": 2, \"extra\": true,", StringComparison.Ordinal);
        server.WriteSlurm(broken);
        await server.WaitForMetricAboveAsync(SlurmRejections, before);
        await AssertUnchangedAsync(client);

        server.WriteSlurm("{ \"slurmVersion\": 2,");
        await server.WaitForMetricAboveAsync(SlurmRejections, before + 1);
        await AssertUnchangedAsync(client);

        // A valid file without the filter lets the VRP through.
        string fixedSlurm = Slurm.Replace("{ \"prefix\": \"198.51.100.0/24\", \"comment\": \"drop everything inside\" }", "", StringComparison.Ordinal);
        server.WriteSlurm(fixedSlurm);
        var notify = await client.ReadPduAsync();
        Assert.That(notify!.Value.Type, Is.EqualTo(PduType.SerialNotify));
        var delta = await client.SerialAsync();
        Assert.That(Describe(delta.Payload), Is.EqualTo(new[] { Describe(new Roa(64497, "198.51.100.0/24", 24).ToVrp(), true) }));
        Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(BasicWithSlurm.With(roas: BasicWithSlurm.Roas.Append(new Roa(64497, "198.51.100.0/24", 24))).Expected(2)));
    }

    /// <summary>
    /// A missing input file is "unavailable", not a rejected file: while the validator has not written its first file,
    /// <c>rtrcache_input_rejections_total{kind="json"}</c> must not grow by one per reload interval.
    /// </summary>
    [Test]
    public async Task MissingInput_IsNotCountedAsARejectionOnEveryRound()
    {
        var server = await StartServerAsync(initial: null);
        await Task.Delay(1500);
        double rejections = await server.MetricAsync(JsonRejections);
        TestContext.Out.WriteLine($"json rejections after 1.5 s without input: {rejections}");
        Assert.That(rejections, Is.LessThanOrEqualTo(1));
    }

    /// <summary>
    /// A SLURM file that is invalid at start-up leaves no rules in force: the pipeline must then serve nothing rather
    /// than the input unfiltered (routers would get VRPs the operator's filters remove). ServeCommand refuses such a
    /// file outright; this covers a host built directly from settings.
    /// </summary>
    [Test]
    public async Task InvalidSlurmAtStart_DoesNotServeUnfilteredData()
    {
        var server = await StartServerAsync(initial: null, slurm: Slurm.Replace("\"slurmVersion\": 2,", "\"slurmVersion\": 2, \"extra\": 1,", StringComparison.Ordinal));
        server.WriteJson(Samples.Basic);
        await Task.Delay(1500);
        var ready = await server.ReadySerialAsync();
        if (ready is null) Assert.Pass("not ready: nothing served without valid SLURM rules");
        var client = await server.SyncedClientAsync(2);
        Assert.That(client.Model.Vrps.Select(v => v.ToString()), Does.Not.Contain("198.51.100.0/24-24 AS64497"), "served a VRP the SLURM filter removes");
    }
}
