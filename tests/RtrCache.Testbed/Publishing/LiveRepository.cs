using System.Diagnostics;
using System.Globalization;

namespace RtrCache.Testbed.Publishing;

/// <summary>Options of <see cref="LiveRepository"/>.</summary>
public sealed record LiveRepositoryOptions
{
    /// <summary>
    /// Start an <see cref="RsyncDaemon"/> and name the repository host <c>127.0.0.1:PORT</c> (so every rsync
    /// URI in certificates, manifests' SIAs, the TAL and the RRDP publish elements reaches it:
    /// <c>rsync://127.0.0.1:PORT/repo/ca0/</c>). Off: the host stays <see cref="TestbedOptions.Host"/>, which
    /// nothing answers, so only RRDP works.
    /// </summary>
    public bool Rsync { get; init; } = true;

    /// <summary>Put the server's notification URI into every CA certificate (rpkiNotify). Off: rsync only.</summary>
    public bool Rrdp { get; init; } = true;

    /// <summary>List <c>https://127.0.0.1:PORT/MODULE/ta/ta.cer</c> in the TAL (before the rsync URI) and serve the TA certificate there.</summary>
    public bool HttpsTrustAnchor { get; init; } = true;

    /// <summary>Delta history and formatting of the RRDP files.</summary>
    public RrdpPublisherOptions Publisher { get; init; } = new();

    /// <summary>Port (0 = free), protocols and gzip of the HTTPS server.</summary>
    public RrdpTestServerOptions Server { get; init; } = new();

    /// <summary>Where generations, RRDP files and the rsync link live; default a new temp directory, deleted on dispose.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>Leave the work directory on disk after dispose (to look at a failed run).</summary>
    public bool KeepWorkDirectory { get; init; }
}

/// <summary>
/// A generated repository served the way a real one is: over RRDP by an <see cref="RrdpTestServer"/> (files
/// from an <see cref="RrdpPublisher"/>) and over rsync by an <see cref="RsyncDaemon"/>, with TALs whose https URI
/// names the test server. The setup an end-to-end fetcher test needs, in one call:
/// <code>
/// await using var live = await LiveRepository.StartAsync(TestbedOptions.ForScale(TestbedScale.Tiny));
/// // fetcher: --tal-dir live.TalDirectory --extra-ca live.CaCertificatePemPath
/// live.Repository.AddRoa("ca0-0", 64500);            // edit the model (ModelEdits)
/// var change = live.Republish();                      // new tree: RRDP delta (serial + 1) and rsync tree
/// var expected = live.Repository.Expected();          // what must reach the routers now
/// </code>
/// </summary>
/// <remarks>
/// <para>Ports before generation: the certificates name the server, so the server starts first (port 0, bound
/// by Kestrel — no race), the rsync daemon next (a reserved port, retried on collision before anything depends
/// on it), and only then is the repository generated with <see cref="TestbedOptions.NotifyUri"/>,
/// <see cref="TestbedOptions.HttpsTaBaseUri"/> and the host set to those ports. A fixed port per run or a
/// "localhost" host name would be simpler to cache but can collide with another test process or with a
/// previous run still in TIME_WAIT; a fresh port costs a re-render, about a second for Tiny since the keys
/// come from the on-disk pool.</para>
/// <para>The tree is rendered into the work directory (<c>gen-N/</c>), not the shared generator cache: its
/// content depends on the ports, so a cached copy would never be reused and would only fill the cache.</para>
/// <para>Each <see cref="Republish"/> renders the edited model into a new generation, points the rsync module's
/// symbolic link at it (an atomic rename, so rsync clients see the old or the new tree) and publishes the
/// difference over RRDP. The generation before the previous one is deleted.</para>
/// </remarks>
public sealed class LiveRepository : IAsyncDisposable
{
    private readonly LiveRepositoryOptions _options;
    private readonly bool _ownsWorkDirectory;
    private int _disposed;

