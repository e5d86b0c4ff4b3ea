using System.Globalization;
using System.Net;
using System.Text.Json;
using RtrCache.Host.Serving;
using RtrCache.Payload;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests;

/// <summary>
/// The shrink guard on the real host: a new payload that withdraws more than <c>--shrink-limit</c> percent of
/// the served VRPs or ASPAs is not published, routers keep the previous serial, /readyz and metrics say why,
/// and an operator can accept it through the (opt-in) admin endpoint or by configuration.
/// </summary>
public sealed class ShrinkGuardTests : ServerTestBase
{
    /// <summary>20 IPv4 VRPs and 10 ASPA customers, so 10% is two VRPs or one ASPA.</summary>
    private static TestPayload Big(int vrps = 20, int aspas = 10) => new(
        Enumerable.Range(0, vrps).Select(i => new Roa(64496, string.Create(CultureInfo.InvariantCulture, $"10.{i}.0.0/16"), 24)),
        Enumerable.Range(0, aspas).Select(i => new AspaEntry((uint)(65000 + i), 64496)));

    private static Func<ServeSettings, ServeSettings> Guarded(bool admin = false)
        => s => s with { AcceptShrink = false, ShrinkLimit = 10, EnableAdminApi = admin };

    /// <summary>Writes <paramref name="payload"/> and waits until a round has looked at it and held it back.</summary>
    private static async Task WriteAndWaitForHoldAsync(TestServer server, TestPayload payload)
    {
        double before = await server.MetricAsync("rtrcache_shrink_guard_blocked_total");
        server.WriteJson(payload);
        await server.WaitForMetricAboveAsync("rtrcache_shrink_guard_blocked_total", before);
    }

