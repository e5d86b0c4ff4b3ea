using System.Collections.Concurrent;
using System.Diagnostics;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Rsync;
using RtrCache.Fetch.Store;
using RtrCache.Fetch.Uris;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;

namespace RtrCache.Fetch;

/// <summary>
/// One validation run's view of the network: the validator's <see cref="IRepositoryProvider"/>. Each repository
/// (RRDP notification URI, rsync module, TAL) is fetched at most once per run, however many CAs and worker threads
/// ask for it at the same time: the first request starts the fetch, every later one awaits the same task.
/// Fallback follows <c>../shared/spec/rrdp.md</c> §5: RRDP first; after an RRDP failure the last RRDP data is
/// served while it is younger than <see cref="FetchOptions.RrdpFallbackWindow"/>, else the CA's rsync module is
/// fetched; when everything fails the newest cached copy is served with the error attached.
/// After the validator has finished, <see cref="Report"/> lists every repository.
/// </summary>
public sealed class FetchRun : IRepositoryProvider
{
    private readonly RepositoryFetcher _fetcher;
    private readonly CancellationToken _ct;
    private readonly Stopwatch _sw = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, Lazy<Task<RrdpOutcome>>> _rrdp = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<RsyncOutcome>>> _rsync = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<string?>>> _trustAnchors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(RepositoryKind, string), RepositoryReport> _reports = new();
    private readonly ConcurrentDictionary<string, byte> _fellBack = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<SnapshotProgress>> _snapshots = new(StringComparer.Ordinal);

    internal FetchRun(RepositoryFetcher fetcher, CancellationToken ct)
    {
        _fetcher = fetcher;
        _ct = ct;
        StartedAt = fetcher.Options.Time.GetUtcNow();
    }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Repository directories this run used (kept by <see cref="RepositoryFetcher.PruneUnused"/>).</summary>
    internal ConcurrentDictionary<string, byte> UsedStores { get; } = new(StringComparer.Ordinal);

    /// <summary>Live counters for the console.</summary>
    public FetchProgress Progress { get; } = new();

    /// <summary>Every repository and TA certificate finished so far (all of them once the validator is done), by kind and URI.</summary>
    public FetchReport Report => new(
        [.. _reports.Values
            .Select(r => r.Kind == RepositoryKind.Rrdp && _fellBack.ContainsKey(r.Uri) ? r with { FellBackToRsync = true } : r)
            .OrderBy(r => r.Kind).ThenBy(r => r.Uri, StringComparer.Ordinal)],
        _sw.Elapsed);

    /// <summary>Completes when every fetch started in this run has ended (however it ended).</summary>
    public async Task CompletionAsync()
    {
        var tasks = _rrdp.Values.Select(l => (Task)l.Value)
            .Concat(_rsync.Values.Select(l => (Task)l.Value))
            .Concat(_trustAnchors.Values.Select(l => (Task)l.Value)).ToArray();
        try { await Task.WhenAll(tasks).ConfigureAwait(false); }
        catch (Exception) when (tasks.All(t => t.IsCompleted)) { }
    }

    // ------------------------------------------------------------------ IRepositoryProvider

    public async ValueTask<IReadOnlyList<string>> TrustAnchorCandidatesAsync(Tal tal, string uri, CancellationToken ct)
    {
        // One download per TAL per run, trying all its URIs; any of the TAL's URIs maps to the same cached file.
        var task = _trustAnchors.GetOrAdd(tal.Name, _ => new Lazy<Task<string?>>(() => Task.Run(() => FetchTrustAnchorAsync(tal), CancellationToken.None))).Value;
        string? path = await task.WaitAsync(ct).ConfigureAwait(false);
        return path is null ? [] : [path];
    }

