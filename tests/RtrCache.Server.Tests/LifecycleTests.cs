using System.Diagnostics;
using System.Globalization;
using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using static RtrCache.Server.Tests.Support.Rtr;

namespace RtrCache.Server.Tests;

/// <summary>Expiring input entries and host shutdown with sessions open.</summary>
public sealed class LifecycleTests : ServerTestBase
{
    private static string JsonWithExpiringRoa(long expires) => string.Create(CultureInfo.InvariantCulture, $$"""
        { "roas": [
            { "asn": 64496, "prefix": "192.0.2.0/24", "maxLength": 24 },
            { "asn": 64497, "prefix": "198.51.100.0/24", "maxLength": 24, "expires": {{expires}} } ] }
        """);

    [Test]
    public async Task ExpiringEntry_IsWithdrawnWithoutAFileChange()
    {
        long expires = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3;
        var server = await StartServerAsync(initial: null, s => s with { ReloadInterval = TimeSpan.FromSeconds(30) });
        server.WriteJsonText(JsonWithExpiringRoa(expires));
        await server.WaitReadyAsync();
        var client = await server.SyncedClientAsync(2);
        Assert.That(client.Model.Vrps, Has.Count.EqualTo(2));
        uint serial = client.Serial!.Value.Value;

        var notify = (await client.ReadPduAsync())!.Value;
        Assert.That((notify.Type, notify.Serial.Value), Is.EqualTo((PduType.SerialNotify, serial + 1)));
        var delta = await client.SerialAsync();
        Assert.That(Describe(delta.Payload), Is.EqualTo(new[] { Describe(new Roa(64497, "198.51.100.0/24", 24).ToVrp(), false) }));
        Assert.That(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Is.GreaterThanOrEqualTo(expires), "not withdrawn before it expired");
    }

    /// <summary>
    /// RpkiClientJson drops an entry only when <c>expires &lt; floor(now)</c> (whole seconds), so the pipeline must
    /// re-read one second after the earliest expiry, not at it: a file loaded during the very second an entry expires
    /// must not be re-read and re-parsed back to back until that second is over.
    /// </summary>
    [Test]
    public async Task EntryExpiringInTheCurrentSecond_DoesNotMakeTheLoopReloadInABusyLoop()
    {
        var server = await StartServerAsync(initial: null, s => s with { ReloadInterval = TimeSpan.FromSeconds(30) });
        // Start right after a second boundary so the load (about 200 ms after the write) falls into the same second.
        while (DateTimeOffset.UtcNow.Millisecond > 100) await Task.Delay(10);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        server.WriteJsonText(JsonWithExpiringRoa(now));
        await server.WaitReadyAsync();
        await Task.Delay(1500);

        double loads = await server.MetricAsync("rtrcache_input_reloads_total{result=\"loaded\"}");
        TestContext.Out.WriteLine($"loads {loads}");
        var client = await server.SyncedClientAsync(2);
        Assert.Multiple(() =>
        {
            Assert.That(loads, Is.LessThanOrEqualTo(3), "re-reads of an unchanged file");
            Assert.That(client.Model.Vrps, Has.Count.EqualTo(1), "the entry has expired");
        });
    }

    [Test]
    public async Task Shutdown_WithSessionsInEveryState_ClosesThemPromptly()
    {
        var server = await StartServerAsync(Samples.Basic);
        var synced = await server.SyncedClientAsync(2);
        var fresh = await server.ConnectAsync(1);
        var partial = await server.ConnectAsync(0);
        await partial.SendRawAsync(Raw.ResetQuery(0).AsMemory(0, 5));
        await TestServer.WaitUntilAsync(async () => await server.MetricAsync("rtrcache_rtr_sessions{version=\"none\"}") == 2, "all sessions to be up");

        var watch = Stopwatch.StartNew();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await server.App.StopAsync(stop.Token);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "sessions end on shutdown instead of holding it up");

        foreach (var c in new[] { synced, fresh, partial })
        {
            var pdus = await ReadUntilCloseAsync(c);
            // 8210bis: a v2 cache going away may say so with Error 13 (Cache Shutdown); nothing else may be sent.
            Assert.That(pdus.All(p => p.Type == PduType.ErrorReport && p.ErrorCode == ErrorCode.CacheShutdown && p.Version == 2), Is.True,
                string.Join("; ", pdus));
        }
    }
}
