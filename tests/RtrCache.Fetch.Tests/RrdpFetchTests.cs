using System.Text;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Rpki.Validation;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// The fetcher against the shared RRDP harness on loopback (<see cref="RrdpTestServer"/>: Kestrel, HTTPS with its
/// test CA given as extra CA; <see cref="RrdpPublisher"/> publishing a tree the test writes): snapshot, 304, delta
/// chains, every reason to fall back to the snapshot, and every failure leaving the served data as it was and
/// saying why.
/// </summary>
public class RrdpFetchTests
{
    private const string Host = "rpki.example.net";
    private int _prefixes;
    private RrdpTestServer _server = null!;
    private TempDir _cache = null!;
    private TempDir _work = null!;
    private RrdpPublisher _pub = null!;

    /// <summary>The repository as the test wants it published: <c>HOST/MODULE/path</c>, one file per object.</summary>
    private string _tree = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await RrdpTestServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [SetUp]
    public void SetUp()
    {
        _cache = new TempDir();
        _work = new TempDir();
        _tree = _work.Sub("tree");
        Directory.CreateDirectory(_tree);
        _pub = NewPublisher("rrdp");
    }

    [TearDown]
    public void TearDown()
    {
        _server.ClearFaults();
        _cache.Dispose();
        _work.Dispose();
    }

    /// <summary>A publisher served under a path of its own, so no test sees another's files, faults or requests.</summary>
    private RrdpPublisher NewPublisher(string directory)
    {
        var publisher = new RrdpPublisher(_work.Sub(directory), $"{_server.BaseUri}rrdp{Interlocked.Increment(ref _prefixes)}/");
        _server.Serve(publisher);
        return publisher;
    }