    public async ValueTask<RepositoryLocation> PublicationPointAsync(PublicationPointRequest request, CancellationToken ct)
    {
        if (!RsyncUri.TryParse(request.CaRepositoryUri, out var caRepository, out var uriError))
            return new RepositoryLocation(null, null, "caRepository: " + uriError);

        RrdpOutcome? rrdp = null;
        string? rrdpError = null;
        if (request.NotifyUri is { } notifyText)
        {
            if (!HttpsUri.TryParse(notifyText, out var notify, out uriError))
            {
                rrdpError = "rpkiNotify: " + uriError;
                _fetcher.Log(FetchLogLevel.Warning, $"{request.CaCertificateUri}: {rrdpError}; using rsync");
            }
            else
            {
                var key = notify!.OriginalString;
                string authority = caRepository!.Authority;
                var fetch = _rrdp.GetOrAdd(key, _ => new Lazy<Task<RrdpOutcome>>(() => Task.Run(() => FetchRrdpAsync(notify, authority), CancellationToken.None))).Value;
                if (!fetch.IsCompleted && _fetcher.Options.EarlyValidation
                    && await WhileSnapshotAsync(key, fetch, caRepository, request, ct).ConfigureAwait(false) is { } early)
                    return early;
                rrdp = await fetch.WaitAsync(ct).ConfigureAwait(false);
                bool ours = rrdp.Authority is null || caRepository.SameAuthority(rrdp.Authority);
                if (rrdp.Usable && ours) return rrdp.Location;
                rrdpError = ours ? rrdp.Error : $"RRDP repository {key} holds objects of {rrdp.Authority}, not of {caRepository.Authority}";
                if (_fetcher.Options.RsyncEnabled) _fellBack.TryAdd(key, 0);
            }
        }

        var module = RsyncUri.Parse(caRepository!.ModuleUri);
        // Host names are case-insensitive, module names are not.
        string moduleKey = module.Authority.ToLowerInvariant() + "/" + module.Module;
        var rsync = await _rsync.GetOrAdd(moduleKey, _ => new Lazy<Task<RsyncOutcome>>(() => Task.Run(() => FetchRsyncAsync(module), CancellationToken.None)))
            .Value.WaitAsync(ct).ConfigureAwait(false);
        if (rsync.Succeeded) return rsync.Location;

        // Both failed (or RRDP was out of its window and rsync failed): serve the newest data we hold.
        string error = rrdpError is null ? rsync.Error! : $"RRDP: {rrdpError}; rsync: {rsync.Error}";
        var rrdpData = rrdp is { Location.Root: not null } && (rrdp.Authority is null || caRepository.SameAuthority(rrdp.Authority)) ? rrdp : null;
        if (rrdpData is not null && (rsync.Location.Root is null || rrdpData.LastSuccess >= rsync.LastSuccess))
            return rrdpData.Location with { Error = error };
        if (rsync.Location.Root is not null) return rsync.Location with { Error = error };
        return new RepositoryLocation(null, null, error);
    }

    /// <summary>
    /// While the repository's fetch runs: once it applies a snapshot of objects on the CA's host, waits until the
    /// directory of the CA's manifest is written and answers with the generation being written, marked
    /// provisional. Null when the fetch ends first (the caller then takes its outcome).
    /// </summary>
    private async Task<RepositoryLocation?> WhileSnapshotAsync(string key, Task<RrdpOutcome> fetch, RsyncUri caRepository, PublicationPointRequest request, CancellationToken ct)
    {
        var started = SnapshotStarted(key).Task;
        await Task.WhenAny(fetch, started).WaitAsync(ct).ConfigureAwait(false);
        if (fetch.IsCompleted || !started.IsCompletedSuccessfully) return null;
        var snapshot = started.Result;
        if (!caRepository.SameAuthority(snapshot.Authority) || !RsyncUri.TryParse(request.ManifestUri, out var manifest, out _) || !manifest!.SameAuthority(snapshot.Authority))
            return null;
        string manifestPath = manifest.LocalPath(snapshot.Root);
        await snapshot.WhenWrittenAsync(Path.GetDirectoryName(manifestPath)!).WaitAsync(ct).ConfigureAwait(false);
        if (snapshot.Completion.IsCompleted) return null;
        // Its directory is complete (or the whole snapshot is) without the manifest: there is nothing to start on
        // early, and the point is decided by the fetch's outcome like any other.
        if (!File.Exists(manifestPath)) return null;
        return new RepositoryLocation(snapshot.Root, snapshot.FallbackRoot) { Provisional = snapshot };
    }

