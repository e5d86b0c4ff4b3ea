using NUnit.Framework.Interfaces;
using RtrCache.Interop.Peers;

namespace RtrCache.Interop.RtrCacheInterop;

/// <summary>
/// Shared set-up for tests that run our server (<see cref="RtrCacheServer"/>) against the real peer programs:
/// a fresh temp directory per test, every process owned by the test and stopped in TearDown, logs of all of
/// them printed when a test fails (or always, with RTRCACHE_INTEROP_LOGS=1), and a check that our server logged no error it was not expected to.
/// </summary>
public abstract class RtrCacheFixture
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>OpenBGPD answers Serial Notify, reconnects and retries after a random 0–9 s.</summary>
    protected static readonly TimeSpan OpenBgpdTimeout = TimeSpan.FromSeconds(45);

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<PeerProcess> _processes = [];
    private readonly List<RtrCacheServer> _servers = [];

    protected TempDirectory Dir { get; private set; } = null!;

    /// <summary>The rpki-client JSON file our server reads.</summary>
    protected string JsonFile => Dir.File("rpki.json");

    /// <summary>Set by a test that makes our server log errors on purpose (e.g. a rejected input file).</summary>
    protected bool ServerErrorsExpected { get; set; }

    [SetUp]
    public void SetUpDirectory()
    {
        Dir = TempDirectory.Create();
        _owned.Clear();
        _processes.Clear();
        _servers.Clear();
        ServerErrorsExpected = false;
    }

    [TearDown]
    public async Task TearDownProcesses()
    {
        bool failed = TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed;
        if (failed || Environment.GetEnvironmentVariable("RTRCACHE_INTEROP_LOGS") == "1")
        {
            foreach (var process in _processes)
            {
                await TestContext.Out.WriteLineAsync(process.Tail(150));
            }
        }

        // Our server must still be running at the end of every test: it never exits on its own.
        var diedEarly = _servers.Where(s => s.Process.HasExited).Select(s => s.Process.Tail(60)).ToList();
        List<string> serverErrors = ServerErrorsExpected ? [] : _servers.SelectMany(s => s.ErrorLines).ToList();

        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        Dir.Dispose();
        Assert.Multiple(() =>
        {
            foreach (var process in _processes)
            {
                Assert.That(process.IsFullyStopped, Is.True, $"{process.Name} (pid {process.Pid}) or a child still running after dispose");
            }

            Assert.That(diedEarly, Is.Empty, "rtrcache exited during the test");
            Assert.That(serverErrors, Is.Empty, "rtrcache logged errors");
        });
    }

    /// <summary>
    /// Writes <see cref="JsonFile"/> and starts our server on it. <paramref name="expectedFirstSerial"/>: the
    /// serial it must publish first (1 on a cold start); null for a start from saved state, which publishes
    /// nothing new while the input is unchanged.
    /// </summary>
    protected async Task<RtrCacheServer> StartServerAsync(
        IEnumerable<PeerVrp> vrps,
        IEnumerable<PeerRouterKey>? keys = null,
        IEnumerable<PeerAspa>? aspas = null,
        RtrCacheServerOptions? options = null,
        uint? expectedFirstSerial = 1)
    {
        RpkiClientJson.Write(JsonFile, vrps, keys, aspas);
        var server = Own(await RtrCacheServer.StartAsync(JsonFile, options, Timeout), s => s.Process);
        _servers.Add(server);
        if (expectedFirstSerial is { } serial)
        {
            Assert.That(server.Serial, Is.EqualTo(serial), "our server publishes serial 1 first");
        }

        return server;
    }

    /// <summary>Stops our server before the end of the test (it is not reported as having died).</summary>
    protected async Task StopServerAsync(RtrCacheServer server)
    {
        _servers.Remove(server);
        await server.DisposeAsync();
        Assert.Multiple(() =>
        {
            Assert.That(server.Process.IsFullyStopped, Is.True, "rtrcache stopped");
            Assert.That(ServerErrorsExpected ? [] : server.ErrorLines, Is.Empty, "rtrcache logged errors");
        });
    }

    protected Task<BirdRouter> StartBirdAsync(RtrCacheServer server, BirdOptions? options = null)
        => StartBirdAsync(server.Address, server.Port, options);

    protected async Task<BirdRouter> StartBirdAsync(System.Net.IPAddress address, int port, BirdOptions? options = null)
        => Own(await BirdRouter.StartAsync(Dir.Path, address, port, options, Timeout), b => b.Process);

    protected RtrClient StartRtrClient(RtrCacheServer server)
        => StartRtrClient(server.Address, server.Port);

    protected RtrClient StartRtrClient(System.Net.IPAddress address, int port)
        => Own(RtrClient.Start(address, port, Dir.Path), c => c.Process);

    protected async Task<OpenBgpd> StartOpenBgpdAsync(RtrCacheServer server)
        => Own(await OpenBgpd.StartAsync(Dir.Path, server.Address, server.Port, timeout: Timeout), b => b.Process);

    protected T Own<T>(T peer, Func<T, PeerProcess> process)
        where T : IAsyncDisposable
    {
        _owned.Add(peer);
        _processes.Add(process(peer));
        return peer;
    }

    /// <summary>How many Serial Notify PDUs rtrclient logged ("RTR Socket: Serial Notify received (N)").</summary>
    protected static int SerialNotifiesSeen(RtrClient client)
        => client.Process.GetLines(PeerStream.Stderr).Count(l => l.Text.Contains("RTR Socket: Serial Notify received", StringComparison.Ordinal));
}
