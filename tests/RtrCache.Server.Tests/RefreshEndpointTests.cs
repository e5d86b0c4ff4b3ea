using System.Net;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests;

/// <summary>
/// <c>POST /api/v1/refresh</c>: starts an update round at once (like SIGUSR1), but only when the admin API is
/// enabled; otherwise it is refused and no round runs.
/// </summary>
public sealed class RefreshEndpointTests : ServerTestBase
{
    /// <summary>Rounds so far, whatever they found (a forced round re-reads the file: "loaded").</summary>
    private static async Task<double> RoundsAsync(TestServer server)
        => await server.MetricAsync("rtrcache_input_reloads_total{result=\"unchanged\"}") + await server.MetricAsync("rtrcache_input_reloads_total{result=\"loaded\"}");

    [Test]
    public async Task With_the_admin_API_a_refresh_starts_a_round_now()
    {
        // An hour between polls: any round after start-up was started by the request.
        var server = await StartServerAsync(Samples.Basic, s => s with { EnableAdminApi = true, ReloadInterval = TimeSpan.FromHours(1), MaxStaleness = TimeSpan.FromHours(2) });
        await server.WaitReadyAsync();
        double before = await RoundsAsync(server);
        using var response = await server.Http.PostAsync("api/v1/refresh", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        await TestServer.WaitUntilAsync(async () => await RoundsAsync(server) > before, "the requested round");
    }

    [Test]
    public async Task Without_the_admin_API_a_refresh_is_refused_and_nothing_runs()
    {
        var server = await StartServerAsync(Samples.Basic, s => s with { EnableAdminApi = false, ReloadInterval = TimeSpan.FromHours(1), MaxStaleness = TimeSpan.FromHours(2) });
        await server.WaitReadyAsync();
        double before = await RoundsAsync(server);
        using var response = await server.Http.PostAsync("api/v1/refresh", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("--enable-admin-api"));
        await Task.Delay(500);
        Assert.That(await RoundsAsync(server), Is.EqualTo(before), "no round was started");
    }
}