    private TaskCompletionSource<SnapshotProgress> SnapshotStarted(string key)
        => _snapshots.GetOrAdd(key, _ => new TaskCompletionSource<SnapshotProgress>(TaskCreationOptions.RunContinuationsAsynchronously));

    // ------------------------------------------------------------------ RRDP

    /// <summary>An RRDP repository after this run's attempt.</summary>
    /// <param name="Location">Its current and previous generation, with the error when the fetch failed.</param>
    /// <param name="Error">Why this run's fetch failed; null when it worked.</param>
    /// <param name="LastSuccess">The last RRDP success (to pick the newest copy when rsync fails too).</param>
    /// <param name="Usable">Serve <see cref="Location"/> (fresh, or stale inside the fallback window, or offline).</param>
    /// <param name="Authority">The rsync host the data was accepted for; null when there is no data.</param>
    private sealed record RrdpOutcome(RepositoryLocation Location, bool Usable, string? Authority, string? Error, DateTimeOffset? LastSuccess);

    private async Task<RrdpOutcome> FetchRrdpAsync(Uri notify, string authority)
    {
        Progress.Started();
        var sw = Stopwatch.StartNew();
        long bytes = 0;
        RepositoryReport report;
        RrdpOutcome outcome;
        try
        {
            var store = _fetcher.RrdpStore(notify);
            UsedStores.TryAdd(store.Directory, 0);
            if (_fetcher.Options.Offline)
            {
                (report, outcome) = Offline(store);
            }
            else
            {
                await _fetcher.RrdpSlots.WaitAsync(_ct).ConfigureAwait(false);
                try
                {
                    await store.Gate.WaitAsync(_ct).ConfigureAwait(false);
                    try
                    {
                        sw.Restart();
                        RrdpUpdate update;
                        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_ct))
                        {
                            deadline.CancelAfter(_fetcher.Options.RepositoryTimeout);
                            try
                            {
                                update = await _fetcher.Rrdp.UpdateAsync(store, notify, authority, n => { Interlocked.Add(ref bytes, n); Progress.AddBytes(n); }, deadline.Token,
                                    snapshot => SnapshotStarted(notify.OriginalString).TrySetResult(snapshot)).ConfigureAwait(false);
                            }
                            catch (OperationCanceledException) when (!_ct.IsCancellationRequested)
                            {
                                update = new RrdpUpdate(false, $"deadline of {_fetcher.Options.RepositoryTimeout.TotalSeconds:0.###} s for the repository exceeded", null, bytes, null, []);
                            }
                        }
                        (report, outcome) = Finish(store, update, Interlocked.Read(ref bytes), sw.Elapsed);
                    }
                    finally
                    {
                        store.Gate.Release();
                    }
                }
                finally
                {
                    _fetcher.RrdpSlots.Release();
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !_ct.IsCancellationRequested)
        {
            string error = "cache: " + e.Message;
            report = new RepositoryReport { Kind = RepositoryKind.Rrdp, Uri = notify.OriginalString, Transport = FetchTransport.Rrdp, Outcome = FetchOutcome.Failed, Error = error, Duration = sw.Elapsed, BytesTransferred = bytes };
            outcome = new RrdpOutcome(new RepositoryLocation(null, null, error), false, null, error, null);
        }
        Record(report);
        return outcome;

        (RepositoryReport, RrdpOutcome) Offline(RepositoryStore store)
        {
            var state = store.CurrentRoot is { } root ? RrdpState.TryRead(root, out _) : null;
            bool have = state is not null;
            string? error = have ? null : "offline and nothing cached";
            var location = new RepositoryLocation(have ? store.CurrentRoot : null, have ? store.PreviousRoot : null, error);
            var r = new RepositoryReport
            {
                Kind = RepositoryKind.Rrdp, Uri = notify.OriginalString, Transport = FetchTransport.None,
                Outcome = have ? FetchOutcome.Cached : FetchOutcome.Failed, Error = error, LastSuccess = state?.LastSuccess,
                Serial = state?.Serial, SessionId = state?.SessionId, Location = location.Root, Duration = sw.Elapsed,
            };
            return (r, new RrdpOutcome(location, have, state?.Authority, error, state?.LastSuccess));
        }

        (RepositoryReport, RrdpOutcome) Finish(RepositoryStore store, RrdpUpdate update, long received, TimeSpan elapsed)
        {
            var state = store.CurrentRoot is { } root ? RrdpState.TryRead(root, out _) : null;
            bool have = state is not null;
            var now = _fetcher.Options.Time.GetUtcNow();
            FetchOutcome result;
            bool usable;
            if (update.Succeeded)
            {
                result = update.Changed ? FetchOutcome.Updated : FetchOutcome.Unchanged;
                usable = have;
            }
            else
            {
                result = have ? FetchOutcome.Stale : FetchOutcome.Failed;
                // Routinator's "stale" policy: keep serving RRDP data younger than the window; without rsync, any data.
                usable = have && (!_fetcher.Options.RsyncEnabled || now - state!.LastSuccess <= _fetcher.Options.RrdpFallbackWindow);
            }
            foreach (var w in update.Warnings) _fetcher.Log(FetchLogLevel.Warning, $"RRDP {notify}: {w}");
            if (update.Error is not null) _fetcher.Log(FetchLogLevel.Warning, $"RRDP {notify}: {update.Error}" + (have ? (usable ? "; serving the cached copy" : "; falling back to rsync") : ""));
            var location = new RepositoryLocation(have ? store.CurrentRoot : null, have ? store.PreviousRoot : null, update.Error);
            var r = new RepositoryReport
            {
                Kind = RepositoryKind.Rrdp, Uri = notify.OriginalString, Transport = FetchTransport.Rrdp, Outcome = result,
                Error = update.Error, Warnings = update.Warnings, Action = update.Action, BytesTransferred = received, Duration = elapsed,
                LastSuccess = state?.LastSuccess, Serial = state?.Serial, SessionId = state?.SessionId, Location = location.Root,
            };
            return (r, new RrdpOutcome(location, usable, state?.Authority, update.Error, state?.LastSuccess));
        }
    }