    /// <summary>Creates or replaces the object <paramref name="uri"/> in <paramref name="tree"/> (default: the test's tree) for the next <see cref="Commit"/>.</summary>
    private void Put(string uri, byte[] content, string? tree = null)
    {
        string path = Path.Combine(tree ?? _tree, uri["rsync://".Length..]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    /// <summary>Withdraws <paramref name="uri"/> in the next <see cref="Commit"/>.</summary>
    private void Delete(string uri) => File.Delete(Path.Combine(_tree, uri["rsync://".Length..]));

    /// <summary>Makes the tree the next serial (the first: snapshot only; later: delta, snapshot, notification).</summary>
    private RrdpPublication Commit()
    {
        var publication = _pub.Publish(_tree);
        Assert.That(publication.IsUnchanged, Is.False, "a commit must change something");
        return publication;
    }

    /// <summary>What the publisher now serves: rsync URI → content.</summary>
    private Dictionary<string, byte[]> Objects()
        => Directory.EnumerateFiles(_tree, "*", SearchOption.AllDirectories)
            .ToDictionary(f => "rsync://" + Path.GetRelativePath(_tree, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);

    private RrdpFileInfo Delta(long serial) => _pub.AllDeltas.Single(d => d.Serial == serial);

    private int RequestCount(string path) => _server.RequestsFor(path).Count;

    private FetchOptions Options(Func<FetchOptions, FetchOptions>? edit = null)
    {
        var options = new FetchOptions
        {
            ExtraCaFiles = [_server.CaCertificatePemPath],
            RequestTimeout = TimeSpan.FromSeconds(5),
            RepositoryTimeout = TimeSpan.FromSeconds(10),
            RsyncEnabled = false,
            // Deterministic: the tests that expect deltas must get them (the dice have tests of their own).
            RandomEarlySnapshot = false,
            // These tests look at the final location of each fetch; handing a snapshot's points over while it is
            // still provisional has tests of its own (EarlyValidationTests, SnapshotProgressTests).
            EarlyValidation = false,
        };
        return edit is null ? options : edit(options);
    }

    private static string U(string path, string host = Host) => $"rsync://{host}/repo/{path}";

    private PublicationPointRequest Request(string host = Host, string? notify = null)
        => new($"rsync://{host}/repo/parent.cer", $"rsync://{host}/repo/ca/", $"rsync://{host}/repo/ca/ca.mft", notify ?? _pub.NotificationUri);

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
        Put(U("ca/ca.mft"), TestData.Blob(1));
        Put(U("ca/ca.crl"), TestData.Blob(2));
        Put(U("ca/a.roa"), TestData.Blob(3));
        Commit();
    }

    // ------------------------------------------------------------------ normal operation

    [Test]
    public async Task First_fetch_takes_the_snapshot()
    {
        PublishBase();
        var (location, report, run) = await RunOnce();
        AssertServes(location, Objects());
        Assert.That(location.Error, Is.Null);
        Assert.That(location.FallbackRoot, Is.Null);
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(report.Transport, Is.EqualTo(FetchTransport.Rrdp));
        Assert.That(report.Action, Is.EqualTo("snapshot 1"));
        Assert.That(report.Serial, Is.EqualTo(1));
        Assert.That(report.SessionId, Is.EqualTo(_pub.SessionId));
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

    /// <summary>A <see cref="Random"/> that always throws the same number.</summary>
    private sealed class FixedDice(double value) : Random
    {
        public override double NextDouble() => value;
    }

    // An hour after the previous run the chance is 2^weeks/4096; ten minutes after it, a sixth of that, about.
    [TestCase(0, 60, 0.0, true)]
    [TestCase(0, 60, 1.0 / 4096 - 1e-9, true)]
    [TestCase(0, 60, 1.0 / 4096 + 1e-9, false)]
    [TestCase(0, 10, 1.0 / 4096 / 6 * 0.99, true)]
    [TestCase(0, 10, 1.0 / 4096 / 6 * 1.01, false)]
    [TestCase(11, 60, 0.49, true)]
    [TestCase(11, 60, 0.51, false)]
    public async Task Deltas_give_way_to_an_early_snapshot_with_chance_two_to_the_weeks_over_4096_per_hour(int weeks, int minutesSinceLastRun, double dice, bool snapshot)
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = Options(o => o with { Time = time, RandomEarlySnapshot = true, Random = new FixedDice(dice) });
        PublishBase();
        await RunOnce(options);
        // The snapshot is `weeks` old and the previous run (nothing new then) `minutesSinceLastRun` ago.
        var last = TimeSpan.FromDays(7 * weeks) - TimeSpan.FromMinutes(minutesSinceLastRun);
        if (last > TimeSpan.Zero)
        {
            time.Now += last;
            var (_, quiet, _) = await RunOnce(options);
            Assert.That(quiet.Action, Is.EqualTo("not modified"));
        }
        time.Now += TimeSpan.FromMinutes(minutesSinceLastRun);
        Put(U("ca/b.roa"), TestData.Blob(4));
        Commit();

        var (location, report, _) = await RunOnce(options);
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated), report.Error);
        if (snapshot)
        {
            Assert.That(report.Action, Is.EqualTo($"snapshot 2 (taken early at random to resynchronise: {weeks} week(s) since the last, chance 2^{weeks}/4096 per hour)"));
            Assert.That(RequestCount(_pub.Snapshot!.UrlPath), Is.EqualTo(1), "serial 2's snapshot was fetched");
            Assert.That(report.Warnings, Is.Empty, "routine, not a warning");
            Assert.That(RrdpState.TryRead(location.Root!, out _)!.LastSnapshot, Is.EqualTo(time.Now));
        }
        else
        {
            Assert.That(report.Action, Is.EqualTo("deltas 2-2"));
            Assert.That(RequestCount(_pub.Snapshot!.UrlPath), Is.Zero, "serial 2's snapshot was not needed");
        }
        AssertServes(location, Objects());
    }

    [Test]
    public async Task A_notification_unchanged_for_more_than_a_day_is_reported()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = Options(o => o with { Time = time });
        PublishBase();
        var (_, first, _) = await RunOnce(options);
        Assert.That(first.Action, Is.EqualTo("snapshot 1"));

        time.Now += TimeSpan.FromHours(23);
        var (_, quiet, _) = await RunOnce(options);
        Assert.That(quiet.Action, Is.EqualTo("not modified"));
        Assert.That(quiet.Warnings, Is.Empty, "a day has not passed");

