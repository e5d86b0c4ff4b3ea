using System.IO.Pipelines;
using RtrCache.Fetch.Http;
using RtrCache.Fetch.Store;

namespace RtrCache.Fetch.Rrdp;

/// <summary>What one RRDP update of a repository did.</summary>
/// <param name="Changed">True when a new generation was committed.</param>
/// <param name="Error">Why the update failed (nothing was changed on disk); null on success.</param>
/// <param name="Action">What was done, for the report: "not modified", "up to date", "snapshot 7", "deltas 5-7"; null on failure.</param>
/// <param name="Bytes">Bytes received over HTTP.</param>
/// <param name="State">The state of the repository afterwards (null on failure).</param>
/// <param name="Warnings">Non-fatal findings (session reset, abandoned delta chain, …).</param>
public sealed record RrdpUpdate(bool Changed, string? Error, string? Action, long Bytes, RrdpState? State, IReadOnlyList<string> Warnings)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// The RRDP client algorithm of RFC 8182 §3.4 for one repository (<c>../shared/spec/rrdp.md</c> §3): fetch the
/// notification (conditionally), decide between nothing, deltas and the snapshot, download each file with its
/// hash verified before it is parsed, apply it into a staging generation and commit that only when every step
/// worked. A failed delta chain falls back to the snapshot; a failed snapshot leaves the repository as it was.
/// </summary>
public sealed class RrdpClient(HttpDownloader downloader, FetchOptions options)
{
    private HttpDownloader Downloader { get; } = downloader;
    private FetchOptions Options { get; } = options;

    /// <summary>
    /// Brings <paramref name="store"/> up to date from <paramref name="notifyUri"/>, accepting only objects on
    /// <paramref name="authority"/> (the rsync host of the CA repository that led here). Throws only
    /// <see cref="OperationCanceledException"/> for <paramref name="ct"/>.
    /// </summary>
    public async Task<RrdpUpdate> UpdateAsync(RepositoryStore store, Uri notifyUri, string authority, Action<long>? progress, CancellationToken ct, Action<SnapshotProgress>? snapshotStarted = null)
    {
        var run = new Attempt(this, store, notifyUri, authority, progress, snapshotStarted, ct);
        try
        {
            return await run.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return run.Failed("cache: " + e.Message);
        }
    }

    /// <summary>One update's working state.</summary>
    private sealed class Attempt(RrdpClient client, RepositoryStore store, Uri notifyUri, string authority, Action<long>? progress, Action<SnapshotProgress>? snapshotStarted, CancellationToken ct)
    {
        private readonly FetchOptions _options = client.Options;
        private readonly List<string> _warnings = [];
        private long _bytes;

        public RrdpUpdate Failed(string error) => new(false, error, null, _bytes, null, _warnings);