    private LiveRepository(LiveRepositoryOptions options, string workDirectory, bool ownsWorkDirectory, RrdpTestServer server, RsyncDaemon? rsync)
    {
        _options = options;
        WorkDirectory = workDirectory;
        _ownsWorkDirectory = ownsWorkDirectory;
        Server = server;
        Rsync = rsync;
    }

    /// <summary>The model, rendered into the current generation; edit it with <see cref="ModelEdits"/>, then <see cref="Republish"/>.</summary>
    public Repository Repository { get; private set; } = null!;

    /// <summary>The HTTPS server (RRDP files under <c>/rrdp/</c>, TA certificates under <c>/MODULE/</c>).</summary>
    public RrdpTestServer Server { get; }

    /// <summary>The RRDP publisher (session, serial, fault methods).</summary>
    public RrdpPublisher Publisher { get; private set; } = null!;

    /// <summary>The rsync daemon, or null when <see cref="LiveRepositoryOptions.Rsync"/> is off.</summary>
    public RsyncDaemon? Rsync { get; private set; }

    /// <summary>Holds <c>gen-N/</c>, <c>rrdp/</c> and the rsync module link.</summary>
    public string WorkDirectory { get; }

    /// <summary>Current generation number (1 after start).</summary>
    public int Generation { get; private set; }

    /// <summary>Time to render the first generation (keys from the pool; for the timing notes).</summary>
    public TimeSpan InitialRenderTime { get; private set; }

    /// <summary>The options the repository was generated with (host, notify URI and TA base set for the ports).</summary>
    public TestbedOptions Options => Repository.Options;

    /// <summary>The current tree: <c>HOST/MODULE/...</c> below it.</summary>
    public string TreeRoot => Repository.TreeRoot;

    /// <summary>Directory of the TALs (https URI of the test server first when enabled, then the rsync URI).</summary>
    public string TalDirectory => Repository.TalDirectory;

    /// <summary>The TAL files.</summary>
    public IEnumerable<string> TalPaths => Repository.TalPaths;

    /// <summary>The notification URI in the certificates.</summary>
    public string NotificationUri => Publisher.NotificationUri;

    /// <summary>The test CA for the fetcher's <c>--extra-ca</c>.</summary>
    public string CaCertificatePemPath => Server.CaCertificatePemPath;

    /// <summary>The rsync module's path: a symbolic link to the current <c>gen-N/repo/HOST/MODULE</c>.</summary>
    public string RsyncModuleLink => Path.Combine(WorkDirectory, "rsync-module");

