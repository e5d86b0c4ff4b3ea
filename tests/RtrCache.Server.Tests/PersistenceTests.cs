using System.Net;
using RtrCache.Fetch.Store;
using RtrCache.Host.Serving;
using RtrCache.Host.Serving.Persistence;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using RtrCache.Testing;

namespace RtrCache.Server.Tests;

/// <summary>
/// The state saved under <c>--cache-dir</c> on the in-process host: a restarted cache serves the same
/// session and serial before its first new round and answers Serial Queries from older serials with deltas; a
/// damaged file is set aside and the cache starts a new session; a failing disk never stops serving. (The same
/// with a real process killed by SIGKILL and real routers is in the interop tests.)
/// </summary>
public sealed class PersistenceTests : ServerTestBase
{
    private string _cache = null!;

    [SetUp]
    public void CreateCacheDirectory() => _cache = Path.Combine(Path.GetTempPath(), "rtrcache-server-tests", "state-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void DeleteCacheDirectory()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private Func<ServeSettings, ServeSettings> InCache(int history = DiffEngine.DefaultHistorySize)
        => s => s with { CacheDirectory = _cache, History = history };

    private string StatePath => Path.Combine(_cache, StateFile.FileName);

    private static TestPayload Second => Samples.Basic.With(roas: Samples.Basic.Roas.Skip(1).Append(new Roa(64510, "192.0.2.128/25", 25)));

    private static TestPayload Third => Second.With(aspas: [new AspaEntry(64496, 64497)], keys: [Samples.Key1, Samples.Key2]);

    /// <summary>A router that held <paramref name="previous"/> (a full sync's PDUs) and now talks to another process.</summary>
    private static void Seed(RtrTestClient router, RtrTestClient.SyncResult previous)
    {
        foreach (var pdu in previous.Payload) router.Model.Apply(pdu);
    }

    [Test]
    public async Task A_restarted_cache_keeps_session_and_serial_and_answers_older_serials_with_deltas()
    {
        RtrTestClient.SyncResult at1V1, at1V2, at2V0;
        await using (var first = await TestServer.StartAsync(Samples.Basic, InCache()))
        {
            var v1 = await first.ConnectAsync(1);
            at1V1 = await v1.ResetAsync();
            var v2 = await first.ConnectAsync(2);
            at1V2 = await v2.ResetAsync();
            first.WriteJson(Second);
            await first.WaitForSerialAsync(2);
            var v0 = await first.ConnectAsync(0);
            at2V0 = await v0.ResetAsync();
            first.WriteJson(Third);
            await first.WaitForSerialAsync(3);
        }
        Assert.That(File.Exists(StatePath), Is.True, "state saved");

        // No input file at all: what is served comes from the saved state alone, at once.
        var second = await StartServerAsync(initial: null, InCache());
        var (status, body) = await second.GetAsync("readyz");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(body, Does.Contain("ready: serial 3").And.Contain("restored"));

        foreach (var (version, previous) in new[] { (RtrVersion.V1, at1V1), (RtrVersion.V2, at1V2), (RtrVersion.V0, at2V0) })
        {
            var router = await second.ConnectAsync(version);
            Seed(router, previous);
            await router.SendSerialQueryAsync(previous.EndOfData!.Value.SessionId, previous.EndOfData!.Value.Serial);
            var answer = await router.ReadResponseAsync(applyAsReset: false);
            string context = $"v{version} router at serial {previous.EndOfData!.Value.Serial}";
            Assert.That(answer.First.Type, Is.EqualTo(PduType.CacheResponse), context + ": a delta, not a Cache Reset");
            Assert.That(answer.First.SessionId, Is.EqualTo(previous.First.SessionId), context + ": same session");
            Assert.That(answer.EndOfData!.Value.Serial.Value, Is.EqualTo(3u), context);
            Assert.That(answer.Payload.Count, Is.LessThan(Third.Expected(version).VrpCount), context + ": only the changes");
            Assert.That(router.Model.ToPayloadSet(), Is.EqualTo(Third.Expected(version)), context);
        }

        // The next round continues the serial space.
        second.WriteJson(Samples.Basic);
        await second.WaitForSerialAsync(4);
        var state = Load();
        Assert.That(state.Snapshot.Serial.Value, Is.EqualTo(4u));
        Assert.That(state.Sessions.V1.Value, Is.EqualTo(at1V1.First.SessionId.Value));
    }

    [Test]
    public async Task Unchanged_input_after_a_restart_keeps_the_serial()
    {
        await using (await TestServer.StartAsync(Samples.Basic, InCache()))
        {
        }
        var second = await StartServerAsync(Samples.Basic, InCache());
        await Task.Delay(750); // a few rounds
        Assert.That(await second.ReadySerialAsync(), Is.EqualTo(1u));
        Assert.That((await second.GetAsync("readyz")).Body, Does.Not.Contain("restored"), "a round has confirmed the data since");
    }

    [Test]
    public async Task A_damaged_state_file_is_set_aside_and_a_new_session_starts()
    {
        SessionId savedV1;
        await using (var first = await TestServer.StartAsync(Samples.Basic, InCache()))
        {
            savedV1 = (await first.SyncedClientAsync(1)).Session!.Value;
        }
        var bytes = File.ReadAllBytes(StatePath);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(StatePath, bytes);

        var second = await StartServerAsync(Second, InCache());
        Assert.That(await second.WaitReadyAsync(), Is.EqualTo(1u), "a new session starts at serial 1");
        var router = await second.SyncedClientAsync(1);
        Assert.That(router.Model.ToPayloadSet(), Is.EqualTo(Second.Expected(1)));
        Assert.That(File.Exists(StatePath + ".unusable"), Is.True, "the damaged file is kept for inspection");
        await TestServer.WaitUntilAsync(() => Task.FromResult(File.Exists(StatePath)), "the new state to be saved");
        Assert.That(Load().Snapshot.Payload, Is.EqualTo(Second.Expected(2)));
        _ = savedV1;
    }

    [TestCase("")]
    [TestCase("not a state file at all")]
    public async Task Garbage_in_place_of_the_state_file_does_not_stop_start_up(string content)
    {
        Directory.CreateDirectory(_cache);
        File.WriteAllText(StatePath, content);
        var server = await StartServerAsync(Samples.Basic, InCache());
        Assert.That(await server.WaitReadyAsync(), Is.EqualTo(1u));
    }

    [Test]
    public async Task Each_serial_replaces_the_file_whole_and_leftovers_of_an_interrupted_write_are_removed()
    {
        Directory.CreateDirectory(_cache);
        string leftover = AtomicFile.TempPathFor(Path.Combine(_cache, StateFile.FileName));
        File.WriteAllText(leftover, "half a file");
        var server = await StartServerAsync(Samples.Basic, InCache());
        Assert.That(File.Exists(leftover), Is.False);
        Assert.That(Load().Snapshot.Serial.Value, Is.EqualTo(1u));
        server.WriteJson(Second);
        await server.WaitForSerialAsync(2);
        var state = Load();
        Assert.That(state.Snapshot.Serial.Value, Is.EqualTo(2u));
        Assert.That(state.Snapshot.History.Select(h => h.From.Value), Is.EqualTo(new uint[] { 1 }).AsCollection);
        Assert.That(Directory.GetFiles(_cache).Select(Path.GetFileName), Is.EquivalentTo(new[] { StateFile.FileName }));
        Assert.That(await server.MetricAsync("rtrcache_state_serial"), Is.EqualTo(2));
        Assert.That(await server.MetricAsync("rtrcache_state_saves_total{result=\"ok\"}"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_cache_directory_that_cannot_be_written_does_not_stop_serving()
    {
        Directory.CreateDirectory(_cache);
        string blocker = Path.Combine(_cache, "a-file");
        File.WriteAllText(blocker, "");
        var server = await StartServerAsync(Samples.Basic, s => s with { CacheDirectory = Path.Combine(blocker, "state") });
        Assert.That(await server.WaitReadyAsync(), Is.EqualTo(1u));
        Assert.That(await server.MetricAsync("rtrcache_state_saves_total{result=\"failed\"}"), Is.EqualTo(1));
        server.WriteJson(Second);
        await server.WaitForSerialAsync(2);
        await server.SyncedClientAsync(2);
    }

    [Test]
    public async Task A_smaller_history_after_a_restart_keeps_only_the_newest_serials()
    {
        await using (var first = await TestServer.StartAsync(Samples.Basic, InCache()))
        {
            first.WriteJson(Second);
            await first.WaitForSerialAsync(2);
            first.WriteJson(Third);
            await first.WaitForSerialAsync(3);
        }
        var second = await StartServerAsync(initial: null, InCache(history: 1));
        var router = await second.ConnectAsync(1);
        var session = Load().Sessions.V1;
        await router.SendSerialQueryAsync(session, 2);
        Assert.That((await router.ReadResponseAsync(applyAsReset: false)).First.Type, Is.EqualTo(PduType.CacheResponse), "serial 2 is kept");
        await router.SendSerialQueryAsync(session, 1);
        Assert.That((await router.ReadResponseAsync(applyAsReset: false)).First.Type, Is.EqualTo(PduType.CacheReset), "serial 1 is beyond --history 1");
    }

    private PersistedState Load()
    {
        Assert.That(StateFile.TryLoad(StatePath, new DiffEngine(), out var state, out var error, out _), Is.True, error);
        return state!;
    }
}