        public async Task<RrdpUpdate> RunAsync()
        {
            var now = _options.Time.GetUtcNow();
            RrdpState? state = null;
            if (store.CurrentRoot is { } currentRoot)
            {
                state = RrdpState.TryRead(currentRoot, out var stateError);
                if (state is null) _warnings.Add(stateError + "; taking the snapshot");
                else if (state.NotifyUri != notifyUri.OriginalString) { _warnings.Add($"cached copy belongs to {state.NotifyUri}; taking the snapshot"); state = null; }
                else if (!string.Equals(state.Authority, authority, StringComparison.OrdinalIgnoreCase))
                { _warnings.Add($"cached copy was accepted for host {state.Authority}, now asked for {authority}; taking the snapshot"); state = null; }
            }

            // 1. notification
            RrdpNotification notification;
            HttpValidators validators;
            string notificationFile = store.NewTempFile("notification");
            await using (var file = TempStream(notificationFile))
            {
                var conditional = state is null ? null : new HttpValidators(state.ETag, state.LastModified);
                var download = await client.Downloader.DownloadAsync(notifyUri, file, _options.MaxNotificationBytes, conditional, Count, ct).ConfigureAwait(false);
                if (download.Status == HttpDownloadStatus.NotModified && state is not null)
                {
                    WarnIfUnchanged(state, now);
                    var refreshed = state with { LastSuccess = now, ETag = download.Validators.ETag, LastModified = download.Validators.LastModified, SerialSince = state.SerialSince ?? now };
                    store.ReplaceInCurrent(RrdpState.FileName, refreshed.ToJson());
                    return new RrdpUpdate(false, null, "not modified", _bytes, refreshed, _warnings);
                }
                if (download.Status != HttpDownloadStatus.Ok) return Failed($"notification {notifyUri}: {download.Error}");
                validators = download.Validators;
                file.Position = 0;
                try
                {
                    notification = NotificationParser.Parse(file, notifyUri, _options.MaxNotificationBytes);
                }
                catch (RrdpException e)
                {
                    return Failed($"notification {notifyUri}: {e.Message}");
                }
            }

            // 2. decide
            var plan = Decide(state, notification, now);
            if (plan.Deltas is null && plan.SnapshotReason is null)
            {
                WarnIfUnchanged(state!, now);
                var refreshed = state! with { LastSuccess = now, ETag = validators.ETag, LastModified = validators.LastModified, SerialSince = state!.SerialSince ?? now };
                store.ReplaceInCurrent(RrdpState.FileName, refreshed.ToJson());
                return new RrdpUpdate(false, null, "up to date", _bytes, refreshed, _warnings);
            }

            // 3. deltas, falling back to the snapshot
            if (plan.Deltas is { } deltas)
            {
                string? deltaError = await ApplyDeltasAsync(state!, notification, deltas, validators, now).ConfigureAwait(false);
                if (deltaError is null)
                    return new RrdpUpdate(true, null, $"deltas {deltas[0].Serial}-{deltas[^1].Serial}", _bytes, ReadCommitted(), _warnings);
                _warnings.Add(deltaError + "; taking the snapshot");
            }
            else
            {
                if (plan.SnapshotReason!.Length > 0) _warnings.Add(plan.SnapshotReason);
            }

            // 4. snapshot
            string? snapshotError = await ApplySnapshotAsync(notification, validators, now).ConfigureAwait(false);
            return snapshotError is null
                ? new RrdpUpdate(true, null, $"snapshot {notification.Serial}{_snapshotNote}", _bytes, ReadCommitted(), _warnings)
                : Failed(snapshotError);
        }

        private RrdpState? ReadCommitted() => RrdpState.TryRead(store.CurrentRoot!, out _);

        /// <summary>Said after the action when the snapshot was not needed but taken on purpose.</summary>
        private string _snapshotNote = "";

        private void WarnIfUnchanged(RrdpState state, DateTimeOffset now)
        {
            if (state.SerialSince is { } since && now - since > _options.UnchangedWarningAfter)
                _warnings.Add($"notification unchanged at serial {state.Serial} since {since:u} (more than {_options.UnchangedWarningAfter.TotalHours:0.#} h): the repository may have stopped publishing");
        }

        /// <summary>
        /// rpki-client's dice: 2^weeks / 4096 per run, weeks since the last snapshot, for runs about an hour apart
        /// (rpki-client's usual cadence). Scaled to the time since this repository was last brought up to date, so
        /// runs every 10 minutes do not resynchronise six times as often: the chance of not taking it over an hour
        /// is the same however the hour is divided into runs.
        /// </summary>
        private bool EarlySnapshot(RrdpState state, DateTimeOffset now, out int weeks)
        {
            weeks = (int)Math.Clamp((now - state.LastSnapshot).TotalDays / 7, 0, 12);
            if (!_options.RandomEarlySnapshot) return false;
            double perHour = Math.Pow(2, weeks) / 4096;
            double hours = Math.Max(0, (now - state.LastSuccess).TotalHours);
            double chance = perHour >= 1 ? 1 : 1 - Math.Pow(1 - perHour, hours);
            return _options.Random.NextDouble() < chance;
        }

