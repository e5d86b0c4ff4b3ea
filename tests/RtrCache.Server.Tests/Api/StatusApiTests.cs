using System.Net;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RtrCache.Host.Api;
using RtrCache.Rtr.Cache;
using RtrCache.Rtr.Server;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests.Api;

/// <summary><c>GET /api/v1/status</c>: core members, the RTR sessions, the run section and extension sections.</summary>
public sealed class StatusApiTests : ApiTestBase
{
    [Test]
    public async Task Status_reports_version_serial_sessions_and_payload_counts()
    {
        var server = await StartSampleServerAsync();
        uint serial = await server.WaitReadyAsync();
        var s = await GetJsonAsync(server, "api/v1/status");
        string expectedVersion = typeof(ApiRegistration).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Multiple(() =>
        {
            Assert.That(s.GetProperty("version").GetString(), Is.EqualTo(expectedVersion));
            Assert.That(s.GetProperty("uptimeSeconds").GetDouble(), Is.GreaterThanOrEqualTo(0).And.LessThan(600));
            Assert.That(DateTimeOffset.Parse(s.GetProperty("startedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                Is.LessThanOrEqualTo(DateTimeOffset.UtcNow));
            Assert.That(s.GetProperty("serial").GetUInt32(), Is.EqualTo(serial));
            Assert.That(s.GetProperty("lastUpdate").GetString(), Does.EndWith("Z"));
            // Sample: 7 IPv4 + 5 IPv6 VRPs, 4 ASPA customers, 2 router keys (see ApiSample).
            var payload = s.GetProperty("payload");
            Assert.That(payload.GetProperty("vrps").GetInt32(), Is.EqualTo(12));
            Assert.That(payload.GetProperty("vrpsV4").GetInt32(), Is.EqualTo(7));
            Assert.That(payload.GetProperty("vrpsV6").GetInt32(), Is.EqualTo(5));
            Assert.That(payload.GetProperty("aspas").GetInt32(), Is.EqualTo(4));
            Assert.That(payload.GetProperty("routerKeys").GetInt32(), Is.EqualTo(2));
            Assert.That(s.GetProperty("run").GetProperty("running").ValueKind, Is.AnyOf(JsonValueKind.True, JsonValueKind.False));
            Assert.That(s.GetProperty("rtr").GetProperty("sessions").GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task Session_ids_are_the_ones_routers_get_and_rtr_sessions_are_listed()
    {
        var server = await StartSampleServerAsync();
        uint serial = await server.WaitReadyAsync();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var v2 = await server.SyncedClientAsync(2);
        var v0 = await server.SyncedClientAsync(0);
        _ = await server.ConnectAsync(1); // connected, no query yet
        JsonElement s = default;
        await TestServer.WaitUntilAsync(async () => (s = await GetJsonAsync(server, "api/v1/status")).GetProperty("rtr").GetProperty("sessionCount").GetInt32() == 3,
            "three sessions in the status");

        var ids = s.GetProperty("sessionIds");
        Assert.That(ids.GetProperty("v2").GetUInt16(), Is.EqualTo(v2.Session!.Value.Value), "the v2 session ID a router got");
        Assert.That(ids.GetProperty("v0").GetUInt16(), Is.EqualTo(v0.Session!.Value.Value), "the v0 session ID a router got");

        var sessions = s.GetProperty("rtr").GetProperty("sessions").EnumerateArray().ToList();
        Assert.That(sessions.Select(x => x.GetProperty("address").GetString()), Is.All.EqualTo("127.0.0.1"));
        Assert.That(sessions.Select(x => x.GetProperty("port").GetInt32()), Is.All.GreaterThan(0));
        Assert.That(sessions.Select(x => DateTimeOffset.Parse(x.GetProperty("connectedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture)), Is.All.GreaterThan(before));
        var synced = sessions.Where(x => x.GetProperty("version").ValueKind == JsonValueKind.Number).ToList();
        Assert.That(synced.Select(x => x.GetProperty("version").GetInt32()).Order(), Is.EqualTo(new[] { 0, 2 }));
        Assert.That(synced.Select(x => x.GetProperty("serial").GetUInt32()), Is.All.EqualTo(serial), "serial of the End of Data sent");
        var idle = sessions.Single(x => x.GetProperty("version").ValueKind == JsonValueKind.Null);
        Assert.That(idle.GetProperty("serial").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Status_before_any_payload_has_null_serial_and_payload()
    {
        var server = await StartServerAsync(initial: null);
        var s = await GetJsonAsync(server, "api/v1/status");
        Assert.That(s.GetProperty("serial").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(s.GetProperty("sessionIds").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(s.GetProperty("payload").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Run_section_shows_what_the_validation_loop_records()
    {
        var server = await StartSampleServerAsync();
        var runs = server.App.Services.GetRequiredService<RunStatus>();
        var start = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        runs.RunStarted(start);
        var running = (await GetJsonAsync(server, "api/v1/status")).GetProperty("run");
        Assert.That(running.GetProperty("running").GetBoolean(), Is.True);
        Assert.That(running.GetProperty("runningSince").GetString(), Is.EqualTo("2026-11-25T10:00:00.000Z"));

        long before = runs.Current.CompletedRuns;
        runs.RunFinished(new RunReport(start, start.AddSeconds(42.5), RunOutcome.Partial)
        {
            Message = "one repository stale",
            TrustAnchors = [new TrustAnchorRunStatus("ripe", 100, 20, 3, 1), new TrustAnchorRunStatus("arin", 0, 0, 0, 0, "TA certificate unreachable")],
            Repositories = [new RepositoryRunStatus("https://rrdp.example.net/notification.xml", RepositoryState.Stale, "rrdp", start.AddHours(-1), start, "HTTP 503")],
        });
        var run = (await GetJsonAsync(server, "api/v1/status")).GetProperty("run");
        Assert.Multiple(() =>
        {
            Assert.That(run.GetProperty("running").GetBoolean(), Is.False);
            Assert.That(run.GetProperty("completedRuns").GetInt64(), Is.EqualTo(before + 1));
            Assert.That(run.GetProperty("lastSuccessAt").GetString(), Is.EqualTo("2026-11-25T10:00:42.500Z"), "a partial run counts as a success");
            var last = run.GetProperty("last");
            Assert.That(last.GetProperty("outcome").GetString(), Is.EqualTo("partial"));
            Assert.That(last.GetProperty("durationSeconds").GetDouble(), Is.EqualTo(42.5));
            Assert.That(last.GetProperty("message").GetString(), Is.EqualTo("one repository stale"));
            var tas = last.GetProperty("trustAnchors").EnumerateArray().ToList();
            Assert.That(tas.Select(t => t.GetProperty("name").GetString()), Is.EqualTo(new[] { "ripe", "arin" }));
            Assert.That(tas[0].GetProperty("vrpsV4").GetInt32(), Is.EqualTo(100));
            Assert.That(tas[1].GetProperty("error").GetString(), Is.EqualTo("TA certificate unreachable"));
            var repo = last.GetProperty("repositories")[0];
            Assert.That(repo.GetProperty("state").GetString(), Is.EqualTo("stale"));
            Assert.That(repo.GetProperty("transport").GetString(), Is.EqualTo("rrdp"));
            Assert.That(repo.GetProperty("lastSuccess").GetString(), Is.EqualTo("2026-11-25T09:00:00.000Z"));
        });

        runs.RunFinished(new RunReport(start.AddMinutes(10), start.AddMinutes(11), RunOutcome.Failed));
        var failed = (await GetJsonAsync(server, "api/v1/status")).GetProperty("run");
        Assert.That(failed.GetProperty("last").GetProperty("outcome").GetString(), Is.EqualTo("failed"));
        Assert.That(failed.GetProperty("lastSuccessAt").GetString(), Is.EqualTo("2026-11-25T10:00:42.500Z"), "a failed run keeps the last success");
    }

    /// <summary>A section added by another part of the program.</summary>
    private sealed class ExtraSection : IStatusContributor
    {
        public string Name => "extra";
        public void WriteSection(Utf8JsonWriter writer, DateTimeOffset now)
        {
            writer.WriteStartObject();
            writer.WriteNumber("answer", 42);
            writer.WriteEndObject();
        }
    }

    /// <summary>A section that fails halfway through writing.</summary>
    private sealed class BrokenSection : IStatusContributor
    {
        public string Name => "broken";
        public void WriteSection(Utf8JsonWriter writer, DateTimeOffset now)
        {
            writer.WriteStartObject();
            writer.WriteString("half", "written");
            throw new InvalidOperationException("boom");
        }
    }

    private static ServiceProvider StatusServices(params IStatusContributor[] extra)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SnapshotStore>();
        services.AddSingleton<RtrSessionRegistry>();
        services.AddRtrCacheApi();
        foreach (var c in extra) services.AddSingleton(c);
        return services.BuildServiceProvider();
    }

    /// <summary>Runs the status endpoint of <paramref name="services"/> on a bare HttpContext (no server needed).</summary>
    private static async Task<JsonElement> StatusOf(ServiceProvider services)
    {
        var endpoint = services.GetRequiredService<StatusEndpoint>();
        var context = new DefaultHttpContext { RequestServices = services };
        var body = new MemoryStream();
        context.Response.Body = body;
        await endpoint.HandleAsync(context);
        Assert.That(context.Response.StatusCode, Is.EqualTo(StatusCodes.Status200OK));
        using var doc = JsonDocument.Parse(body.ToArray());
        return doc.RootElement.Clone();
    }

    [Test]
    public async Task Contributors_add_sections_in_order_and_a_failing_one_does_not_break_the_document()
    {
        using var services = StatusServices(new ExtraSection(), new BrokenSection());
        var s = await StatusOf(services);
        var names = s.EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(names[^4..], Is.EqualTo(new[] { "rtr", "run", "extra", "broken" }), "built-in sections, then the added ones in order");
        Assert.That(s.GetProperty("extra").GetProperty("answer").GetInt32(), Is.EqualTo(42));
        Assert.That(s.GetProperty("broken").GetProperty("error").GetString(), Does.Contain("boom"));
    }

    [Test]
    public void A_contributor_may_not_reuse_a_section_name()
    {
        using var clash = StatusServices(new ClashingSection("run"));
        Assert.Throws<InvalidOperationException>(() => clash.GetRequiredService<StatusEndpoint>());
        using var core = StatusServices(new ClashingSection("serial"));
        Assert.Throws<InvalidOperationException>(() => core.GetRequiredService<StatusEndpoint>());
    }

    private sealed class ClashingSection(string name) : IStatusContributor
    {
        public string Name => name;
        public void WriteSection(Utf8JsonWriter writer, DateTimeOffset now) => writer.WriteNullValue();
    }
}
