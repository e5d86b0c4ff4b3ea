using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RtrCache.Fetch.Rsync;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Fetch.Uris;
using RtrCache.Rpki.Validation;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// rsync against a real <c>rsync --daemon</c> on loopback: module mirroring into generations, only RPKI files,
/// no symbolic links followed, deletions, unchanged runs, a dead daemon, a hung server killed at the deadline,
/// and the RRDP → rsync fallback.
/// </summary>
public class RsyncFetchTests
{
    private TempDir _dir = null!;
    private TempDir _cache = null!;
    private RsyncDaemon _daemon = null!;
    private string _module = null!;

    [SetUp]
    public void SetUp()
    {
        if (!RsyncDaemon.IsAvailable) Assert.Ignore("rsync is not installed (Debian package 'rsync')");
        _dir = new TempDir();
        _cache = new TempDir();
        _module = _dir.Sub("module");
        Directory.CreateDirectory(_module);
        _daemon = RsyncDaemon.Start("repo", _module);
    }

    [TearDown]
    public void TearDown()
    {
        _daemon?.Dispose();
        _cache?.Dispose();
        _dir?.Dispose();
    }

    private static FetchOptions Options(Func<FetchOptions, FetchOptions>? edit = null)
    {
        var o = new FetchOptions { RepositoryTimeout = TimeSpan.FromSeconds(20), RsyncIoTimeout = TimeSpan.FromSeconds(10), ConnectTimeout = TimeSpan.FromSeconds(5) };
        return edit is null ? o : edit(o);
    }

    /// <summary><c>127.0.0.1:PORT</c>: the host part of every URI the daemon serves, and the cache's directory for it.</summary>
    private string Authority => new Uri(_daemon.BaseUri).Authority;

    private string Source(string relative) => Path.Combine(_module, relative);

    private void Put(string relative, int size = 200, int seed = 1)
    {
        string path = Source(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, TestData.Blob(seed, size));
    }

    private PublicationPointRequest Request(string? notify = null)
        => new($"rsync://{Authority}/repo/ta.cer", $"rsync://{Authority}/repo/ca/", $"rsync://{Authority}/repo/ca/ca.mft", notify);

    private async Task<(RepositoryLocation Location, FetchReport Report)> RunOnce(FetchOptions? options = null, PublicationPointRequest? request = null)
    {
        using var fetcher = new RepositoryFetcher(_cache.Path, options ?? Options());
        var run = fetcher.BeginRun();
        var location = await run.PublicationPointAsync(request ?? Request(), CancellationToken.None);
        await run.CompletionAsync();
        foreach (var r in run.Report.Repositories) TestContext.Out.WriteLine(r);
        return (location, run.Report);
    }

    private string Local(RepositoryLocation location, string relative) => Validator.LocalPath(location.Root!, $"rsync://{Authority}/repo/{relative}")!;