        /// <summary>Deltas to apply, or a reason to take the snapshot ("" for a first fetch), or neither (up to date).</summary>
        private (List<RrdpFileRef>? Deltas, string? SnapshotReason) Decide(RrdpState? state, RrdpNotification n, DateTimeOffset now)
        {
            if (state is null) return (null, "");
            if (state.SessionId != n.SessionId)
                return (null, $"session changed from {state.SessionId} to {n.SessionId}: taking the snapshot");
            // RFC 9697: a delta we applied that is still listed must still have the hash we applied.
            foreach (var applied in state.Deltas)
                if (n.DeltaFor(applied.Serial) is { } listed && !listed.HashHex.Equals(applied.Hash, StringComparison.OrdinalIgnoreCase))
                    return (null, $"delta {applied.Serial} changed its hash since we applied it (RFC 9697 desynchronisation): taking the snapshot");
            if (state.Serial == n.Serial) return (null, null);
            if (state.Serial > n.Serial)
            {
                // A CDN may serve a slightly older notification; rpki-client tolerates 2 serials.
                if (state.Serial - n.Serial <= 2)
                {
                    _warnings.Add($"notification serial {n.Serial} is behind our serial {state.Serial}; keeping our copy");
                    return (null, null);
                }
                return (null, $"notification serial {n.Serial} went back from our {state.Serial}: taking the snapshot");
            }
            long needed = n.Serial - state.Serial;
            if (needed > _options.MaxDeltas) return (null, $"{needed} deltas behind (more than {_options.MaxDeltas}): taking the snapshot");
            if (now - state.LastSnapshot > _options.ForceSnapshotAfter) return (null, $"no snapshot since {state.LastSnapshot:u}: taking the snapshot to resynchronise");
            if (EarlySnapshot(state, now, out int weeks))
            {
                // Routine, not a problem: said in the action, not as a warning.
                _snapshotNote = $" (taken early at random to resynchronise: {weeks} week(s) since the last, chance 2^{weeks}/4096 per hour)";
                return (null, "");
            }
            var deltas = new List<RrdpFileRef>((int)needed);
            for (long s = state.Serial + 1; s <= n.Serial; s++)
            {
                if (n.DeltaFor(s) is not { } d) return (null, $"delta {s} is not listed (gap from our serial {state.Serial}): taking the snapshot");
                deltas.Add(d);
            }
            return (deltas, null);
        }

        private async Task<string?> ApplyDeltasAsync(RrdpState state, RrdpNotification n, List<RrdpFileRef> deltas, HttpValidators validators, DateTimeOffset now)
        {
            using var staging = store.BeginCopyOfCurrent(ct);
            var applier = new RrdpApplier(staging.Root, freshTree: false, ct);
            var rules = new RrdpObjectRules(authority, _options.MaxObjectBytes);
            foreach (var delta in deltas)
            {
                string file = store.NewTempFile("delta");
                await using var stream = TempStream(file);
                string? error = await DownloadVerifiedAsync(delta, stream, $"delta {delta.Serial}").ConfigureAwait(false);
                if (error is not null) return error;
                try
                {
                    DeltaParser.Parse(stream, n.SessionId, delta.Serial, rules, applier, _options.MaxRrdpFileBytes);
                }
                catch (RrdpException e)
                {
                    return $"delta {delta.Serial} ({delta.Uri}): {e.Message}";
                }
            }
            var history = state.Deltas.Concat(deltas.Select(d => new RrdpDeltaRecord(d.Serial, d.HashHex)))
                .TakeLast(_options.DeltaHistory).ToList();
            var next = state with
            {
                Serial = n.Serial,
                Deltas = history,
                ETag = validators.ETag,
                LastModified = validators.LastModified,
                LastSuccess = now,
                SerialSince = now,
            };
            AtomicFile.Write(Path.Combine(staging.Root, RrdpState.FileName), next.ToJson());
            store.Commit(staging);
            return null;
        }

        /// <summary>
        /// Downloads the snapshot and applies it in one pass: the parser reads the body as it arrives (through a
        /// bounded pipe, on its own thread) and the objects go into a new generation under its final name while the
        /// SHA-256 of the whole file is computed on the way. Only when the download ended, the hash matches the
        /// notification's and the parser accepted everything is the generation committed; otherwise it is deleted.
        /// Streaming saves writing and re-reading a temporary copy of the file, and lets the validator start on
        /// directories already written (<see cref="SnapshotProgress"/>); nothing from the file is used before its
        /// hash is known to be right, since the generation stays unreferenced and the validator's results from it
        /// count only after <see cref="SnapshotProgress.Completion"/> says it was committed.
        /// </summary>
        private async Task<string?> ApplySnapshotAsync(RrdpNotification n, HttpValidators validators, DateTimeOffset now)
        {
            using var staging = store.BeginGeneration();
            var progress = new SnapshotProgress(staging.Root, store.CurrentRoot, authority);
            bool committed = false;
            try
            {
                snapshotStarted?.Invoke(progress);
                string? error = await StreamSnapshotAsync(n, staging.Root, progress).ConfigureAwait(false);
                if (error is not null) return error;
                var state = new RrdpState
                {
                    NotifyUri = notifyUri.OriginalString,
                    Authority = authority,
                    SessionId = n.SessionId,
                    Serial = n.Serial,
                    // The listed history we are now in step with, for the RFC 9697 check next time.
                    Deltas = n.Deltas.TakeLast(_options.DeltaHistory).Select(d => new RrdpDeltaRecord(d.Serial, d.HashHex)).ToList(),
                    ETag = validators.ETag,
                    LastModified = validators.LastModified,
                    LastSnapshot = now,
                    LastSuccess = now,
                    SerialSince = now,
                };
                AtomicFile.Write(Path.Combine(staging.Root, RrdpState.FileName), state.ToJson());
                store.Commit(staging);
                committed = true;
                return null;
            }
            finally
            {
                progress.End(committed);
            }
        }

