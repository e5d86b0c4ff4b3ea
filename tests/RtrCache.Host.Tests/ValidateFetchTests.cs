using System.CommandLine;
using RtrCache.Fetch;
using RtrCache.Host.Cli;
using RtrCache.Host.Input;
using RtrCache.Payload.Formats;
using RtrCache.Testbed;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Host.Tests;

/// <summary>
/// <c>rtrcache validate --cache-dir</c>: fetch, then validate once. Option mistakes stop with exit 2 naming the
/// option; a real run against an in-test RRDP server (HTTPS with its own CA, given as <c>--extra-ca</c>) yields
/// exactly the generated repository's payload, cold and then warm from the same cache.
/// </summary>
public sealed class ValidateFetchTests
{
    private string _work = null!;

    [SetUp]
    public void SetUp()
    {
        _work = Path.Combine(Path.GetTempPath(), $"rtrcache-validate-fetch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_work);
    }

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_work, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static async Task<(int Exit, string Out, string Err)> ValidateAsync(params string[] args)
    {
        var root = new RootCommand("test") { ValidateCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await root.Parse(["validate", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_work, name)).FullName;

    [Test]
    public async Task Neither_repo_nor_cache_dir_is_a_usage_error()
    {
        var (exit, _, error) = await ValidateAsync("--tal-dir", Dir("tals"));
        Assert.That(exit, Is.EqualTo(ValidateCommand.UsageError));
        Assert.That(error, Does.Contain("--repo DIR or --cache-dir DIR is required"));
    }

    [Test]
    public async Task Repo_and_cache_dir_together_are_a_usage_error()
    {
        var (exit, _, error) = await ValidateAsync("--tal-dir", Dir("tals"), "--repo", Dir("repo"), "--cache-dir", Dir("cache"));
        Assert.That(exit, Is.EqualTo(ValidateCommand.UsageError));
        Assert.That(error, Does.Contain("--repo and --cache-dir cannot be combined"));
    }

    [TestCase("--extra-ca", "/nonexistent/ca.pem", "--extra-ca /nonexistent/ca.pem: file not found")]
    [TestCase("--fetch-timeout", "0", "--fetch-timeout 0: must be 1..86400 seconds")]
    [TestCase("--rrdp-fallback-time", "-1", "--rrdp-fallback-time -1: must be 0..604800 seconds")]
    [TestCase("--rsync-path", " ", "--rsync-path: empty")]
    public async Task Bad_fetch_option_is_refused_with_its_name(string option, string value, string expected)
    {
        var (exit, _, error) = await ValidateAsync("--tal-dir", Dir("tals"), "--cache-dir", Path.Combine(_work, "cache"), option, value);
        Assert.That(exit, Is.EqualTo(ValidateCommand.UsageError));
        Assert.That(error, Does.Contain(expected));
    }

    [TestCase("--extra-ca", "ca.pem")]
    [TestCase("--disable-rsync", null)]
    [TestCase("--fetch-timeout", "10")]
    public async Task Fetch_option_with_repo_is_refused_with_its_name(string option, string? value)
    {
        string[] extra = value is null ? [option] : [option, value];
        var (exit, _, error) = await ValidateAsync(["--tal-dir", Dir("tals"), "--repo", Dir("repo"), .. extra]);
        Assert.That(exit, Is.EqualTo(ValidateCommand.UsageError));
        Assert.That(error, Does.Contain($"{option} needs --cache-dir"));
    }

    [Test]
    public async Task Unwritable_cache_dir_is_refused_with_its_name()
    {
        string file = Path.Combine(_work, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        string cache = Path.Combine(file, "cache");
        var (exit, _, error) = await ValidateAsync("--tal-dir", Dir("tals"), "--cache-dir", cache);
        Assert.That(exit, Is.EqualTo(ValidateCommand.UsageError));
        Assert.That(error, Does.Contain($"--cache-dir {cache}: not writable"));
    }

    [Test]
    public async Task Extra_ca_without_a_certificate_is_refused_with_its_name()
    {
        var repo = Repository.Generate(TestbedOptions.ForScale(TestbedScale.Tiny));
        string pem = Path.Combine(_work, "empty.pem");
        await File.WriteAllTextAsync(pem, "no certificate here\n");
        var (exit, _, error) = await ValidateAsync("--tal-dir", repo.TalDirectory, "--cache-dir", Path.Combine(_work, "cache"), "--extra-ca", pem);
        Assert.That(exit, Is.EqualTo(ValidateCommand.UsageError));
        Assert.That(error, Does.Contain("--extra-ca").And.Contain(pem).And.Contain("no certificate"));
    }

    [Test]
    public async Task Cache_dir_in_use_by_another_fetcher_is_refused_with_its_name()
    {
        var repo = Repository.Generate(TestbedOptions.ForScale(TestbedScale.Tiny));
        string cache = Path.Combine(_work, "cache");
        // The lock is what keeps a one-shot validate from corrupting the cache of a running server.
        using var holder = new RepositoryFetcher(FetchOptionsFactory.RepositoryDirectory(cache), FetchOptions.Default with { Offline = true });
        var (exit, _, error) = await ValidateAsync("--tal-dir", repo.TalDirectory, "--cache-dir", cache);
        Assert.That(exit, Is.EqualTo(ValidateCommand.UsageError));
        Assert.That(error, Does.Contain($"--cache-dir {cache}").And.Contain("in use"));
    }

    [Test]
    public async Task Fetch_mode_over_rrdp_yields_the_expected_payload_cold_and_warm()
    {
        await using var live = await LiveRepository.StartAsync(TestbedOptions.ForScale(TestbedScale.Tiny), new LiveRepositoryOptions { Rsync = false });
        string cache = Path.Combine(_work, "cache");
        string output = Path.Combine(_work, "out.json");
        string[] args = ["--tal-dir", live.TalDirectory, "--cache-dir", cache, "--extra-ca", live.CaCertificatePemPath, "--disable-rsync", "--output", output];
        var expected = live.Repository.Expected();

        var (exit, stdout, error) = await ValidateAsync(args);
        Assert.That(exit, Is.EqualTo(ValidateCommand.Ok), error);
        Assert.That(stdout, Is.Empty);
        Assert.That(RpkiClientJson.Parse(await File.ReadAllBytesAsync(output), DateTimeOffset.UtcNow).Set, Is.EqualTo(expected));
        Assert.That(error, Does.Contain("fetch: 2 repositories: 2 updated, 0 unchanged, 0 stale, 0 failed"), error);
        Assert.That(error, Does.Contain($"rrdp {live.NotificationUri}, updated, via rrdp, snapshot 1"), error);
        Assert.That(error, Does.Contain("failed publication points: 0"), error);
        Assert.That(error, Does.Contain("rejected objects: 0"), "a good repository fetched over RRDP rejects nothing: " + error);
        Assert.That(Directory.Exists(FetchOptionsFactory.RepositoryDirectory(cache)), "fetched into the layout serve uses");

        // Nothing changed: the notification answers 304 and the cached copy validates to the same payload.
        File.Delete(output);
        (exit, _, error) = await ValidateAsync(args);
        Assert.That(exit, Is.EqualTo(ValidateCommand.Ok), error);
        Assert.That(RpkiClientJson.Parse(await File.ReadAllBytesAsync(output), DateTimeOffset.UtcNow).Set, Is.EqualTo(expected));
        Assert.That(error, Does.Contain($"rrdp {live.NotificationUri}, unchanged, via rrdp, not modified"), error);
    }
}
