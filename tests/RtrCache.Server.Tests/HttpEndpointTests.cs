using System.Net;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests;

/// <summary>/healthz, /readyz and /metrics of the real host.</summary>
public sealed class HttpEndpointTests : ServerTestBase
{
    [Test]
    public async Task Healthz_IsAlwaysOk_Readyz_Is503BeforeDataAnd200After()
    {
        var server = await StartServerAsync(initial: null);
        var health = await server.GetAsync("healthz");
        Assert.That(health.Status, Is.EqualTo(HttpStatusCode.OK));
        var notReady = await server.GetAsync("readyz");
        Assert.That(notReady.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), notReady.Body);

        server.WriteJson(Samples.Basic);
        uint serial = await server.WaitReadyAsync();
        var ready = await server.GetAsync("readyz");
        Assert.That(ready.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.Body, Does.Contain($"serial {serial}"));
        Assert.That((await server.GetAsync("healthz")).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Metrics_ReportSerialPayloadAndSessions()
    {
        var server = await StartServerAsync(Samples.Basic);
        uint serial = await server.WaitReadyAsync();
        var v2 = await server.SyncedClientAsync(2);
        var v0 = await server.SyncedClientAsync(0);
        var idle = await server.ConnectAsync(1);
        await TestServer.WaitUntilAsync(async () => await server.MetricAsync("rtrcache_rtr_sessions{version=\"none\"}") == 1, "the idle session to be counted");

        string metrics = await server.MetricsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(TestServer.Metric(metrics, "rtrcache_serial"), Is.EqualTo(serial));
            Assert.That(TestServer.Metric(metrics, "rtrcache_payload_vrps{family=\"ipv4\"}"), Is.EqualTo(4));
            Assert.That(TestServer.Metric(metrics, "rtrcache_payload_vrps{family=\"ipv6\"}"), Is.EqualTo(2));
            Assert.That(TestServer.Metric(metrics, "rtrcache_payload_aspas"), Is.EqualTo(2));
            Assert.That(TestServer.Metric(metrics, "rtrcache_payload_router_keys"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_rtr_sessions{version=\"2\"}"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_rtr_sessions{version=\"1\"}"), Is.EqualTo(0));
            Assert.That(TestServer.Metric(metrics, "rtrcache_rtr_sessions{version=\"0\"}"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_rtr_sessions{version=\"none\"}"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_rtr_responses_total{version=\"2\",kind=\"full\"}"), Is.EqualTo(1));
        });

        await v2.DisposeAsync();
        await idle.DisposeAsync();
        await TestServer.WaitUntilAsync(async () =>
        {
            string m = await server.MetricsAsync();
            return TestServer.Metric(m, "rtrcache_rtr_sessions{version=\"2\"}") == 0 && TestServer.Metric(m, "rtrcache_rtr_sessions{version=\"none\"}") == 0;
        }, "closed sessions to leave the gauge");
        Assert.That(await server.MetricAsync("rtrcache_rtr_sessions{version=\"0\"}"), Is.EqualTo(1));
        _ = v0;
    }
}