        time.Now += TimeSpan.FromHours(2);
        var (_, stale, _) = await RunOnce(options);
        Assert.That(stale.Outcome, Is.EqualTo(FetchOutcome.Unchanged), "still served: only reported");
        Assert.That(stale.Warnings, Has.Some.EqualTo("notification unchanged at serial 1 since 2026-01-01 00:00:00Z (more than 24 h): the repository may have stopped publishing"));

        // A change starts the clock again.
        Put(U("ca/b.roa"), TestData.Blob(4));
        Commit();
        var (_, changed, _) = await RunOnce(options);
        Assert.That(changed.Action, Is.EqualTo("deltas 2-2"));
        time.Now += TimeSpan.FromHours(1);
        var (_, after, _) = await RunOnce(options);
        Assert.That(after.Warnings, Is.Empty);
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
        Assert.That(_server.Requests.Last(r => r.Path == _pub.NotificationUrlPath).Header("If-None-Match"), Is.Not.Null);
        Assert.That(RequestCount(_pub.Snapshot!.UrlPath), Is.EqualTo(1));
    }

    [Test]
    public async Task Same_serial_without_304_is_up_to_date()
    {
        PublishBase();
        await RunOnce();
        // The notification is rewritten byte-for-byte differently (new ETag) but names the same serial.
        string notification = File.ReadAllText(_pub.NotificationPath);
        Assert.That(notification, Does.Contain("</notification>"));
        _server.Put(_pub.NotificationUrlPath, Encoding.UTF8.GetBytes(notification.Replace("</notification>", "<!-- regenerated --></notification>", StringComparison.Ordinal)));
        var (_, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Unchanged));
        Assert.That(report.Action, Is.EqualTo("up to date"));
    }

    [Test]
    public async Task Delta_chain_is_applied_and_the_old_generation_becomes_the_fallback()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        var before = Objects();
        Put(U("ca/b.roa"), TestData.Blob(4));
        Put(U("ca/ca.mft"), TestData.Blob(5));
        Commit();
        Delete(U("ca/a.roa"));
        Put(U("ca/ca.crl"), TestData.Blob(6));
        Put(U("ca/sub/c.cer"), TestData.Blob(7));
        Commit();

        var (second, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated), report.Error);
        Assert.That(report.Action, Is.EqualTo("deltas 2-3"));
        Assert.That(report.Serial, Is.EqualTo(3));
        AssertServes(second, Objects());
        Assert.That(second.FallbackRoot, Is.EqualTo(first.Root));
        AssertServes(new RepositoryLocation(second.FallbackRoot), before);
        Assert.That(_pub.Snapshot!.Serial, Is.EqualTo(3));
        Assert.That(RequestCount(_pub.Snapshot.UrlPath), Is.Zero, "no snapshot needed");
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
            AssertServes(location, Objects());
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
            await run.PublicationPointAsync(new PublicationPointRequest($"rsync://{Host}/repo/c{i}.cer", $"rsync://{Host}/repo/ca{i}/", $"rsync://{Host}/repo/ca{i}/m.mft", _pub.NotificationUri), CancellationToken.None))).ToArray();
        var locations = await Task.WhenAll(requests);
        Assert.That(locations.Select(l => l.Root).Distinct().Count(), Is.EqualTo(1));
        Assert.That(RequestCount(_pub.NotificationUrlPath), Is.EqualTo(1));
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
        Put(U("ca/x.roa"), TestData.Blob(8));
        _pub.NewSession(_tree);
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 1"));
        Assert.That(report.SessionId, Is.EqualTo(_pub.SessionId));
        Assert.That(report.Warnings, Has.Some.Contains("session changed"));
        AssertServes(location, Objects());
    }

    [Test]
    public async Task Gap_in_the_listed_deltas_takes_the_snapshot()
    {
        PublishBase();
        await RunOnce();
        Put(U("ca/b.roa"), TestData.Blob(9));
        Commit();
        Put(U("ca/c.roa"), TestData.Blob(10));
        Commit();
        _pub.DropDelta(2);
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 3"));
        Assert.That(report.Warnings, Has.Some.Contains("gap"));
        AssertServes(location, Objects());
    }

    [Test]
    public async Task More_deltas_than_the_limit_take_the_snapshot()
    {
        PublishBase();
        await RunOnce();
        for (int i = 0; i < 3; i++)
        {
            Put(U($"ca/n{i}.roa"), TestData.Blob(20 + i));
            Commit();
        }
        var (location, report, _) = await RunOnce(Options(o => o with { MaxDeltas = 2 }));
        Assert.That(report.Action, Is.EqualTo("snapshot 4"));
        Assert.That(report.Warnings, Has.Some.Contains("more than 2"));
        AssertServes(location, Objects());
    }

    [Test]
    public async Task Delta_hash_mismatch_abandons_the_chain_for_the_snapshot()
    {
        PublishBase();
        await RunOnce();
        Put(U("ca/b.roa"), TestData.Blob(11));
        Commit();
        // The notification lists a hash the delta's bytes do not have.
        _pub.CorruptDeltaHash(2);
        var (location, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Updated));
        Assert.That(report.Action, Is.EqualTo("snapshot 2"));
        Assert.That(report.Warnings, Has.Some.Contains("SHA-256").And.Some.Contains("taking the snapshot"));
        AssertServes(location, Objects());
    }

    [Test]
    public async Task Delta_that_does_not_apply_abandons_the_chain_for_the_snapshot()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        Put(U("ca/b.roa"), TestData.Blob(12));
        Commit();
        // A well-formed delta with the right file hash whose withdraw names content we do not have.
        _pub.ReplaceDelta(2, Encoding.UTF8.GetBytes(RrdpPublisher.DeltaXml(_pub.SessionId, 2, $"<withdraw uri=\"{U("ca/a.roa")}\" hash=\"{new string('0', 64)}\"/>")));
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 2"));
        Assert.That(report.Warnings, Has.Some.Contains("delta 2").And.Some.Contains("current object hashes to"));
        AssertServes(location, Objects());
        Assert.That(File.Exists(Validator.LocalPath(first.Root!, U("ca/a.roa"))!), Is.True, "the old generation was not touched");
    }

    [Test]
    public async Task Changed_hash_of_an_applied_delta_is_detected_as_desynchronisation()
    {
        PublishBase();
        await RunOnce();
        Put(U("ca/b.roa"), TestData.Blob(13));
        Commit();
        await RunOnce(); // applies delta 2 and remembers its hash
        Put(U("ca/c.roa"), TestData.Blob(14));
        Commit();
        // The server now lists different bytes for delta 2 (RFC 9697: history was rewritten).
        var original = File.ReadAllText(Delta(2).FilePath);
        _pub.ReplaceDelta(2, Encoding.UTF8.GetBytes(original.Replace("\n", "\n\n", StringComparison.Ordinal)));
        var (location, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("snapshot 3"));
        Assert.That(report.Warnings, Has.Some.Contains("RFC 9697"));
        AssertServes(location, Objects());
    }

    // ------------------------------------------------------------------ failures

    [Test]
    public async Task Snapshot_hash_mismatch_on_first_fetch_fails_with_no_data()
    {
        PublishBase();
        // The notification lists a hash the snapshot's bytes do not have.
        _pub.CorruptSnapshotHash();
        var (location, report, _) = await RunOnce();
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("SHA-256"));
        Assert.That(location.Root, Is.Null);
        Assert.That(location.Error, Does.Contain("SHA-256"));
        Assert.That(Directory.GetDirectories(Path.Combine(_cache.Path, "rrdp"), "*", SearchOption.AllDirectories)
            .Where(d => Path.GetFileName(d).StartsWith("staging-", StringComparison.Ordinal) || Path.GetFileName(d).StartsWith("gen-", StringComparison.Ordinal)), Is.Empty,
            "the generation the snapshot was streamed into is gone");
    }

    [Test]
    public async Task Truncated_snapshot_after_a_reset_keeps_the_old_data_and_reports_stale()
    {
        PublishBase();
        var (first, _, _) = await RunOnce();
        var before = Objects();
        Put(U("ca/x.roa"), TestData.Blob(15));
        _pub.NewSession(_tree);
        // Half the new snapshot, listed with its own hash: the download is fine, the XML is not.
        var full = File.ReadAllBytes(_pub.Snapshot!.FilePath);
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
        _server.SetFault(_pub.NotificationUrlPath, HttpFault.Status(status));
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
            _server.ClearFault(_pub.NotificationUrlPath);
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
        Put(U("ca/ok.roa"), TestData.Blob(16));
        Put("rsync://victim.example.org/repo/planted.roa", TestData.Blob(17));
        Commit();
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
        for (int i = 0; i < 20; i++) Put(U($"ca/o{i}.roa"), TestData.Blob(i, 1000));
        Commit();
        var (_, report, _) = await RunOnce(Options(o => o with { MaxRrdpFileBytes = 10_000 }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("10000 byte limit"));
    }

    [Test]
    public async Task Oversized_object_is_refused()
    {
        Put(U("ca/huge.cer"), new byte[5000]);
        Commit();
        var (_, report, _) = await RunOnce(Options(o => o with { MaxObjectBytes = 4096 }));
        Assert.That(report.Outcome, Is.EqualTo(FetchOutcome.Failed));
        Assert.That(report.Error, Does.Contain("larger than 4096 bytes"));
    }

    [Test]
    public async Task Slow_drip_snapshot_hits_the_repository_deadline()
    {
        PublishBase();
        // The snapshot at 20 bytes a second: minutes for the whole file, each read still making progress.
        _server.SetFault(_pub.Snapshot!.UrlPath, HttpFault.SlowDrip(20));
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
        // A notification with a DOCTYPE of nested entities (10^9 "lol"s when expanded).
        _server.SetFault(_pub.NotificationUrlPath, HttpFault.BillionLaughs);
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
        string authority = "127.0.0.1:" + RsyncDaemon.FreePort();
        Put(U("ca/ca.mft", authority), TestData.Blob(30));
        Commit();
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = Options(o => o with { RsyncEnabled = true, Time = time, RrdpFallbackWindow = TimeSpan.FromHours(1), RsyncIoTimeout = TimeSpan.FromSeconds(5) });
        var (first, _, _) = await RunOnce(options, Request(authority));
        Assert.That(first.Root, Is.Not.Null, first.Error);

        _server.SetFault(_pub.NotificationUrlPath, HttpFault.Status(503));
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
            _server.ClearFault(_pub.NotificationUrlPath);
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

        Put(U("ca/b.roa"), TestData.Blob(31));
        Commit();
        var (second, report, _) = await RunOnce();
        Assert.That(report.Action, Is.EqualTo("deltas 2-2"));
        AssertServes(second, Objects());
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
        AssertServes(second, Objects());
    }

    [Test]
    public async Task Repositories_unused_for_longer_than_the_limit_are_pruned()
    {
        PublishBase();
        var other = NewPublisher("rrdp-other");
        string otherTree = _work.Sub("tree-other");
        Put(U("x/y.roa", "other.example.net"), TestData.Blob(40), otherTree);
        other.Publish(otherTree);
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var fetcher = new RepositoryFetcher(_cache.Path, Options(o => o with { Time = time }));
        var first = fetcher.BeginRun();
        var a = await first.PublicationPointAsync(Request(), CancellationToken.None);
        var b = await first.PublicationPointAsync(Request("other.example.net", other.NotificationUri), CancellationToken.None);
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
        var again = await fourth.PublicationPointAsync(Request("other.example.net", other.NotificationUri), CancellationToken.None);
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
        _server.SetFault(_pub.Snapshot!.UrlPath, HttpFault.Hang);
        using var fetcher = new RepositoryFetcher(_cache.Path, Options());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var run = fetcher.BeginRun(cts.Token);
        Assert.CatchAsync<OperationCanceledException>(async () => await run.PublicationPointAsync(Request(), CancellationToken.None));
        await run.CompletionAsync();
    }
}
