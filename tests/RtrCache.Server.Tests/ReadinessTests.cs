using System.Net;
using RtrCache.Host.Serving;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests;

/// <summary>
/// /readyz is ready only when data from a complete run is served and a round confirmed that data less than
/// <c>--max-staleness</c> ago; "confirmed" includes rounds that found the input unchanged, not only changes.
/// </summary>
public sealed class ReadinessTests : ServerTestBase
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    private static Func<ServeSettings, ServeSettings> ShortLimit => s => s with { MaxStaleness = Limit };

    private static async Task<string> WaitNotReadyAsync(TestServer server, string expected)
    {
        string body = "";
        await TestServer.WaitUntilAsync(async () =>
        {
            var (status, text) = await server.GetAsync("readyz");
            body = text;
            return status == HttpStatusCode.ServiceUnavailable && text.Contains(expected, StringComparison.Ordinal);
        }, $"/readyz to say \"{expected}\" (last: {body})");
        return body;
    }

    [Test]
    public async Task Unchanged_input_keeps_the_data_fresh()
    {
        // Rounds every 250 ms find the file unchanged; each counts, so a 2 s limit is never reached in 5 s
        // (the margin keeps a busy test machine from looking like a stale cache).
        var server = await StartServerAsync(Samples.Basic, s => s with { MaxStaleness = TimeSpan.FromSeconds(2) });
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until)
        {
            var (status, body) = await server.GetAsync("readyz");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
            await Task.Delay(200);
        }
        Assert.That(await server.MetricAsync("rtrcache_last_successful_run_timestamp_seconds"),
            Is.GreaterThan(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3));
    }

    [Test]
    public async Task Missing_input_makes_the_served_data_stale_and_its_return_makes_it_fresh()
    {
        var server = await StartServerAsync(Samples.Basic, ShortLimit);
        File.Delete(server.JsonPath);
        string body = await WaitNotReadyAsync(server, "stale");
        Assert.That(body, Does.Contain("--max-staleness 1 s").And.Contain("still serving serial 1"));
        Assert.That((await server.SyncedClientAsync(1)).Model.Vrps, Has.Count.EqualTo(6), "routers are still served");

        server.WriteJson(Samples.Basic);
        Assert.That(await server.WaitReadyAsync(), Is.EqualTo(1u));
    }

    [Test]
    public async Task A_rejected_input_file_does_not_count_as_confirmation_while_it_stays()
    {
        var server = await StartServerAsync(Samples.Basic, ShortLimit);
        server.WriteJsonText("{ \"roas\": [ { \"asn\": 64496, \"prefix\": \"192.0.2.0/24\", \"maxLength\": 20 } ] }");
        // Later rounds see the same (bad) file as "unchanged"; that must not look like fresh data.
        await WaitNotReadyAsync(server, "stale");
        server.WriteJson(Samples.Basic);
        Assert.That(await server.WaitReadyAsync(), Is.EqualTo(1u));
    }

    [Test]
    public async Task Before_the_first_run_readiness_says_no_payload()
    {
        var server = await StartServerAsync(initial: null, ShortLimit);
        var (status, body) = await server.GetAsync("readyz");
        Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(body, Does.Contain("no payload loaded yet"));
    }

    [Test]
    public void Default_limit_is_two_update_intervals()
    {
        var settings = new ServeSettings { ReloadInterval = TimeSpan.FromSeconds(600) };
        Assert.That(settings.EffectiveMaxStaleness, Is.EqualTo(TimeSpan.FromSeconds(1200)));
        Assert.That((settings with { MaxStaleness = TimeSpan.FromSeconds(90) }).EffectiveMaxStaleness, Is.EqualTo(TimeSpan.FromSeconds(90)));
    }
}