        /// <summary>Downloads and parses the snapshot into <paramref name="root"/> at the same time; an error text on failure.</summary>
        private async Task<string?> StreamSnapshotAsync(RrdpNotification n, string root, SnapshotProgress progress)
        {
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * 1024 * 1024, resumeWriterThreshold: 2 * 1024 * 1024, useSynchronizationContext: false));
            using var parserStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            string what = $"snapshot {n.Serial} ({n.Snapshot.Uri})";
            // Dedicated thread: the parser blocks on the pipe and in file system calls for the whole snapshot.
            var parse = Task.Factory.StartNew(() =>
            {
                var body = pipe.Reader.AsStream();
                try
                {
                    // Declared after the generation's owner (the caller), so its writers stop before a failed tree is deleted.
                    using var writer = new ParallelSnapshotWriter(root, _options.SnapshotWriters, _options.SnapshotQueueBytes, ct, progress);
                    SnapshotParser.Parse(body, n.SessionId, n.Serial, new RrdpObjectRules(authority, _options.MaxObjectBytes), writer, _options.MaxRrdpFileBytes);
                    writer.Complete();
                    return ((string?)null, Refused: false);
                }
                catch (RrdpException e)
                {
                    parserStop.Cancel(); // no point downloading the rest
                    return (e.Message, Refused: true);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // The download failed and ended the pipe with its error: the download result says why.
                    parserStop.Cancel();
                    return ("incomplete: " + e.Message, Refused: false);
                }
                finally
                {
                    body.Dispose();
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            HttpDownloadResult? download = null;
            (string? Error, bool Refused) parsed = (null, false);
            try
            {
                download = await client.Downloader.DownloadAsync(n.Snapshot.Uri, pipe.Writer.AsStream(), _options.MaxRrdpFileBytes, null, Count, parserStop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                download = HttpDownloadResult.Fail(n.Snapshot.Uri, "stopped: the parser refused the file");
            }
            finally
            {
                // Whatever happened, the parser sees the end of the body (or the error) and its thread finishes
                // before the caller may delete the generation.
                await pipe.Writer.CompleteAsync(download?.Status == HttpDownloadStatus.Ok ? null : new IOException(download?.Error ?? "download cancelled")).ConfigureAwait(false);
                try { parsed = await parse.ConfigureAwait(false); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            }
            ct.ThrowIfCancellationRequested();

            // A wrong hash explains any parse error after it; a failed download explains an incomplete parse.
            if (download.Status == HttpDownloadStatus.Ok && !download.Sha256!.AsSpan().SequenceEqual(n.Snapshot.Hash))
                return $"snapshot {n.Snapshot.Uri}: SHA-256 {Convert.ToHexStringLower(download.Sha256!)} does not match the notification's {n.Snapshot.HashHex}";
            if (parsed.Refused) return $"{what}: {parsed.Error}";
            if (download.Status != HttpDownloadStatus.Ok) return $"snapshot {n.Snapshot.Uri}: {download.Error}";
            return parsed.Error is null ? null : $"{what}: {parsed.Error}";
        }

        /// <summary>Downloads a snapshot or delta, checks its SHA-256 and rewinds the stream for parsing; an error text on failure.</summary>
        private async Task<string?> DownloadVerifiedAsync(RrdpFileRef file, FileStream stream, string what)
        {
            var download = await client.Downloader.DownloadAsync(file.Uri, stream, _options.MaxRrdpFileBytes, null, Count, ct).ConfigureAwait(false);
            if (download.Status != HttpDownloadStatus.Ok) return $"{what} {file.Uri}: {download.Error}";
            if (!download.Sha256!.AsSpan().SequenceEqual(file.Hash))
                return $"{what} {file.Uri}: SHA-256 {Convert.ToHexStringLower(download.Sha256!)} does not match the notification's {file.HashHex}";
            stream.Position = 0;
            return null;
        }

        private void Count(long n)
        {
            _bytes += n;
            progress?.Invoke(n);
        }

        private static FileStream TempStream(string path)
            => new(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }
}
