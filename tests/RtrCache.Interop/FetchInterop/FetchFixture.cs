using RtrCache.Interop.RtrCacheInterop;
using RtrCache.Testbed;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Interop.FetchInterop;

/// <summary>
/// Set-up shared by the fetch tests: a generated repository served live (<see cref="LiveRepository"/>: in-test
/// HTTPS RRDP server on 127.0.0.1 with its own CA, and a real <c>rsync --daemon</c>), our server fetching it
/// (<c>rtrcache serve --tal-dir … --extra-ca …</c>) with a one-hour refresh interval so that every run is started
/// by the test with SIGUSR1, and checks at the end that no rtrcache died or logged an error it was not expected
/// to (fetch failures are warnings; an error line means a failure the fetcher did not contain).
/// </summary>
public abstract class FetchFixture : RtrCacheFixture
{
    /// <summary>Bound on one SIGUSR1-started run (a Tiny run takes well under a second).</summary>
    protected static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(30);

    private readonly List<LiveRepository> _repositories = [];
    private readonly List<FetchingCache> _caches = [];

    /// <summary>A copy of the TALs: the generator deletes old generations (and their <c>tals/</c>) as it republishes.</summary>
    protected string TalDirectory => Dir.File("tals");

    /// <summary>The <c>--cache-dir</c> of the test's rtrcache (fetched repositories under <c>repository/</c>, RTR state).</summary>
    protected string CacheDirectory => Dir.File("cache");

    /// <summary>Starts a Tiny (or <paramref name="scale"/>) repository on RRDP and rsync and copies its TALs to <see cref="TalDirectory"/>.</summary>
    protected async Task<LiveRepository> StartRepositoryAsync(TestbedScale scale = TestbedScale.Tiny, LiveRepositoryOptions? options = null)
    {
        var live = await LiveRepository.StartAsync(TestbedOptions.ForScale(scale), options);
        _repositories.Add(live);
        Directory.CreateDirectory(TalDirectory);
        foreach (string tal in live.TalPaths)
        {
            File.Copy(tal, Path.Combine(TalDirectory, Path.GetFileName(tal)), overwrite: true);
        }

        return live;
    }

    /// <summary>
    /// Starts <c>rtrcache serve --tal-dir TALS --extra-ca TEST-CA --refresh-interval 3600 --max-staleness 7200
    /// --cache-dir CACHE</c> plus <paramref name="fetchArguments"/>, and waits for its first publication (or the
    /// restore of its saved state, when <see cref="CacheDirectory"/> holds one).
    /// </summary>
    protected async Task<FetchingCache> StartCacheAsync(LiveRepository live, IEnumerable<string>? fetchArguments = null, RtrCacheServerOptions? options = null)
    {
        var args = new List<string>
        {
            "--tal-dir", TalDirectory,
            "--extra-ca", live.CaCertificatePemPath,
            "--refresh-interval", "3600",
            "--max-staleness", "7200",
        };
        args.AddRange(fetchArguments ?? []);
        options = (options ?? new RtrCacheServerOptions()) with { CacheDirectory = CacheDirectory };
        var server = Own(await RtrCacheServer.StartWithSourceAsync(args, Dir.Path, options, Timeout), s => s.Process);
        var cache = new FetchingCache(server);
        _caches.Add(cache);
        return cache;
    }

    /// <summary>What a correct validator yields for the repository as it is now.</summary>
    protected static ServedPayload Expected(LiveRepository live) => ServedPayload.FromExpected(live.Repository.Expected());

    /// <summary>Asserts that <paramref name="cache"/> serves exactly <paramref name="expected"/> as <paramref name="serial"/>, and published nothing after it.</summary>
    protected static async Task AssertServesAsync(FetchingCache cache, ServedPayload expected, uint serial, string because)
    {
        var served = await cache.GetServedAsync();
        uint? ready = await cache.GetReadySerialAsync();
        Assert.Multiple(() =>
        {
            Assert.That(expected.Diff(served), Is.Empty, $"{because}: served payload");
            Assert.That(ready, Is.EqualTo(serial), $"{because}: /readyz serial");
            Assert.That(cache.LastSerial, Is.EqualTo(serial), $"{because}: last \"Published serial\" (or \"Restored serial\") line");
        });
    }

    /// <summary>
    /// A change whose effect routers would see: a new ROA on <c>ca0-0</c> for <paramref name="asn"/> and another
    /// ASPA provider set; republished (RRDP delta, rsync tree switched). Returns the delta's publication.
    /// </summary>
    protected static RrdpPublication ChangeRepository(LiveRepository live, uint asn)
    {
        var before = Expected(live);
        live.Repository.AddRoa("ca0-0", asn);
        var aspa = live.Repository.AllCas.SelectMany(c => c.Aspas.Select(a => (Ca: c, Aspa: a))).First();
        live.Repository.SetAspaProviders(aspa.Ca.Name, aspa.Aspa.FileName, aspa.Aspa.Providers.Append(asn + 1));
        var publication = live.Republish();
        Assert.That(publication.Delta, Is.Not.Null, "the change is published as an RRDP delta");
        Assert.That(Expected(live).Diff(before), Is.Not.Empty, "the change alters the payload");
        return publication;
    }

    [TearDown]
    public async Task TearDownFetch()
    {
        var diedEarly = _caches.Where(c => !c.Killed && c.Process.HasExited).Select(c => c.Process.Tail(60)).ToList();
        var errors = ServerErrorsExpected ? [] : _caches.SelectMany(c => c.Server.ErrorLines).ToList();
        foreach (var cache in _caches)
        {
            await cache.Server.DisposeAsync();
        }

        foreach (var live in _repositories)
        {
            await live.DisposeAsync();
        }

        _caches.Clear();
        _repositories.Clear();
        Assert.Multiple(() =>
        {
            Assert.That(diedEarly, Is.Empty, "rtrcache exited during the test");
            Assert.That(errors, Is.Empty, "rtrcache logged errors");
        });
    }
}