    // ------------------------------------------------------------------ rsync

    /// <summary>An rsync module after this run's attempt.</summary>
    private sealed record RsyncOutcome(RepositoryLocation Location, bool Succeeded, string? Error, DateTimeOffset? LastSuccess);

    private async Task<RsyncOutcome> FetchRsyncAsync(RsyncUri module)
    {
        Progress.Started();
        var sw = Stopwatch.StartNew();
        RepositoryReport report;
        RsyncOutcome outcome;
        var options = _fetcher.Options;
        try
        {
            var store = _fetcher.RsyncStore(module);
            UsedStores.TryAdd(store.Directory, 0);
            if (options.Offline || !options.RsyncEnabled)
            {
                var state = store.CurrentRoot is { } root ? RsyncState.TryRead(root) : null;
                bool have = state is not null;
                string? error = options.Offline ? (have ? null : "offline and nothing cached") : "rsync is disabled";
                var location = new RepositoryLocation(have ? store.CurrentRoot : null, have ? store.PreviousRoot : null, error);
                report = new RepositoryReport
                {
                    Kind = RepositoryKind.Rsync, Uri = module.ModuleUri, Transport = FetchTransport.None,
                    Outcome = options.Offline && have ? FetchOutcome.Cached : have ? FetchOutcome.Stale : FetchOutcome.Failed,
                    Error = error, LastSuccess = state?.LastSuccess, Location = location.Root, Duration = sw.Elapsed,
                };
                outcome = new RsyncOutcome(location, options.Offline && have, error, state?.LastSuccess);
            }
            else
            {
                await _fetcher.RsyncSlots.WaitAsync(_ct).ConfigureAwait(false);
                try
                {
                    await store.Gate.WaitAsync(_ct).ConfigureAwait(false);
                    try
                    {
                        sw.Restart();
                        RsyncUpdate update;
                        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_ct))
                        {
                            deadline.CancelAfter(options.RepositoryTimeout);
                            try
                            {
                                update = await _fetcher.Rsync.UpdateAsync(store, module, deadline.Token).ConfigureAwait(false);
                            }
                            catch (OperationCanceledException) when (!_ct.IsCancellationRequested)
                            {
                                update = new RsyncUpdate(false, $"{module.ModuleUri}: deadline of {options.RepositoryTimeout.TotalSeconds:0.###} s exceeded, rsync killed", 0, null);
                            }
                        }
                        Progress.AddBytes(update.Bytes);
                        var state = store.CurrentRoot is { } root ? RsyncState.TryRead(root) : null;
                        bool have = state is not null;
                        if (update.Error is not null) _fetcher.Log(FetchLogLevel.Warning, $"rsync {update.Error}" + (have ? "; serving the cached copy" : ""));
                        var location = new RepositoryLocation(have ? store.CurrentRoot : null, have ? store.PreviousRoot : null, update.Error);
                        report = new RepositoryReport
                        {
                            Kind = RepositoryKind.Rsync, Uri = module.ModuleUri, Transport = FetchTransport.Rsync,
                            Outcome = update.Succeeded ? (update.Changed ? FetchOutcome.Updated : FetchOutcome.Unchanged) : have ? FetchOutcome.Stale : FetchOutcome.Failed,
                            Error = update.Error, Action = update.Succeeded ? (update.Changed ? "rsync" : "rsync, no change") : null,
                            BytesTransferred = update.Bytes, Duration = sw.Elapsed, LastSuccess = state?.LastSuccess, Location = location.Root,
                        };
                        outcome = new RsyncOutcome(location, update.Succeeded && have, update.Error, state?.LastSuccess);
                    }
                    finally
                    {
                        store.Gate.Release();
                    }
                }
                finally
                {
                    _fetcher.RsyncSlots.Release();
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !_ct.IsCancellationRequested)
        {
            string error = $"{module.ModuleUri}: cache: {e.Message}";
            report = new RepositoryReport { Kind = RepositoryKind.Rsync, Uri = module.ModuleUri, Transport = FetchTransport.Rsync, Outcome = FetchOutcome.Failed, Error = error, Duration = sw.Elapsed };
            outcome = new RsyncOutcome(new RepositoryLocation(null, null, error), false, error, null);
        }
        Record(report);
        return outcome;
    }

    // ------------------------------------------------------------------ trust anchors

    private async Task<string?> FetchTrustAnchorAsync(Tal tal)
    {
        Progress.Started();
        try
        {
            var (report, path) = await _fetcher.TrustAnchors.FetchAsync(tal, Progress.AddBytes, _ct).ConfigureAwait(false);
            if (report.Error is not null)
                _fetcher.Log(FetchLogLevel.Warning, $"TAL {tal.Name}: {report.Error}" + (path is not null ? "; using the cached TA certificate" : ""));
            Record(report);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Record(new RepositoryReport { Kind = RepositoryKind.TrustAnchor, Uri = tal.Uris[0], Transport = FetchTransport.None, Outcome = FetchOutcome.Failed, Error = "cache: " + e.Message });
            return null;
        }
    }

    private void Record(RepositoryReport report)
    {
        _reports[(report.Kind, report.Uri)] = report;
        Progress.Finished(report.Outcome is FetchOutcome.Stale or FetchOutcome.Failed);
        _fetcher.Log(FetchLogLevel.Debug, report.ToString());
    }
}
