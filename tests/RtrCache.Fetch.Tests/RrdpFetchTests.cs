using System.Text;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Rpki.Validation;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// The fetcher against an RRDP server on loopback (Kestrel, HTTPS with a test CA given as extra CA): snapshot,
/// 304, delta chains, every reason to fall back to the snapshot, and every failure leaving the served data as it
/// was and saying why.
/// </summary>
public class RrdpFetchTests
{
    private const string Host = "rpki.example.net";
    private int _prefixes;
    private TempDir _dir = null!;
    private TestCa _ca = null!;
    private TestHttpsServer _server = null!;
    private TempDir _cache = null!;
    private RrdpPublisher _pub = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _dir = new TempDir();
        _ca = new TestCa(_dir.Path);
        _server = await TestHttpsServer.StartAsync(_ca);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _ca.Dispose();
        _dir.Dispose();
    }

    [SetUp]
    public void SetUp()
    {
        _cache = new TempDir();
        _pub = new RrdpPublisher(_server, $"/rrdp{Interlocked.Increment(ref _prefixes)}");
    }

    [TearDown] public void TearDown() => _cache.Dispose();

    private FetchOptions Options(Func<FetchOptions, FetchOptions>? edit = null)
    {
        var options = new FetchOptions
        {
            ExtraCaFiles = [_ca.RootPemPath],
            RequestTimeout = TimeSpan.FromSeconds(5),
            RepositoryTimeout = TimeSpan.FromSeconds(10),
            RsyncEnabled = false,
        };
        return edit is null ? options : edit(options);
    }

    private static string U(string path, string host = Host) => $"rsync://{host}/repo/{path}";

    private PublicationPointRequest Request(string host = Host, string? notify = null)
        => new($"rsync://{host}/repo/parent.cer", $"rsync://{host}/repo/ca/", $"rsync://{host}/repo/ca/ca.mft", notify ?? _pub.NotifyUri.ToString());

    /// <summary>One run with one publication point request; returns the location and the run's report.</summary>
    private async Task<(RepositoryLocation Location, RepositoryReport Report, FetchRun Run)> RunOnce(FetchOptions? options = null, PublicationPointRequest? request = null)
    {
        using var fetcher = new RepositoryFetcher(_cache.Path, options ?? Options());
        var run = fetcher.BeginRun();
        var location = await run.PublicationPointAsync(request ?? Request(), CancellationToken.None);
        await run.CompletionAsync();
        var report = run.Report.Repositories.First(r => r.Kind == RepositoryKind.Rrdp);
        foreach (var r in run.Report.Repositories) TestContext.Out.WriteLine(r + (r.Warnings.Count > 0 ? " warnings: " + string.Join(" | ", r.Warnings) : ""));
        return (location, report, run);
    }

    private void AssertServes(RepositoryLocation location, IDictionary<string, byte[]> objects)
    {
        Assert.That(location.Root, Is.Not.Null, location.Error);
        var files = Directory.GetFiles(Path.Combine(location.Root!, Host), "*", SearchOption.AllDirectories)
            .Select(f => "rsync://" + Path.GetRelativePath(location.Root!, f).Replace('\\', '/')).Order().ToList();
        Assert.That(files, Is.EqualTo(objects.Keys.Order().ToList()));
        foreach (var (uri, content) in objects)
            Assert.That(File.ReadAllBytes(Validator.LocalPath(location.Root!, uri)!), Is.EqualTo(content), uri);
    }

    private void PublishBase()
    {
        _pub.Publish(U("ca/ca.mft"), RrdpPublisher.Blob(1)).Publish(U("ca/ca.crl"), RrdpPublisher.Blob(2)).Publish(U("ca/a.roa"), RrdpPublisher.Blob(3)).Commit();
    }

    // ------------------------------------------------------------------ normal operation

    [Test]
    public async Task First_fetch_takes_the_snapshot()
    {
        PublishBase();
        var (location, report, run) = await RunOnce();
        AssertServes(location, _pub.Objects);
        Assert.That(location.Error, Is.Null);
        Assert.That(location.FallbackRoot, Is.Null);
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(report.Transport, Is.EqualTo(FetchTransport.Rrdp));
        Assert.That(report.Action, Is.EqualTo("snapshot 1"));
        Assert.That(report.Serial, Is.EqualTo(1));
        Assert.That(report.SessionId, Is.EqualTo(_pub.Session));
        Assert.That(report.LastSuccess, Is.Not.Null);
        Assert.That(report.BytesTransferred, Is.GreaterThan(0));
        Assert.That(run.Progress.Done, Is.EqualTo(1));
        Assert.That(run.Progress.Total, Is.EqualTo(1));
        Assert.That(run.Progress.BytesReceived, Is.EqualTo(report.BytesTransferred));
        var state = RrdpState.TryRead(location.Root!, out var error)!;
        Assert.That(state, Is.Not.Null, error);
        Assert.That(state.Authority, Is.EqualTo(Host));
        Assert.That(state.ETag, Is.Not.Null);
        Assert.That(run.Report.Summary(), Does.StartWith("1 repositories: 1 updated"));
    }

    [Test]
    public async Task Unchanged_notification_is_a_304_and_keeps_the_generation()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        var (second, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Unchanged));
        Assert.That(report.Action, Is.EqualTo("not modified"));
        Assert.That(second.Root, Is.EqualTo(first.Root));
        Assert.That(_server.Requests.Last(r => r.Path == _pub.NotificationPath).IfNoneMatch, Is.Not.Null);
        Assert.That(_server.RequestCount(_pub.SnapshotPath(1)), Is.EqualTo(1));
    }

    [Test]
    public async Task Same_serial_without_304_is_up_to_date()
    {
        PublishBase();
        await RunOnce();
        // The notification is rewritten byte-for-byte differently (new ETag) but names the same serial.
        _pub.WriteSnapshotAndNotification(n => n.Replace("</notification>", "<!-- regenerated --></notification>", StringComparison.Ordinal));
        var (_, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Unchanged));
        Assert.That(report.Action, Is.EqualTo("up to date"));
    }

    [Test]
    public async Task Delta_chain_is_applied_and_the_old_generation_becomes_the_fallback()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        var before = new Dictionary<string, byte[]>(_pub.Objects);
        _pub.Publish(U("ca/b.roa"), RrdpPublisher.Blob(4)).Publish(U("ca/ca.mft"), RrdpPublisher.Blob(5)).Commit();
        _pub.Withdraw(U("ca/a.roa")).Publish(U("ca/ca.crl"), RrdpPublisher.Blob(6)).Publish(U("ca/sub/c.cer"), RrdpPublisher.Blob(7)).Commit();

        var (second, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated), report.Error);
        Assert.That(report.Action, Is.EqualTo("deltas 2-3"));
        Assert.That(report.Serial, Is.EqualTo(3));
        AssertServes(second, _pub.Objects);
        Assert.That(second.FallbackRoot, Is.EqualTo(first.Root));
        AssertServes(new RepositoryLocation(second.FallbackRoot), before);
        Assert.That(_server.RequestCount(_pub.SnapshotPath(3)), Is.Zero, "no snapshot needed");
        var state = RrdpState.TryRead(second.Root!, out _)!;
        Assert.That(state.Deltas.Select(d => d.Serial), Is.EqualTo(new long[] { 2, 3 }));
    }

    [Test]
    public async Task Gzip_encoded_files_are_accepted()
    {
        PublishBase();
        _server.Gzip = true;
        try
        {
            var (location, report, _) = await RunOnce();
            Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated), report.Error);
            AssertServes(location, _pub.Objects);
        }
        finally
        {
            _server.Gzip = false;
        }
    }

    [Test]
    public async Task Concurrent_requests_for_one_repository_fetch_it_once()
    {
        PublishBase();
        using var fetcher = new RepositoryFetcher(_cache.Path, Options());
        var run = fetcher.BeginRun();
        var requests = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
            await run.PublicationPointAsync(new PublicationPointRequest($"rsync://{Host}/repo/c{i}.cer", $"rsync://{Host}/repo/ca{i}/", $"rsync://{Host}/repo/ca{i}/m.mft", _pub.NotifyUri.ToString()), CancellationToken.None))).ToArray();
        var locations = await Task.WhenAll(requests);
        Assert.That(locations.Select(l => l.Root).Distinct().Count(), Is.EqualTo(1));
        Assert.That(_server.RequestCount(_pub.NotificationPath), Is.EqualTo(1));
        Assert.That(run.Progress.Total, Is.EqualTo(1));
        Assert.That(run.Report.Repositories, Has.Count.EqualTo(1));
        // Asked again after completion the answer is immediate.
        var again = run.PublicationPointAsync(Request(), CancellationToken.None);
        Assert.That(again.IsCompleted, Is.True);
    }

    // ------------------------------------------------------------------ reasons for a snapshot

    [Test]
    public async Task Session_reset_takes_the_snapshot()
    {
        PublishBase();
        await RunOnce();
        _pub.Publish(U("ca/x.roa"), RrdpPublisher.Blob(8));
        _pub.ResetSession();
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 1"));
        Assert.That(report.SessionId, Is.EqualTo(_pub.Session));
        Assert.That(report.Warnings, Has.Some.Contains("session changed"));
        AssertServes(location, _pub.Objects);
    }

    [Test]
    public async Task Gap_in_the_listed_deltas_takes_the_snapshot()
    {
        PublishBase();
        await RunOnce();
        _pub.Publish(U("ca/b.roa"), RrdpPublisher.Blob(9)).Commit();
        _pub.Publish(U("ca/c.roa"), RrdpPublisher.Blob(10)).Commit();
        _pub.DropDelta(2);
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 3"));
        Assert.That(report.Warnings, Has.Some.Contains("gap"));
        AssertServes(location, _pub.Objects);
    }

    [Test]
    public async Task More_deltas_than_the_limit_take_the_snapshot()
    {
        PublishBase();
        await RunOnce();
        for (int i = 0; i < 3; i++) _pub.Publish(U($"ca/n{i}.roa"), RrdpPublisher.Blob(20 + i)).Commit();
        var (location, report, _) = await RunOnce(Options(o => o with { MaxDeltas = 2 }));
        Assert.That(report.Action, Is.EqualTo("snapshot 4"));
        Assert.That(report.Warnings, Has.Some.Contains("more than 2"));
        AssertServes(location, _pub.Objects);
    }

    [Test]
    public async Task Delta_hash_mismatch_abandons_the_chain_for_the_snapshot()
    {
        PublishBase();
        await RunOnce();
        _pub.Publish(U("ca/b.roa"), RrdpPublisher.Blob(11)).Commit();
        _server.Files[_pub.DeltaPath(2)] = Encoding.UTF8.GetBytes("tampered");
        var (location, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(report.Action, Is.EqualTo("snapshot 2"));
        Assert.That(report.Warnings, Has.Some.Contains("SHA-256").And.Some.Contains("taking the snapshot"));
        AssertServes(location, _pub.Objects);
    }

    [Test]
    public async Task Delta_that_does_not_apply_abandons_the_chain_for_the_snapshot()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        _pub.Publish(U("ca/b.roa"), RrdpPublisher.Blob(12)).Commit();
        // A well-formed delta with the right file hash whose withdraw names content we do not have.
        _pub.ReplaceDelta(2, Encoding.UTF8.GetBytes(RrdpPublisher.DeltaXml(_pub.Session, 2, $"<withdraw uri=\"{U("ca/a.roa")}\" hash=\"{new string('0', 64)}\"/>")));
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 2"));
        Assert.That(report.Warnings, Has.Some.Contains("delta 2").And.Some.Contains("current object hashes to"));
        AssertServes(location, _pub.Objects);
        Assert.That(File.Exists(Validator.LocalPath(first.Root!, U("ca/a.roa"))!), Is.True, "the old generation was not touched");
    }

    [Test]
    public async Task Changed_hash_of_an_applied_delta_is_detected_as_desynchronisation()
    {
        PublishBase();
        await RunOnce();
        _pub.Publish(U("ca/b.roa"), RrdpPublisher.Blob(13)).Commit();
        await RunOnce(); // applies delta 2 and remembers its hash
        _pub.Publish(U("ca/c.roa"), RrdpPublisher.Blob(14)).Commit();
        // The server now lists different bytes for delta 2 (RFC 9697: history was rewritten).
        var original = Encoding.UTF8.GetString(_server.Files[_pub.DeltaPath(2)]);
        _pub.ReplaceDelta(2, Encoding.UTF8.GetBytes(original.Replace("\n", "\n\n", StringComparison.Ordinal)));
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 3"));
        Assert.That(report.Warnings, Has.Some.Contains("RFC 9697"));
        AssertServes(location, _pub.Objects);
    }

    // ------------------------------------------------------------------ failures

    [Test]
    public async Task Snapshot_hash_mismatch_on_first_fetch_fails_with_no_data()
    {
        PublishBase();
        _server.Files[_pub.SnapshotPath(1)] = Encoding.UTF8.GetBytes(RrdpPublisher.SnapshotXml(_pub.Session, 1, ""));
        var (location, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("SHA-256"));
        Assert.That(location.Root, Is.Null);
        Assert.That(location.Error, Does.Contain("SHA-256"));
        Assert.That(Directory.GetDirectories(Path.Combine(_cache.Path, "rrdp"), "*", SearchOption.AllDirectories).Where(d => Path.GetFileName(d).StartsWith("staging-", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task Truncated_snapshot_after_a_reset_keeps_the_old_data_and_reports_stale()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        var before = new Dictionary<string, byte[]>(_pub.Objects);
        _pub.Publish(U("ca/x.roa"), RrdpPublisher.Blob(15));
        _pub.ResetSession();
        var full = _server.Files[_pub.SnapshotPath(1)];
        _pub.ReplaceSnapshot(full[..(full.Length / 2)]);
        var (location, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Stale));
        Assert.That(report.Error, Does.Contain("snapshot 1").And.Contain("malformed XML"));
        Assert.That(location.Root, Is.EqualTo(first.Root));
        Assert.That(location.Error, Is.EqualTo(report.Error));
        AssertServes(location, before);
    }

    [TestCase(500)]
    [TestCase(404)]
    public async Task Notification_error_serves_the_last_data_inside_the_fallback_window(int status)
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        _server.Handlers[_pub.NotificationPath] = ctx => { ctx.Response.StatusCode = status; return Task.CompletedTask; };
        try
        {
            var (location, report, run) = await RunOnce();
            Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Stale));
            Assert.That(report.Error, Does.Contain($"HTTP {status}"));
            Assert.That(location.Root, Is.EqualTo(first.Root));
            Assert.That(location.Error, Does.Contain($"HTTP {status}"));
            Assert.That(run.Progress.Failed, Is.EqualTo(1));
        }
        finally
        {
            _server.Handlers.TryRemove(_pub.NotificationPath, out _);
        }
    }

    [Test]
    public async Task Notification_error_without_any_data_fails()
    {
        var (location, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("HTTP 404"));
        Assert.That(location.Root, Is.Null);
    }

    [Test]
    public async Task Object_on_a_foreign_host_fails_the_snapshot_naming_the_URI()
    {
        _pub.Publish(U("ca/ok.roa"), RrdpPublisher.Blob(16)).Publish("rsync://victim.example.org/repo/planted.roa", RrdpPublisher.Blob(17)).Commit();
        var messages = new List<string>();
        var (location, report, _) = await RunOnce(Options(o => o with { Log = (_, m) => { lock (messages) messages.Add(m); } }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("rsync://victim.example.org/repo/planted.roa"));
        Assert.That(messages, Has.Some.Contains("rsync://victim.example.org/repo/planted.roa"));
        Assert.That(location.Root, Is.Null);
        Assert.That(Directory.EnumerateFiles(_cache.Path, "planted.roa", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public async Task Oversized_snapshot_is_refused()
    {
        for (int i = 0; i < 20; i++) _pub.Publish(U($"ca/o{i}.roa"), RrdpPublisher.Blob(i, 1000));
        _pub.Commit();
        var (_, report, _) = await RunOnce(Options(o => o with { MaxRrdpFileBytes = 10_000 }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("10000 byte limit"));
    }

    [Test]
    public async Task Oversized_object_is_refused()
    {
        _pub.Publish(U("ca/huge.cer"), new byte[5000]).Commit();
        var (_, report, _) = await RunOnce(Options(o => o with { MaxObjectBytes = 4096 }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("larger than 4096 bytes"));
    }

    [Test]
    public async Task Slow_drip_snapshot_hits_the_repository_deadline()
    {
        PublishBase();
        _server.Handlers[_pub.SnapshotPath(1)] = async ctx =>
        {
            ctx.Response.ContentLength = 1_000_000;
            try
            {
                while (!ctx.RequestAborted.IsCancellationRequested)
                {
                    await ctx.Response.Body.WriteAsync(new byte[] { (byte)' ' }, ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    await Task.Delay(50, ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
        };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (location, report, _) = await RunOnce(Options(o => o with { RepositoryTimeout = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(30) }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("deadline"));
        Assert.That(location.Root, Is.Null);
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)));
    }

    [Test]
    public async Task Billion_laughs_notification_fails_harmlessly()
    {
        _server.Files[_pub.NotificationPath] = Encoding.UTF8.GetBytes("""
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
            <notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="&lol2;" serial="1"/>
            """);
        var (_, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("DTD"));
    }

    [Test]
    public async Task Without_the_extra_CA_the_fetch_fails_on_the_certificate()
    {
        PublishBase();
        var (_, report, _) = await RunOnce(Options(o => o with { ExtraCaFiles = [] }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("certificate").IgnoreCase.Or.Contain("SSL"));
    }

    [Test]
    public async Task A_CA_on_another_host_is_not_served_from_this_repository()
    {
        PublishBase();
        using var fetcher = new RepositoryFetcher(_cache.Path, Options());
        var run = fetcher.BeginRun();
        var ours = await run.PublicationPointAsync(Request(), CancellationToken.None);
        var other = await run.PublicationPointAsync(Request(host: "other.example.net"), CancellationToken.None);
        Assert.That(ours.Root, Is.Not.Null);
        Assert.That(other.Root, Is.Null);
        Assert.That(other.Error, Does.Contain("holds objects of rpki.example.net"));
    }

    [Test]
    public async Task Invalid_caRepository_is_an_error_value()
    {
        using var fetcher = new RepositoryFetcher(_cache.Path, Options());
        var run = fetcher.BeginRun();
        var location = await run.PublicationPointAsync(new PublicationPointRequest("rsync://h/m/c.cer", "rsync://h/../x/", "rsync://h/m/x.mft", null), CancellationToken.None);
        Assert.That(location.Root, Is.Null);
        Assert.That(location.Error, Does.Contain("caRepository"));
    }

    // ------------------------------------------------------------------ fallback window, offline, restart

    [Test]
    public async Task Rsync_fallback_happens_only_when_the_RRDP_data_is_older_than_the_window()
    {
        // rsync is enabled but points at a closed port on loopback, so the fallback is visible and fails fast.
        string authority = "127.0.0.1:" + ClosedPort();
        _pub.Publish(U("ca/ca.mft", authority), RrdpPublisher.Blob(30)).Commit();
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = Options(o => o with { RsyncEnabled = true, Time = time, RrdpFallbackWindow = TimeSpan.FromHours(1), RsyncIoTimeout = TimeSpan.FromSeconds(5) });
        var (first, _, _) = await RunOnce(options, Request(authority));
        Assert.That(first.Root, Is.Not.Null, first.Error);

        _server.Handlers[_pub.NotificationPath] = ctx => { ctx.Response.StatusCode = 503; return Task.CompletedTask; };
        try
        {
            time.Now += TimeSpan.FromMinutes(30);
            var (inside, insideReport, insideRun) = await RunOnce(options, Request(authority));
            Assert.That(insideReport.Outcome, Is.EqualTo(FetchOutcome.Stale));
            Assert.That(insideReport.FellBackToRsync, Is.False);
            Assert.That(insideRun.Report.Repositories.Where(r => r.Kind == RepositoryKind.Rsync), Is.Empty);
            Assert.That(inside.Root, Is.EqualTo(first.Root));

            time.Now += TimeSpan.FromHours(2);
            var (outside, outsideReport, outsideRun) = await RunOnce(options, Request(authority));
            Assert.That(outsideRun.Report.Repositories.Where(r => r.Kind == RepositoryKind.Rrdp).Single().FellBackToRsync, Is.True);
            var rsync = outsideRun.Report.Repositories.Single(r => r.Kind == RepositoryKind.Rsync);
            Assert.That(rsync.Outcome, Is.EqualTo(FetchOutcome.Failed));
            Assert.That(rsync.Uri, Is.EqualTo($"rsync://{authority}/repo/"));
            // Both failed: the RRDP copy is still the newest data, served with both errors.
            Assert.That(outside.Root, Is.EqualTo(first.Root));
            Assert.That(outside.Error, Does.Contain("RRDP: ").And.Contain("HTTP 503").And.Contain("rsync: "));
            Assert.That(outsideReport.Outcome, Is.EqualTo(FetchOutcome.Stale));
        }
        finally
        {
            _server.Handlers.TryRemove(_pub.NotificationPath, out _);
        }
    }

    [Test]
    public async Task Offline_mode_serves_the_cache_without_network()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        int requests = _server.Requests.Count;
        var (offline, report, _) = await RunOnce(Options(o => o with { Offline = true }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Cached));
        Assert.That(report.Transport, Is.EqualTo(FetchTransport.None));
        Assert.That(offline.Root, Is.EqualTo(first.Root));
        Assert.That(_server.Requests.Count, Is.EqualTo(requests));

        using var empty = new TempDir();
        using var fetcher = new RepositoryFetcher(empty.Path, Options(o => o with { Offline = true }));
        var nothing = await fetcher.BeginRun().PublicationPointAsync(Request(), CancellationToken.None);
        Assert.That(nothing.Root, Is.Null);
        Assert.That(nothing.Error, Does.Contain("offline"));
    }

    [Test]
    public async Task Restart_after_a_crash_mid_update_continues_from_the_committed_state()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        // What a kill -9 while applying a delta leaves: a hard-link copy with some changes, and a download.
        string repoDir = Path.GetDirectoryName(first.Root!)!;
        string staging = Path.Combine(repoDir, "staging-0123456789abcdef");
        Directory.CreateDirectory(Path.Combine(staging, Host, "repo", "ca"));
        File.WriteAllBytes(Path.Combine(staging, Host, "repo", "ca", "a.roa"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(repoDir, "delta-0123.tmp"), [4, 5, 6]);

        _pub.Publish(U("ca/b.roa"), RrdpPublisher.Blob(31)).Commit();
        var (second, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("deltas 2-2"));
        AssertServes(second, _pub.Objects);
        Assert.That(Directory.Exists(staging), Is.False);
        Assert.That(File.Exists(Path.Combine(repoDir, "delta-0123.tmp")), Is.False);
    }

    [Test]
    public async Task Unreadable_state_in_the_cache_means_a_fresh_snapshot()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        File.WriteAllText(Path.Combine(first.Root!, RrdpState.FileName), "{ not json");
        var (second, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 1"));
        Assert.That(report.Warnings, Has.Some.Contains("RRDP state"));
        AssertServes(second, _pub.Objects);
    }

    [Test]
    public async Task Repositories_unused_for_longer_than_the_limit_are_pruned()
    {
        PublishBase();
        var other = new RrdpPublisher(_server, $"/rrdp{Interlocked.Increment(ref _prefixes)}");
        other.Publish(U("x/y.roa", "other.example.net"), RrdpPublisher.Blob(40)).Commit();
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var fetcher = new RepositoryFetcher(_cache.Path, Options(o => o with { Time = time }));
        var first = fetcher.BeginRun();
        var a = await first.PublicationPointAsync(Request(), CancellationToken.None);
        var b = await first.PublicationPointAsync(Request("other.example.net", other.NotifyUri.ToString()), CancellationToken.None);
        Assert.That(fetcher.PruneUnused(first, TimeSpan.FromDays(30)), Is.Empty);

        time.Now += TimeSpan.FromDays(10);
        var second = fetcher.BeginRun();
        await second.PublicationPointAsync(Request(), CancellationToken.None);
        Assert.That(fetcher.PruneUnused(second, TimeSpan.FromDays(30)), Is.Empty, "unused for only 10 days");

        time.Now += TimeSpan.FromDays(25);
        var third = fetcher.BeginRun();
        await third.PublicationPointAsync(Request(), CancellationToken.None);
        var pruned = fetcher.PruneUnused(third, TimeSpan.FromDays(30));
        Assert.That(pruned, Is.EqualTo(new[] { Path.GetDirectoryName(b.Root!) }));
        Assert.That(Directory.Exists(Path.GetDirectoryName(b.Root!)), Is.False);
        Assert.That(Directory.Exists(Path.GetDirectoryName(a.Root!)), Is.True);

        // The pruned repository is simply fetched anew when a CA needs it again.
        var fourth = fetcher.BeginRun();
        var again = await fourth.PublicationPointAsync(Request("other.example.net", other.NotifyUri.ToString()), CancellationToken.None);
        Assert.That(again.Root, Is.Not.Null, again.Error);
        Assert.That(fourth.Report.Repositories.Single().Action, Is.EqualTo("snapshot 1"));
    }

    [Test]
    public void A_second_fetcher_on_the_same_cache_is_refused()
    {
        using var fetcher = new RepositoryFetcher(_cache.Path, Options());
        Assert.Throws<IOException>(() => new RepositoryFetcher(_cache.Path, Options()).Dispose());
    }

    [Test]
    public async Task Cancelling_the_run_cancels_the_fetch()
    {
        PublishBase();
        _server.Handlers[_pub.SnapshotPath(1)] = async ctx => { try { await Task.Delay(10_000, ctx.RequestAborted); } catch (OperationCanceledException) { } };
        using var fetcher = new RepositoryFetcher(_cache.Path, Options());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var run = fetcher.BeginRun(cts.Token);
        Assert.CatchAsync<OperationCanceledException>(async () => await run.PublicationPointAsync(Request(), CancellationToken.None));
        await run.CompletionAsync();
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
