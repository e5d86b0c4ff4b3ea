using RtrCache.Fetch.Tests.Support;
using RtrCache.Rpki.Objects;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// TA certificates from TAL URIs into <c>CACHE/ta/NAME/FILE</c>: https (Kestrel) and rsync (daemon), kept when a
/// download fails or is not a certificate with the TAL's key. Uses the real RIPE NCC TA certificate from the shared
/// fixtures (valid until 2117) with its TAL key.
/// </summary>
public class TrustAnchorTests
{
    private RrdpTestServer _server = null!;
    private byte[] _taCert = null!;
    private string _talKey = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _server = await RrdpTestServer.StartAsync();
        string fixtures = FixtureDirectory();
        _taCert = File.ReadAllBytes(Path.Combine(fixtures, "ta.cer"));
        var tal = File.ReadAllLines(Path.Combine(fixtures, "ripe.tal"));
        _talKey = string.Join("\n", tal.SkipWhile(l => l.Trim().Length > 0).Skip(1));
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
    }

    private string Url(string path) => _server.BaseUri + path.TrimStart('/');

    private static string FixtureDirectory()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RtrCache.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("RtrCache.sln not found above " + TestContext.CurrentContext.TestDirectory);
        var root = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "real-objects", "rpki-rs", "test-data", "repository"));
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException(root);
        return root;
    }

    private Tal MakeTal(string name, params string[] uris)
    {
        var decoded = Tal.Parse(string.Join("\n", uris) + "\n\n" + _talKey + "\n", name);
        Assert.That(decoded.IsSuccess, Is.True, decoded.Error);
        return decoded.Value!;
    }

    private FetchOptions Options(Func<FetchOptions, FetchOptions>? edit = null)
    {
        var o = new FetchOptions { ExtraCaFiles = [_server.CaCertificatePemPath], RequestTimeout = TimeSpan.FromSeconds(5), RepositoryTimeout = TimeSpan.FromSeconds(10) };
        return edit is null ? o : edit(o);
    }

    private static async Task<(IReadOnlyList<string> Paths, RepositoryReport Report)> Fetch(string cache, FetchOptions options, Tal tal)
    {
        using var fetcher = new RepositoryFetcher(cache, options);
        var run = fetcher.BeginRun();
        var paths = await run.TrustAnchorCandidatesAsync(tal, tal.Uris[0], CancellationToken.None);
        // Every URI of the TAL maps to the same once-per-run download.
        var again = await run.TrustAnchorCandidatesAsync(tal, tal.Uris[^1], CancellationToken.None);
        Assert.That(again, Is.EqualTo(paths));
        var report = run.Report.Repositories.Single();
        TestContext.Out.WriteLine(report);
        return (paths, report);
    }

    [Test]
    public async Task Https_TA_certificate_is_downloaded_then_unchanged_then_kept_when_the_server_fails()
    {
        using var cache = new TempDir();
        _server.Put("/ta1/ripe-ncc-ta.cer", _taCert);
        var tal = MakeTal("ripe", Url("/ta1/ripe-ncc-ta.cer"));

        var (paths, report) = await Fetch(cache.Path, Options(), tal);
        Assert.That(paths, Is.EqualTo(new[] { Path.Combine(cache.Path, "ta", "ripe", "ripe-ncc-ta.cer") }));
        Assert.That(File.ReadAllBytes(paths[0]), Is.EqualTo(_taCert));
        Assert.That(report.Kind, Is.EqualTo(RepositoryKind.TrustAnchor));
        Assert.That(report.Transport, Is.EqualTo(FetchTransport.Https));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated));

        var (_, second) = await Fetch(cache.Path, Options(), tal);
        Assert.That(second.Outcome, Is.EqualTo(FetchOutcome.Unchanged));

        _server.Remove("/ta1/ripe-ncc-ta.cer");
        var (stalePaths, stale) = await Fetch(cache.Path, Options(), tal);
        Assert.That(stale.Outcome, Is.EqualTo(FetchOutcome.Stale));
        Assert.That(stale.Error, Does.Contain("HTTP 404"));
        Assert.That(stalePaths, Is.EqualTo(paths));
        Assert.That(File.ReadAllBytes(stalePaths[0]), Is.EqualTo(_taCert));
    }

    [Test]
    public async Task A_download_that_is_not_the_TALs_certificate_never_replaces_the_cached_one()
    {
        using var cache = new TempDir();
        _server.Put("/ta2/ripe-ncc-ta.cer", _taCert);
        var tal = MakeTal("ripe", Url("/ta2/ripe-ncc-ta.cer"));
        await Fetch(cache.Path, Options(), tal);

        _server.Put("/ta2/ripe-ncc-ta.cer", TestData.Blob(99, 1200));
        var (paths, report) = await Fetch(cache.Path, Options(), tal);
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Stale));
        Assert.That(report.Error, Does.Contain("not a usable certificate"));
        Assert.That(File.ReadAllBytes(paths.Single()), Is.EqualTo(_taCert));

        // A real certificate with another key is refused too (the TAL's key is what makes a TA).
        var other = File.ReadAllBytes(Path.Combine(FixtureDirectory(), "ca1.cer"));
        _server.Put("/ta2/ripe-ncc-ta.cer", other);
        var (_, wrongKey) = await Fetch(cache.Path, Options(), tal);
        Assert.That(wrongKey.Error, Does.Contain("TAL's public key"));
        Assert.That(File.ReadAllBytes(paths.Single()), Is.EqualTo(_taCert));
    }

    [Test]
    public async Task Nothing_cached_and_nothing_downloadable_gives_no_candidate()
    {
        using var cache = new TempDir();
        var tal = MakeTal("ripe", Url("/ta3/missing.cer"));
        var (paths, report) = await Fetch(cache.Path, Options(), tal);
        Assert.That(paths, Is.Empty);
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
    }

    [Test]
    public async Task Offline_serves_the_cached_certificate()
    {
        using var cache = new TempDir();
        _server.Put("/ta4/ripe-ncc-ta.cer", _taCert);
        var tal = MakeTal("ripe", Url("/ta4/ripe-ncc-ta.cer"));
        await Fetch(cache.Path, Options(), tal);
        int requests = _server.Requests.Count;
        var (paths, report) = await Fetch(cache.Path, Options(o => o with { Offline = true }), tal);
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Cached));
        Assert.That(File.ReadAllBytes(paths.Single()), Is.EqualTo(_taCert));
        Assert.That(_server.Requests.Count, Is.EqualTo(requests));
    }

    [Test]
    public async Task Rsync_URI_is_used_when_https_fails()
    {
        if (!RsyncDaemon.IsAvailable) Assert.Ignore("rsync is not installed");
        using var work = new TempDir();
        Directory.CreateDirectory(work.Sub("module", "ta"));
        File.WriteAllBytes(work.Sub("module", "ta", "ripe-ncc-ta.cer"), _taCert);
        using var daemon = RsyncDaemon.Start("repo", work.Sub("module"));
        using var cache = new TempDir();
        var tal = MakeTal("ripe", daemon.ModuleUri("repo") + "ta/ripe-ncc-ta.cer", Url("/ta5/ripe-ncc-ta.cer"));

        var (paths, report) = await Fetch(cache.Path, Options(), tal);
        Assert.That(report.Transport, Is.EqualTo(FetchTransport.Rsync));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(report.Warnings, Has.Some.Contains("HTTP 404"), "https was tried first");
        Assert.That(File.ReadAllBytes(paths.Single()), Is.EqualTo(_taCert));
        Assert.That(Directory.GetDirectories(Path.Combine(cache.Path, "ta", "ripe")), Is.Empty, "no staging left");
    }

    [Test]
    public void A_TAL_name_that_is_not_a_plain_name_gets_a_hashed_directory()
    {
        Assert.That(TrustAnchors.TrustAnchorFetcher.SafeTalName("ripe"), Is.EqualTo("ripe"));
        Assert.That(TrustAnchors.TrustAnchorFetcher.SafeTalName("../etc"), Does.StartWith("tal-").And.Not.Contain("/"));
        Assert.That(TrustAnchors.TrustAnchorFetcher.SafeTalName(".hidden"), Does.StartWith("tal-"));
    }
}