    [Test]
    public async Task A_large_VRP_drop_is_held_back_and_readiness_and_metrics_say_why()
    {
        var server = await StartServerAsync(Big(), Guarded());
        var router = await server.SyncedClientAsync(1);
        await WriteAndWaitForHoldAsync(server, Big(vrps: 15));

        var (status, body) = await server.GetAsync("readyz");
        string metrics = await server.MetricsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body);
            Assert.That(body, Does.Contain("shrink guard").And.Contain("25% of VRPs (5 of 20 withdrawn, 15 after)").And.Contain("10%"));
            Assert.That(body, Does.Contain("still serving serial 1").And.Contain("accept-shrink"));
            Assert.That(body, Does.Not.Contain("ASPAs ("), "the ASPAs did not shrink");
            Assert.That(TestServer.Metric(metrics, "rtrcache_shrink_guard_blocked"), Is.EqualTo(1));
            Assert.That(TestServer.Metric(metrics, "rtrcache_serial"), Is.EqualTo(1));
        });

        // The status document has the same facts, for dashboards and operators.
        var (statusCode, statusBody) = await server.GetAsync("api/v1/status");
        Assert.That(statusCode, Is.EqualTo(HttpStatusCode.OK), statusBody);
        using (var statusDoc = JsonDocument.Parse(statusBody))
        {
            var safeguards = statusDoc.RootElement.GetProperty("safeguards");
            Assert.Multiple(() =>
            {
                Assert.That(safeguards.GetProperty("readiness").GetProperty("ready").GetBoolean(), Is.False);
                Assert.That(safeguards.GetProperty("shrinkGuard").GetProperty("held").GetProperty("reason").GetString(), Does.Contain("25% of VRPs"));
                Assert.That(safeguards.GetProperty("shrinkGuard").GetProperty("held").GetProperty("heldVrps").GetInt32(), Is.EqualTo(15));
                Assert.That(safeguards.GetProperty("persistence").GetProperty("last").GetString(), Is.EqualTo("saved"));
                Assert.That(safeguards.GetProperty("persistence").GetProperty("serial").GetUInt32(), Is.EqualTo(1u));
            });
        }

        // Routers keep the old set: a Serial Query finds nothing new.
        var answer = await router.SerialAsync();
        Assert.That(answer.Payload, Is.Empty);
        Assert.That(answer.EndOfData!.Value.Serial.Value, Is.EqualTo(1u));
        Assert.That(router.Model.Vrps, Has.Count.EqualTo(20));
    }

    [Test]
    public async Task A_drop_within_the_limit_is_published()
    {
        var server = await StartServerAsync(Big(), Guarded());
        server.WriteJson(Big(vrps: 18, aspas: 9)); // exactly 10% of each: not more than the limit
        await server.WaitForSerialAsync(2);
        Assert.That(await server.MetricAsync("rtrcache_shrink_guard_blocked"), Is.EqualTo(0));
        Assert.That(await server.MetricAsync("rtrcache_shrink_guard_blocked_total"), Is.EqualTo(0));
    }

    [Test]
    public async Task A_large_ASPA_drop_is_held_back()
    {
        var server = await StartServerAsync(Big(), Guarded());
        await WriteAndWaitForHoldAsync(server, Big(aspas: 8));
        var (status, body) = await server.GetAsync("readyz");
        Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(body, Does.Contain("20% of ASPAs (2 of 10 withdrawn, 8 after)"));
    }

    [Test]
    public async Task Many_entries_swapped_for_others_count_as_dropped()
    {
        // The count stays the same, but half of what routers hold would be withdrawn.
        var server = await StartServerAsync(Big(), Guarded());
        var swapped = Big().With(roas: Big().Roas.Take(10).Concat(Enumerable.Range(0, 10).Select(i => new Roa(64497, $"172.16.{i}.0/24", 24))));
        await WriteAndWaitForHoldAsync(server, swapped);
        Assert.That((await server.GetAsync("readyz")).Body, Does.Contain("50% of VRPs (10 of 20 withdrawn, 20 after)"));
    }

    [Test]
    public async Task When_the_input_recovers_the_hold_ends_without_a_new_serial()
    {
        var server = await StartServerAsync(Big(), Guarded());
        await WriteAndWaitForHoldAsync(server, Big(vrps: 5));
        server.WriteJson(Big());
        await TestServer.WaitUntilAsync(async () => await server.MetricAsync("rtrcache_shrink_guard_blocked") == 0, "the hold to end");
        Assert.That(await server.WaitReadyAsync(), Is.EqualTo(1u), "the same data: no new serial");
    }

    [Test]
    public async Task A_later_input_with_a_small_change_is_published_and_ends_the_hold()
    {
        var server = await StartServerAsync(Big(), Guarded());
        await WriteAndWaitForHoldAsync(server, Big(vrps: 5));
        server.WriteJson(Big(vrps: 21));
        await server.WaitForSerialAsync(2);
        Assert.That(await server.MetricAsync("rtrcache_shrink_guard_blocked"), Is.EqualTo(0));
    }

    [Test]
    public async Task Accept_endpoint_is_refused_unless_the_admin_api_is_enabled()
    {
        var server = await StartServerAsync(Big(), Guarded(admin: false));
        await WriteAndWaitForHoldAsync(server, Big(vrps: 5));
        using var response = await server.Http.PostAsync("api/v1/accept-shrink", null);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), body);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(body, Does.Contain("--enable-admin-api"));
        });
        Assert.That(await server.ReadySerialAsync(), Is.Null, "still held");
        Assert.That(await server.MetricAsync("rtrcache_serial"), Is.EqualTo(1));
    }

    [Test]
    public async Task Accept_endpoint_publishes_the_held_set_and_routers_get_it_as_a_delta()
    {
        var server = await StartServerAsync(Big(), Guarded(admin: true));
        var router = await server.SyncedClientAsync(2);

        using (var nothing = await server.Http.PostAsync("api/v1/accept-shrink", null))
        {
            Assert.That(nothing.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "nothing held yet");
            Assert.That(nothing.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        }

        await WriteAndWaitForHoldAsync(server, Big(vrps: 5, aspas: 2));
        using var response = await server.Http.PostAsync("api/v1/accept-shrink", null);
        string body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.Multiple(() =>
        {
            Assert.That(json.RootElement.GetProperty("serial").GetUInt32(), Is.EqualTo(2u));
            Assert.That(json.RootElement.GetProperty("vrps").GetInt32(), Is.EqualTo(5));
            Assert.That(json.RootElement.GetProperty("aspas").GetInt32(), Is.EqualTo(2));
            Assert.That(json.RootElement.GetProperty("accepted").GetString(), Does.Contain("75% of VRPs").And.Contain("80% of ASPAs"));
        });
        Assert.That(await server.WaitReadyAsync(), Is.EqualTo(2u), "ready again, at the accepted serial");
        Assert.That(await server.MetricAsync("rtrcache_shrink_guard_blocked"), Is.EqualTo(0));
        Assert.That(await server.MetricAsync("rtrcache_shrink_guard_accepted_total"), Is.EqualTo(1));

        var delta = await router.SerialAsync();
        Assert.That(delta.First.Type, Is.EqualTo(RtrCache.Rtr.Protocol.PduType.CacheResponse));
        Assert.That(delta.Payload, Has.Count.EqualTo(15 + 8), "withdrawals only");
        Assert.That(router.Model.ToPayloadSet(), Is.EqualTo(Big(vrps: 5, aspas: 2).Expected(2)));

        // Accepted means accepted: the same input is not held again.
        await Task.Delay(600);
        Assert.That(await server.MetricAsync("rtrcache_shrink_guard_blocked"), Is.EqualTo(0));
    }

    [Test]
    public async Task Accept_shrink_setting_publishes_at_once()
    {
        var server = await StartServerAsync(Big(), s => s with { AcceptShrink = true, ShrinkLimit = 10 });
        server.WriteJson(Big(vrps: 1, aspas: 1));
        await server.WaitForSerialAsync(2);
        Assert.That(await server.MetricAsync("rtrcache_shrink_guard_blocked_total"), Is.EqualTo(0));
    }

    [Test]
    public async Task The_first_load_of_a_cold_start_is_never_held()
    {
        // Nothing served yet, nothing to compare with, even though "everything" would be new and the file small.
        var server = await StartServerAsync(initial: null, Guarded());
        server.WriteJson(Big(vrps: 1, aspas: 0));
        Assert.That(await server.WaitReadyAsync(), Is.EqualTo(1u));
    }

    [Test]
    public async Task After_a_restart_the_new_input_is_compared_with_the_saved_set()
    {
        string cache = Path.Combine(Path.GetTempPath(), "rtrcache-server-tests", "shrink-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (await TestServer.StartAsync(Big(), s => Guarded()(s) with { CacheDirectory = cache }))
            {
            }

            // While it was down, the validator lost most of the data: the restarted cache keeps the saved set.
            var second = await StartServerAsync(initial: null, s => Guarded()(s) with { CacheDirectory = cache });
            Assert.That(await second.ReadySerialAsync(), Is.EqualTo(1u), "serving the saved set");
            await WriteAndWaitForHoldAsync(second, Big(vrps: 2));
            var (status, body) = await second.GetAsync("readyz");
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(body, Does.Contain("90% of VRPs"));
            var router = await second.SyncedClientAsync(1);
            Assert.That(router.Model.Vrps, Has.Count.EqualTo(20));
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    [Test]
    public void Check_names_each_family_and_ignores_additions()
    {
        var served = Big().Expected(2);
        Assert.That(ShrinkGuard.Check(served, Big(vrps: 40, aspas: 20).Expected(2), 10), Is.Null, "growth");
        Assert.That(ShrinkGuard.Check(served, served, 0), Is.Null, "no change, even with a zero limit");
        Assert.That(ShrinkGuard.Check(PayloadSet.Empty, PayloadSet.Empty, 10), Is.Null);
        Assert.That(ShrinkGuard.Check(served, Big(vrps: 19).Expected(2), 0), Does.Contain("5% of VRPs"), "a zero limit holds any withdrawal");
        Assert.That(ShrinkGuard.Check(served, PayloadSet.Empty, 100), Is.Null, "100% never holds");
        Assert.That(ShrinkGuard.Check(served, PayloadSet.Empty, 99.9), Does.Contain("100% of VRPs").And.Contain("100% of ASPAs"));
    }
}