    private IEnumerable<string> Files(string root)
        => Directory.EnumerateFiles(Path.Combine(root, Authority), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(root, Authority, "repo"), f)).Order();

    [Test]
    public async Task Module_is_mirrored_with_only_RPKI_files_and_no_links()
    {
        Put("ca/ca.mft", seed: 1);
        Put("ca/ca.crl", seed: 2);
        Put("ca/a.roa", seed: 3);
        Put("ca/sub/child.cer", seed: 4);
        Put("other/x.asa", seed: 5);
        Put("ca/notes.txt", seed: 6);
        Put("ca/.hidden.cer", seed: 7);
        Put(".dotdir/y.cer", seed: 8);
        Put("ca/tiny.roa", size: 50, seed: 9);
        Put("ca/huge.roa", size: 9 * 1024 * 1024, seed: 10);
        string outside = _dir.Sub("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllBytes(Path.Combine(outside, "secret.cer"), TestData.Blob(11));
        File.CreateSymbolicLink(Source("ca/link.roa"), Path.Combine(outside, "secret.cer"));
        Directory.CreateSymbolicLink(Source("ca/linkdir"), outside);

        var (location, report) = await RunOnce();
        Assert.That(location.Error, Is.Null);
        Assert.That(Files(location.Root!), Is.EqualTo(new[] { "ca/a.roa", "ca/ca.crl", "ca/ca.mft", "ca/sub/child.cer", "other/x.asa" }));
        Assert.That(File.ReadAllBytes(Local(location, "ca/a.roa")), Is.EqualTo(TestData.Blob(3)));
        Assert.That(Directory.EnumerateFileSystemEntries(location.Root!, "*", SearchOption.AllDirectories).Where(e => new FileInfo(e).LinkTarget is not null), Is.Empty);
        var entry = report.Repositories.Single();
        Assert.That(entry.Kind, Is.EqualTo(RepositoryKind.Rsync));
        Assert.That(entry.Uri, Is.EqualTo($"rsync://{Authority}/repo/"));
        Assert.That(entry.Transport, Is.EqualTo(FetchTransport.Rsync));
        Assert.That(entry.Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(entry.BytesTransferred, Is.GreaterThan(1000));
        Assert.That(RsyncState.TryRead(location.Root!)!.ModuleUri, Is.EqualTo($"rsync://{Authority}/repo/"));
    }

    [Test]
    public async Task Unchanged_module_keeps_its_generation_and_changes_make_a_new_one_with_deletions()
    {
        Put("ca/ca.mft", seed: 1);
        Put("ca/a.roa", seed: 2);
        Put("ca/b.roa", seed: 3);
        var (first, _) = await RunOnce();

        var (same, sameReport) = await RunOnce();
        Assert.That(sameReport.Repositories.Single().Outcome, Is.EqualTo(FetchOutcome.Unchanged));
        Assert.That(same.Root, Is.EqualTo(first.Root));

        File.Delete(Source("ca/b.roa"));
        Put("ca/a.roa", seed: 20);
        File.SetLastWriteTimeUtc(Source("ca/a.roa"), DateTime.UtcNow.AddMinutes(1));
        var (changed, changedReport) = await RunOnce();
        Assert.That(changedReport.Repositories.Single().Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(changed.Root, Is.Not.EqualTo(first.Root));
        Assert.That(changed.FallbackRoot, Is.EqualTo(first.Root));
        Assert.That(Files(changed.Root!), Is.EqualTo(new[] { "ca/a.roa", "ca/ca.mft" }), "--delete: b.roa is gone");
        Assert.That(File.ReadAllBytes(Local(changed, "ca/a.roa")), Is.EqualTo(TestData.Blob(20)));
        Assert.That(File.Exists(Local(first, "ca/b.roa")), Is.True, "the previous generation still has it");
        Assert.That(File.ReadAllBytes(Local(first, "ca/a.roa")), Is.EqualTo(TestData.Blob(2)));
        Assert.That(LinkCount(Local(changed, "ca/ca.mft")), Is.EqualTo(2), "unchanged files are hard-linked from the previous generation");
    }

    [Test]
    public async Task A_same_size_rewrite_within_the_same_second_is_fetched()
    {
        // rsync's default quick check (size and whole-second mtime) would keep the old bytes here.
        var second = new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);
        Put("ca/ca.mft", seed: 1);
        Put("ca/ca.crl", seed: 2);
        File.SetLastWriteTimeUtc(Source("ca/ca.crl"), second.AddTicks(1_000_000));
        var (first, _) = await RunOnce();
        Assert.That(File.ReadAllBytes(Local(first, "ca/ca.crl")), Is.EqualTo(TestData.Blob(2)));

        Put("ca/ca.crl", seed: 3);
        File.SetLastWriteTimeUtc(Source("ca/ca.crl"), second.AddTicks(6_000_000));
        Assert.That(new FileInfo(Source("ca/ca.crl")).Length, Is.EqualTo(new FileInfo(Local(first, "ca/ca.crl")).Length), "same size");
        var (changed, report) = await RunOnce();
        Assert.That(report.Repositories.Single().Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(File.ReadAllBytes(Local(changed, "ca/ca.crl")), Is.EqualTo(TestData.Blob(3)), "the rewritten CRL arrived");
    }

    [Test]
    public async Task Daemon_down_fails_and_then_serves_the_cached_copy_as_stale()
    {
        Put("ca/ca.mft");
        var (first, _) = await RunOnce();
        _daemon.Stop();
        var (location, report) = await RunOnce();
        var entry = report.Repositories.Single();
        Assert.That(entry.Outcome, Is.EqualTo(FetchOutcome.Stale));
        Assert.That(entry.Error, Does.Contain("rsync exited with code"));
        Assert.That(location.Root, Is.EqualTo(first.Root));
        Assert.That(location.Error, Does.Contain("rsync exited with code"));

        using var empty = new TempDir();
        using var fetcher = new RepositoryFetcher(empty.Path, Options());
        var none = await fetcher.BeginRun().PublicationPointAsync(Request(), CancellationToken.None);
        Assert.That(none.Root, Is.Null);
        Assert.That(none.Error, Does.Contain("rsync exited with code"));
    }

    [Test]
    public async Task Unknown_module_is_an_error()
    {
        var request = new PublicationPointRequest("x", $"rsync://{Authority}/nosuchmodule/ca/", $"rsync://{Authority}/nosuchmodule/ca/m.mft", null);
        var (location, report) = await RunOnce(request: request);
        Assert.That(location.Root, Is.Null);
        Assert.That(report.Repositories.Single().Error, Does.Contain("nosuchmodule"));
    }

    [Test]
    public async Task Hung_server_is_killed_at_the_repository_deadline()
    {
        // A TCP server that accepts and never speaks: rsync waits for the greeting until we kill it.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () => { try { while (true) accepted.Add(await listener.AcceptTcpClientAsync()); } catch (Exception) { } });
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var request = new PublicationPointRequest("x", $"rsync://127.0.0.1:{port}/repo/ca/", $"rsync://127.0.0.1:{port}/repo/ca/m.mft", null);
            var sw = Stopwatch.StartNew();
            var (location, report) = await RunOnce(Options(o => o with { RepositoryTimeout = TimeSpan.FromSeconds(1), RsyncIoTimeout = TimeSpan.FromSeconds(60) }), request);
            Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
            Assert.That(report.Repositories.Single().Error, Does.Contain("deadline").And.Contain("killed"));
            Assert.That(location.Root, Is.Null);
            Assert.That(Process.GetProcessesByName("rsync").Count(p => CommandLine(p).Contains($"127.0.0.1:{port}", StringComparison.Ordinal)), Is.Zero, "no rsync left running");
        }
        finally
        {
            listener.Stop();
            foreach (var c in accepted) c.Dispose();
        }
    }

    [Test]
    public async Task RRDP_failure_without_any_RRDP_data_falls_back_to_rsync_at_once()
    {
        Put("ca/ca.mft", seed: 1);
        int port = RsyncDaemon.FreePort(); // bound and closed again: nothing listens there
        var (location, report) = await RunOnce(request: Request($"https://127.0.0.1:{port}/notification.xml"));
        Assert.That(location.Error, Is.Null, "fresh rsync data is not an error");
        Assert.That(File.ReadAllBytes(Local(location, "ca/ca.mft")), Is.EqualTo(TestData.Blob(1)));
        var rrdp = report.Repositories.Single(r => r.Kind == RepositoryKind.Rrdp);
        Assert.That(rrdp.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(rrdp.FellBackToRsync, Is.True);
        Assert.That(report.Repositories.Single(r => r.Kind == RepositoryKind.Rsync).Outcome, Is.EqualTo(FetchOutcome.Updated));
    }

    [Test]
    public async Task Offline_and_disabled_rsync_serve_the_cache()
    {
        Put("ca/ca.mft");
        var (first, _) = await RunOnce();
        var (offline, offlineReport) = await RunOnce(Options(o => o with { Offline = true }));
        Assert.That(offline.Root, Is.EqualTo(first.Root));
        Assert.That(offlineReport.Repositories.Single().Outcome, Is.EqualTo(FetchOutcome.Cached));
        var (disabled, disabledReport) = await RunOnce(Options(o => o with { RsyncEnabled = false }));
        Assert.That(disabled.Root, Is.EqualTo(first.Root));
        Assert.That(disabled.Error, Does.Contain("disabled"));
        Assert.That(disabledReport.Repositories.Single().Outcome, Is.EqualTo(FetchOutcome.Stale));
    }

    [Test]
    public async Task Missing_rsync_program_is_an_error_value()
    {
        var (location, report) = await RunOnce(Options(o => o with { RsyncPath = _dir.Sub("no-such-rsync") }));
        Assert.That(location.Root, Is.Null);
        Assert.That(report.Repositories.Single().Error, Does.Contain("cannot run"));
    }

    [Test]
    public void Arguments_are_fixed_and_the_URI_cannot_be_an_option()
    {
        var runner = new RsyncRunner(FetchOptions.Default);
        var args = (List<string>)runner.ModuleArguments(RsyncUri.Parse("rsync://rpki.example.net/repo/ca/"), "/cache/staging-1/rpki.example.net/repo", "/cache/gen-1/rpki.example.net/repo");
        Assert.That(args[0], Is.EqualTo("-rt"));
        Assert.That(args, Does.Contain("--delete").And.Contain("--no-motd").And.Contain("--contimeout=15").And.Contain("--timeout=180")
            .And.Contain("--max-size=8388608").And.Contain("--min-size=100").And.Contain("--exclude=*").And.Contain("--include=*.roa")
            .And.Contain("--link-dest=/cache/gen-1/rpki.example.net/repo"));
        Assert.That(args.Where(a => a is "-l" or "-L" or "--links" or "--copy-links" or "-a" or "-D" || (a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a != "-rt")), Is.Empty);
        Assert.That(args.IndexOf("--"), Is.EqualTo(args.Count - 3));
        Assert.That(args[^2], Is.EqualTo("rsync://rpki.example.net/repo/"));
        Assert.That(args.IndexOf("--include=*/"), Is.LessThan(args.IndexOf("--exclude=*")));
        Assert.That(args.IndexOf("--exclude=.*"), Is.LessThan(args.IndexOf("--include=*/")));
    }

    private static string CommandLine(Process p)
    {
        try { return File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private static int LinkCount(string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