    /// <summary>
    /// Starts the server (and rsync daemon), generates the repository of <paramref name="options"/> for their
    /// ports and publishes it as RRDP serial 1. <see cref="TestbedOptions.Host"/>, <see cref="TestbedOptions.NotifyUri"/>
    /// and <see cref="TestbedOptions.HttpsTaBaseUri"/> of <paramref name="options"/> are replaced as
    /// <paramref name="live"/> says.
    /// </summary>
    public static async Task<LiveRepository> StartAsync(TestbedOptions options, LiveRepositoryOptions? live = null, CancellationToken ct = default)
    {
        live ??= new LiveRepositoryOptions();
        bool owns = live.WorkDirectory is null;
        var work = Path.GetFullPath(live.WorkDirectory
            ?? Path.Combine(Path.GetTempPath(), "rtrcache-live-repo", $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}"));
        Directory.CreateDirectory(work);
        RrdpTestServer? server = null;
        RsyncDaemon? rsync = null;
        LiveRepository? result = null;
        try
        {
            server = await RrdpTestServer.StartAsync(live.Server, ct).ConfigureAwait(false);
            var link = Path.Combine(work, "rsync-module");
            if (live.Rsync) rsync = RsyncDaemon.Start(options.Module, link);
            result = new LiveRepository(live, work, owns, server, rsync);

            var generated = options with
            {
                Host = rsync is null ? options.Host : $"127.0.0.1:{rsync.Port.ToString(CultureInfo.InvariantCulture)}",
                NotifyUri = live.Rrdp ? server.NotificationUri : null,
                RrdpNotify = false,
                HttpsTaBaseUri = live.HttpsTrustAnchor ? server.BaseUri : null,
                HttpsTaUri = false,
            };
            var sw = Stopwatch.StartNew();
            var repo = Repository.Build(generated);
            result.Repository = repo;
            result.Generation = 1;
            repo.WriteTo(result.GenerationDirectory(1));
            result.InitialRenderTime = sw.Elapsed;
            result.SwapRsyncLink();

            var publisherOptions = live.Publisher.SnapshotOrder == SnapshotOrder.ParentsFirst && live.Publisher.DirectoryOrder is null
                ? live.Publisher with { DirectoryOrder = repo.PublicationPointsTopDown() }
                : live.Publisher;
            result.Publisher = new RrdpPublisher(Path.Combine(work, "rrdp"), server.RrdpBaseUri, publisherOptions);
            result.Publisher.Publish(repo.TreeRoot);
            server.Serve(result.Publisher);
            result.PutTrustAnchors();
            return result;
        }
        catch
        {
            if (result is not null) await result.DisposeAsync().ConfigureAwait(false);
            else
            {
                rsync?.Dispose();
                if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
                if (owns) TryDeleteDirectory(work);
            }
            throw;
        }
    }

    private string GenerationDirectory(int n) => Path.Combine(WorkDirectory, "gen-" + n.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Renders the (edited) model as the next generation, switches rsync to it and publishes the change over
    /// RRDP (a delta with serial + 1, unless nothing changed). Returns what the delta holds.
    /// </summary>
    public RrdpPublication Republish()
    {
        int next = Generation + 1;
        Repository.WriteTo(GenerationDirectory(next));
        Generation = next;
        SwapRsyncLink();
        var publication = Publisher.Publish(Repository.TreeRoot);
        PutTrustAnchors();
        if (next >= 3) TryDeleteDirectory(GenerationDirectory(next - 2));
        return publication;
    }

    /// <summary>Stops the rsync daemon (by PID): "rsync down". <see cref="RestartRsync"/> brings it back on the same port.</summary>
    public void StopRsync() => Rsync?.Stop();

    /// <summary>Starts the rsync daemon again on the port the repository names.</summary>
    public void RestartRsync()
    {
        var old = Rsync ?? throw new InvalidOperationException("started without rsync");
        int port = old.Port;
        old.Dispose();
        Rsync = RsyncDaemon.Start(Options.Module, RsyncModuleLink, port);
    }

    /// <summary>Points <see cref="RsyncModuleLink"/> at the current generation with one rename (atomic for rsync clients).</summary>
    private void SwapRsyncLink()
    {
        var target = Path.Combine(Repository.TreeRoot, Options.Host, Options.Module);
        Directory.CreateDirectory(target);
        RsyncDaemon.SwapModuleLink(RsyncModuleLink, target);
    }

    /// <summary>Serves each TA certificate at the path of its https TAL URI.</summary>
    private void PutTrustAnchors()
    {
        if (!_options.HttpsTrustAnchor) return;
        foreach (var ta in Repository.TrustAnchors)
        {
            var file = Renderer.LocalPath(Repository.TreeRoot, ta.CertUri);
            var path = "/" + ta.CertUri["rsync://".Length..].Split('/', 2)[1];
            if (File.Exists(file)) Server.Put(path, File.ReadAllBytes(file));
            else Server.Remove(path);
        }
    }

    private static void TryDeleteDirectory(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Stops the rsync daemon (by PID) and the server, and deletes the work directory unless asked to keep it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Rsync?.Dispose();
        await Server.DisposeAsync().ConfigureAwait(false);
        if (_ownsWorkDirectory && !_options.KeepWorkDirectory) TryDeleteDirectory(WorkDirectory);
    }
}
