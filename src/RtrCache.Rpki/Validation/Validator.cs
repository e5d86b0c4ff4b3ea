using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using RtrCache.Payload;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Resources;

namespace RtrCache.Rpki.Validation;

/// <summary>
/// Top-down RPKI validation over a local rsync-style tree (<c>rsync://HOST/MODULE/path</c> ⇒
/// <c>repoRoot/HOST/MODULE/path</c>): TA certificate from each TAL, then per CA publication point the manifest
/// (RFC 9286), its CRL, and exactly the files listed on it. Publication points are processed concurrently by a
/// small pool of workers; only one publication point's files per worker are held in memory. Never throws for
/// bad input: every rejection is recorded with its URI and reason.
/// </summary>
public static class Validator
{
    public static ValidationResult Run(IReadOnlyList<Tal> tals, string repoRoot, DateTimeOffset now, ValidatorOptions? options = null, CancellationToken ct = default)
        => Run(tals, new DirectoryRepository(repoRoot), now, options, ct);

    /// <summary>
    /// Validates from <paramref name="tals"/> reading publication points where <paramref name="repositories"/>
    /// says they are; a fetcher behind it is asked for each repository the first time a CA needs it.
    /// </summary>
    public static ValidationResult Run(IReadOnlyList<Tal> tals, IRepositoryProvider repositories, DateTimeOffset now, ValidatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= ValidatorOptions.Default;
        var sw = Stopwatch.StartNew();
        // A repository copy read while it was still being written (RepositoryLocation.Provisional) may be discarded
        // at its end; what was computed from it is then thrown away with the whole walk, which is repeated reading
        // only final copies (the fetches are over by then, so the repeat costs validation time only).
        for (int attempt = 0; ; attempt++)
        {
            var result = RunOnce(tals, repositories, now, options, speculate: attempt == 0, sw, ct);
            if (result is not null) return result;
        }
    }

    /// <summary>One walk; null when a provisional copy it used was discarded (then nothing of it may be used).</summary>
    private static ValidationResult? RunOnce(IReadOnlyList<Tal> tals, IRepositoryProvider repositories, DateTimeOffset now, ValidatorOptions options, bool speculate, Stopwatch sw, CancellationToken ct)
    {
        var run = new RunState(repositories, now, options, ct) { Speculate = speculate };
        var tas = tals.Select(t => new TaState(t.Name) { TalUris = t.Uris }).ToList();
        // Trust anchors may need a download each; load them side by side.
        var loads = tals.Select((tal, i) => Task.Run(() =>
        {
            var ta = tas[i];
            try
            {
                var (cert, uri, error) = run.LoadTrustAnchor(tal);
                if (cert is null)
                {
                    ta.Error = error;
                    run.Reject(uri ?? tal.Name + ".tal", error!);
                    return;
                }
                ta.CertificateUri = uri;
                ta.Count(RpkiObjectType.Certificate);
                run.Enqueue(new CaContext(ta, cert, uri!, cert.IpResourcesOrEmpty, cert.AsResourcesOrEmpty, new SkiPath(cert.SubjectKeyIdentifier, null), 0));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ta.Error = "trust anchor: " + e.Message;
                run.Reject(tal.Name + ".tal", ta.Error);
            }
        }, ct)).ToArray();
        try { Task.WaitAll(loads, ct); }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException)) { throw new OperationCanceledException(ct); }
        run.Drain();
        if (!run.ConfirmProvisional()) return null;
        run.EndCacheRun();
        return Collect(run, tas, sw, now);
    }

    /// <summary>
    /// Validates the subtree below one CA certificate taken as already accepted (its resources must be explicit):
    /// for fixtures whose issuer chain is not available. <paramref name="name"/> labels the report.
    /// </summary>
    internal static ValidationResult RunFromCa(ResourceCertificate ca, string caUri, string name, string repoRoot, DateTimeOffset now, ValidatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= ValidatorOptions.Default;
        var sw = Stopwatch.StartNew();
        var run = new RunState(new DirectoryRepository(repoRoot), now, options, ct);
        var ta = new TaState(name) { CertificateUri = caUri };
        run.Enqueue(new CaContext(ta, ca, caUri, ca.IpResourcesOrEmpty, ca.AsResourcesOrEmpty, new SkiPath(ca.SubjectKeyIdentifier, null), 0));
        run.Drain();
        run.EndCacheRun();
        return Collect(run, [ta], sw, now);
    }

    private static ValidationResult Collect(RunState run, List<TaState> tas, Stopwatch sw, DateTimeOffset now)
    {
        var reports = new List<TrustAnchorReport>();
        var all = new PayloadSetBuilder();
        foreach (var ta in tas)
        {
            PayloadSet set;
            lock (ta) set = ta.Builder.Build();
            foreach (var v in set.Vrps) all.Add(v);
            foreach (var k in set.RouterKeys) all.Add(k);
            foreach (var a in set.Aspas) all.Add(a);
            reports.Add(new TrustAnchorReport
            {
                Name = ta.Name,
                CertificateUri = ta.CertificateUri,
                Error = ta.Error,
                Payload = set,
                CaCount = ta.CaCount,
                PublicationPointsFailed = ta.Failed,
                Rejected = ta.Rejected,
                ObjectsByType = ta.Counts.ToImmutableDictionary(),
            });
        }
        return new ValidationResult
        {
            Payload = all.Build(),
            TrustAnchors = [.. reports],
            Rejected = [.. run.Rejected.OrderBy(r => r.Uri, StringComparer.Ordinal).ThenBy(r => r.Reason, StringComparer.Ordinal)],
            FailedPublicationPoints = [.. run.Failed.OrderBy(f => f.ManifestUri, StringComparer.Ordinal)],
            Elapsed = sw.Elapsed,
            Now = now,
            EarliestExpiry = run.EarliestExpiry,
        };
    }

    /// <summary>Maps an rsync (or https) URI into the local tree; null when it cannot be mapped safely.</summary>
    public static string? LocalPath(string repoRoot, string uri)
    {
        string rest;
        if (uri.StartsWith("rsync://", StringComparison.OrdinalIgnoreCase)) rest = uri["rsync://".Length..];
        else if (uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) rest = uri["https://".Length..];
        else return null;
        var segments = rest.Split('/');
        if (segments.Length < 2) return null;
        foreach (var s in segments)
            if (s.Length == 0 || s == "." || s == ".." || s.Contains('\\') || s.Any(char.IsControl)) return null;
        return Path.Combine([repoRoot, .. segments]);
    }

    // ------------------------------------------------------------------ state

    private sealed class SkiPath(KeyIdentifier ski, SkiPath? parent)
    {
        public KeyIdentifier Ski { get; } = ski;
        public SkiPath? Parent { get; } = parent;
        private byte[]? _hash;

        /// <summary>SHA-256 over the SKIs from the TA down: part of a cache key, since loop detection depends on the ancestors.</summary>
        public byte[] Hash => _hash ??= SHA256.HashData([.. Parent?.Hash ?? [], .. Ski.ToArray()]);
        public bool Contains(KeyIdentifier k)
        {
            for (var p = this; p is not null; p = p.Parent) if (p.Ski == k) return true;
            return false;
        }
    }

    private sealed record CaContext(TaState Ta, ResourceCertificate Cert, string Uri, IpResourceSet Ip, AsResourceSet As, SkiPath Path, int Depth)
    {
        /// <summary>Where the CA's repository is on disk, once the provider has answered.</summary>
        public RepositoryLocation? Location { get; init; }
    }

    private sealed class TaState(string name)
    {
        public string Name { get; } = name;
        public string? CertificateUri;
        /// <summary>Every URI the TAL names for the TA certificate: the copy in the TA's own publication point is not an unlisted file, whichever URI it was loaded from.</summary>
        public IReadOnlyList<string> TalUris = [];
        public string? Error;
        public readonly PayloadSetBuilder Builder = new();
        public readonly ConcurrentDictionary<RpkiObjectType, int> Counts = new();
        public int CaCount;
        public int Failed;
        public int Rejected;
        public void Count(RpkiObjectType t) => Counts.AddOrUpdate(t, 1, (_, n) => n + 1);
    }

    private sealed class RunState(IRepositoryProvider repositories, DateTimeOffset now, ValidatorOptions options, CancellationToken ct)
    {
        public readonly ConcurrentBag<RejectedObject> Rejected = [];
        public readonly ConcurrentBag<FailedPublicationPoint> Failed = [];
        private readonly ConcurrentQueue<CaContext> _queue = new();
        private readonly SemaphoreSlim _available = new(0);
        private int _pending;
        private volatile bool _done;
        private readonly object _expiryLock = new();
        public DateTimeOffset? EarliestExpiry;
        private readonly long _cacheRun = options.Cache?.BeginRun() ?? 0;

        /// <summary>Use provisional copies as they are being written (first attempt); otherwise wait until they are final.</summary>
        public bool Speculate { get; init; }

        /// <summary>Points computed from a provisional copy, with what is still to be settled once it is final.</summary>
        private readonly ConcurrentBag<ProvisionalPoint> _provisionalPoints = [];
        private readonly ConcurrentDictionary<IProvisionalCopy, byte> _provisionalCopies = new();

        /// <summary>
        /// What is left to do for a point computed from a provisional copy: its unlisted-file report (the names its
        /// manifest lists) and, with a cache, its entry. Kept small: a cold run of a large repository holds one per CA.
        /// </summary>
        private sealed record ProvisionalPoint(TaState Ta, HashSet<string> Listed, string? ManifestSignedObjectUri, string Base, string Root, PointRecording? Recording, int Objects, string? CacheKey);

        /// <summary>After a completed walk: cache entries of points no longer reached are dropped.</summary>
        public void EndCacheRun() => options.Cache?.EndRun(_cacheRun);

        public void Reject(string uri, string reason) => Rejected.Add(new RejectedObject(uri, reason));

        private void Reject(TaState ta, string uri, string reason)
        {
            Interlocked.Increment(ref ta.Rejected);
            Rejected.Add(new RejectedObject(uri, reason));
        }

        private void Expires(DateTimeOffset? t)
        {
            if (t is not { } v) return;
            lock (_expiryLock) if (EarliestExpiry is null || v < EarliestExpiry) EarliestExpiry = v;
        }

        public void Enqueue(CaContext ca)
        {
            Interlocked.Increment(ref _pending);
            _queue.Enqueue(ca);
            _available.Release();
        }

        public void Drain()
        {
            if (Volatile.Read(ref _pending) == 0) return;
            int workers = Math.Max(1, options.Parallelism);
            var threads = new Thread[workers];
            for (int i = 0; i < workers; i++)
            {
                threads[i] = new Thread(Worker) { IsBackground = true, Name = "rpki-validator-" + i };
                threads[i].Start();
            }
            foreach (var t in threads) t.Join();
            ct.ThrowIfCancellationRequested();
        }

        private void Worker()
        {
            while (true)
            {
                try { _available.Wait(ct); }
                catch (OperationCanceledException) { Finish(); return; }
                if (_done) return;
                if (!_queue.TryDequeue(out var ca)) continue;
                try { ProcessPublicationPoint(ca); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Fail(ca, ca.Cert.ManifestUri ?? ca.Uri, "unexpected error: " + e.Message);
                }
                catch (OperationCanceledException) { }
                if (Interlocked.Decrement(ref _pending) == 0) Finish();
            }
        }

        private void Finish()
        {
            _done = true;
            _available.Release(Math.Max(1, options.Parallelism));
        }

        private void Fail(CaContext ca, string manifestUri, string reason)
        {
            Interlocked.Increment(ref ca.Ta.Failed);
            Failed.Add(new FailedPublicationPoint(ca.Uri, manifestUri, reason));
        }

        // ------------------------------------------------------------------ files

        private byte[]? Read(string root, string uri, out string? error) => Read(root, uri, out error, out _);

        /// <summary>
        /// Reads a file and gives its identity as stat() saw it <em>before</em> the read (null when it could not be
        /// taken): a file replaced between the two then has a newer identity than recorded, so a cache entry made
        /// from these bytes is not reused.
        /// </summary>
        private byte[]? Read(string root, string uri, out string? error, out PublicationPointCache.FileStamp? stamp)
        {
            error = null;
            stamp = null;
            var path = LocalPath(root, uri);
            if (path is null) { error = "URI cannot be mapped into the repository tree"; return null; }
            try
            {
                var info = new FileInfo(path);
                stamp = PublicationPointCache.FileStamp.Of(path, info);
                if (!info.Exists) { error = "file missing from the repository"; return null; }
                if (info.Length > options.MaxFileSize) { error = $"{info.Length} bytes, larger than the {options.MaxFileSize} byte limit"; return null; }
                return FileBytes.Read(path, info.Length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = "cannot read: " + e.Message;
                stamp = null;
                return null;
            }
        }

        // ------------------------------------------------------------------ trust anchor

        public (ResourceCertificate? Cert, string? Uri, string? Error) LoadTrustAnchor(Tal tal)
        {
            string? lastError = null, lastUri = null;
            foreach (var uri in tal.Uris)
            {
                IReadOnlyList<string> candidates;
                try { candidates = repositories.TrustAnchorCandidatesAsync(tal, uri, ct).AsTask().GetAwaiter().GetResult(); }
                catch (Exception e) when (e is not OperationCanceledException) { lastUri = uri; lastError = "TA certificate unavailable: " + e.Message; continue; }
                foreach (var path in candidates)
                {
                    if (!File.Exists(path)) continue;
                    lastUri = uri;
                    byte[] bytes;
                    try
                    {
                        if (new FileInfo(path).Length > options.MaxFileSize) { lastError = "TA certificate too large"; continue; }
                        bytes = File.ReadAllBytes(path);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { lastError = "cannot read TA certificate: " + e.Message; continue; }
                    var decoded = ResourceCertificate.Decode(bytes);
                    if (!decoded.IsSuccess) { lastError = decoded.Error; continue; }
                    var cert = decoded.Value!;
                    var error = CheckTrustAnchor(tal, cert);
                    if (error is not null) { lastError = error; continue; }
                    Expires(cert.NotAfter);
                    return (cert, uri, null);
                }
            }
            return (null, lastUri ?? tal.Uris.FirstOrDefault(), lastError ?? "no TA certificate found in the repository for any TAL URI");
        }

        private string? CheckTrustAnchor(Tal tal, ResourceCertificate cert)
        {
            if (!tal.MatchesKey(cert)) return "TA certificate public key does not match the TAL";
            if (cert.Kind != CertificateKind.TrustAnchor) return "TA certificate is not a self-signed CA certificate";
            if (!cert.VerifySignedBy(cert)) return "TA certificate self-signature does not verify";
            if (cert.CheckValidityAt(now) is { } v) return "TA " + v;
            if (cert.IpResourcesOrEmpty.HasInherit || cert.AsResourcesOrEmpty.IsInherit) return "TA certificate resources must not be 'inherit'";
            if (cert.IpResourcesOrEmpty.IsEmpty && cert.AsResourcesOrEmpty.IsEmpty) return "TA certificate has no resources";
            if (cert.ManifestUri is null) return "TA certificate has no rpkiManifest SIA";
            return null;
        }

        // ------------------------------------------------------------------ publication point

        /// <summary>A publication point whose manifest, CRL and listed files all checked out.</summary>
        private sealed record LoadedPoint(Manifest Manifest, Crl Crl, string CrlUri, string Base, List<(ManifestEntry Entry, string Uri, byte[] Bytes)> Files, byte[] ManifestBytes);

        private void ProcessPublicationPoint(CaContext ca)
        {
            ct.ThrowIfCancellationRequested();
            var cert = ca.Cert;
            string? mftUri = cert.ManifestUri;
            if (mftUri is null) { Fail(ca, ca.Uri, "CA certificate has no rpkiManifest SIA"); return; }
            if (cert.CaRepositoryUri is { } repoUri && !mftUri.StartsWith(repoUri.EndsWith('/') ? repoUri : repoUri + "/", StringComparison.Ordinal))
            { Fail(ca, mftUri, $"manifest URI is not inside the CA repository {repoUri}"); return; }

            var location = ca.Location;
            if (location is null)
            {
                var request = new PublicationPointRequest(ca.Uri, cert.CaRepositoryUri ?? mftUri[..(mftUri.LastIndexOf('/') + 1)], mftUri, cert.NotificationUri);
                ValueTask<RepositoryLocation> pending;
                try { pending = repositories.PublicationPointAsync(request, ct); }
                catch (Exception e) when (e is not OperationCanceledException) { Fail(ca, mftUri, "repository unavailable: " + e.Message); return; }
                if (!pending.IsCompleted)
                {
                    // Park the CA until its repository is fetched; the worker goes on with others meanwhile.
                    Interlocked.Increment(ref _pending);
                    pending.AsTask().ContinueWith(t =>
                    {
                        var answer = t.IsCompletedSuccessfully ? t.Result
                            : new RepositoryLocation(null, null, t.IsCanceled ? "fetch cancelled" : "fetch failed: " + t.Exception!.GetBaseException().Message);
                        Enqueue(ca with { Location = answer });
                        if (Interlocked.Decrement(ref _pending) == 0) Finish();
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return;
                }
                try { location = pending.Result; }
                catch (Exception e) when (e is not OperationCanceledException) { Fail(ca, mftUri, "repository unavailable: " + e.Message); return; }
            }

            if (location.Root is null && location.FallbackRoot is null)
            { Fail(ca, mftUri, "repository unavailable: " + (location.Error ?? "never fetched") + ": publication point fails"); return; }

            if (location.Provisional is { } provisional)
            {
                if (!Speculate || provisional.Completion.IsCompleted) { AfterProvisional(ca, provisional); return; }
                ProcessProvisional(ca, location, provisional, mftUri);
                return;
            }

            // An unchanged point (same CA context, same files, a time at which every check answers the same) is
            // replayed instead of read, hashed, decoded and verified again.
            var cache = options.Cache;
            string? key = null;
            if (cache is not null && location.Root is not null)
            {
                key = CacheKey(ca, location, mftUri);
                if (cache.TryGet(key, now, _cacheRun) is { } stored) { Apply(ca, stored); return; }
            }

            var rec = new PointRecording(now);
            bool cacheable = location.Root is not null;
            string? root = location.Root ?? location.FallbackRoot;
            var current = LoadPublicationPoint(ca, root!, mftUri, out var failure, rec);
            if (location.Root is not null && location.FallbackRoot is { } previousRoot && previousRoot != location.Root)
            {
                if (current is null)
                {
                    // The new copy is broken (half-published update, bad manifest): use the last complete copy
                    // while it is still valid, like rpki-client and Routinator.
                    var previous = LoadPublicationPoint(ca, previousRoot, mftUri, out _, null);
                    if (previous is not null)
                    {
                        Reject(ca.Ta, mftUri, failure + "; using the previous copy of the publication point (manifest number " + previous.Manifest.Number + ")");
                        current = previous;
                        root = previousRoot;
                        cacheable = false;
                    }
                }
                else
                {
                    if (AheadOf(ca, current, previousRoot, mftUri, rec, ref cacheable) is { } previous)
                    {
                        Reject(ca.Ta, mftUri, $"manifestNumber {current.Manifest.Number} lower than the previously accepted {previous.Manifest.Number}: keep the previous manifest (RFC 9286 §4.2.1)");
                        current = previous;
                        root = previousRoot;
                        cacheable = false;
                    }
                }
            }
            if (current is null) { Fail(ca, mftUri, failure!); return; }
            var outcome = UsePublicationPoint(ca, current, root!, rec);
            Apply(ca, outcome);
            if (cache is not null && key is not null && cacheable && rec.ToEntry(outcome) is { } entry) cache.Store(key, entry, _cacheRun);
        }

        /// <summary>
        /// A point of a copy still being written. Its manifest and every listed file must already be there with the
        /// manifest's hashes; then nothing later written into the copy can change what the point yields (files are
        /// written once, never modified), except which unlisted files sit beside them, so that report is made once
        /// the copy is final (<see cref="ConfirmProvisional"/>). A point that does not load is not judged on a
        /// partial copy: it waits for the final one and is computed as usual.
        /// </summary>
        private void ProcessProvisional(CaContext ca, RepositoryLocation location, IProvisionalCopy provisional, string mftUri)
        {
            var rec = new PointRecording(now);
            string root = location.Root!;
            var current = LoadPublicationPoint(ca, root, mftUri, out _, rec);
            if (current is null) { AfterProvisional(ca, provisional); return; }
            bool cacheable = true;
            if (location.FallbackRoot is { } previousRoot && previousRoot != root)
            {
                // The same manifest-number rule as for a complete copy (the older copy is complete and final). A
                // regression is rare and involves the fallback: computed the ordinary way once the copy is final.
                if (AheadOf(ca, current, previousRoot, mftUri, rec, ref cacheable) is not null)
                {
                    AfterProvisional(ca, provisional);
                    return;
                }
            }
            _provisionalCopies.TryAdd(provisional, 0);
            var outcome = UsePublicationPoint(ca, current, root, rec, reportUnlisted: false);
            Apply(ca, outcome);
            string? key = cacheable && options.Cache is not null ? CacheKey(ca, location, mftUri) : null;
            var listed = new HashSet<string>(current.Manifest.Entries.Select(e => e.FileName), StringComparer.Ordinal);
            _provisionalPoints.Add(new ProvisionalPoint(ca.Ta, listed, current.Manifest.EeCertificate.SignedObjectUri, current.Base, root,
                key is null ? null : rec, outcome.Objects, key));
        }

        /// <summary>
        /// The previously accepted copy of the point when it is ahead of <paramref name="current"/>: a changed
        /// manifest must move forward (RFC 9286 §4.2.1), a lower number means the new one is a replay or a mistake,
        /// so the previous state stays in use. Null when the current copy wins: the older manifest is the same,
        /// missing, or not ahead, all decided by that one file, so its identity goes into <paramref name="rec"/>.
        /// </summary>
        private LoadedPoint? AheadOf(CaContext ca, LoadedPoint current, string previousRoot, string mftUri, PointRecording rec, ref bool cacheable)
        {
            var previousBytes = Read(previousRoot, mftUri, out _, out var previousStamp);
            if (previousStamp is null) cacheable = false;
            rec.PreviousManifest = previousStamp;
            if (previousBytes is null || previousBytes.AsSpan().SequenceEqual(current.ManifestBytes)) return null;
            var previous = LoadPublicationPoint(ca, previousRoot, mftUri, out _, null);
            if (previous is null) cacheable = false; // whether the older copy loads depends on more than its manifest
            return previous is not null && previous.Manifest.Number > current.Manifest.Number ? previous : null;
        }

        /// <summary>Parks the CA until <paramref name="provisional"/> is final, then asks the provider again (it then names final copies).</summary>
        private void AfterProvisional(CaContext ca, IProvisionalCopy provisional)
        {
            Interlocked.Increment(ref _pending);
            provisional.Completion.ContinueWith(_ =>
            {
                Enqueue(ca with { Location = null });
                if (Interlocked.Decrement(ref _pending) == 0) Finish();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>
        /// After the walk: waits until every provisional copy used is final. False when one was discarded (the walk
        /// must be repeated); otherwise reports the unlisted files of the points computed early, now that their
        /// directories are complete, and stores those points in the cache.
        /// </summary>
        public bool ConfirmProvisional()
        {
            foreach (var copy in _provisionalCopies.Keys)
            {
                try { copy.Completion.Wait(ct); }
                catch (AggregateException) { return false; }
                if (!copy.Completion.IsCompletedSuccessfully || !copy.Completion.Result) return false;
            }
            foreach (var point in _provisionalPoints)
            {
                var rec = point.Recording ?? new PointRecording(now);
                if (options.ReportUnlistedFiles)
                {
                    int before = rec.RejectionCount;
                    ReportUnlisted(point.Ta, point.Listed.Contains, point.ManifestSignedObjectUri, point.Base, point.Root, rec);
                    foreach (var r in rec.RejectionsFrom(before)) Reject(point.Ta, r.Uri, r.Reason);
                }
                if (point.CacheKey is { } key && rec.ToEntry(rec.ToOutcome(point.Objects)) is { } entry) options.Cache!.Store(key, entry, _cacheRun);
            }
            return true;
        }

        /// <summary>
        /// Everything besides the files and the time that the outcome of a point depends on, hashed: the CA
        /// certificate, its resolved resources, its SKI path and depth, its trust anchor (unlisted-file reports leave
        /// the TA certificate's URIs out), where the provider said the files are, and the options that change outcomes.
        /// </summary>
        private string CacheKey(CaContext ca, RepositoryLocation location, string mftUri)
        {
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Add(string? s)
            {
                // 0xFF never occurs in UTF-8, so fields cannot run into each other; null differs from "".
                if (s is not null) h.AppendData(Encoding.UTF8.GetBytes(s));
                h.AppendData(s is null ? [0xFE, 0xFF] : [0xFF]);
            }
            Add(ca.Ta.Name);
            Add(ca.Ta.CertificateUri);
            foreach (var u in ca.Ta.TalUris) Add(u);
            Add(null);
            h.AppendData(ca.Cert.ContentHash);
            Add(ca.Uri);
            Add(ca.Ip.ToString());
            Add(ca.As.ToString());
            h.AppendData(ca.Path.Hash);
            Add(ca.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add(location.Root);
            Add(location.FallbackRoot);
            Add(mftUri);
            Add(FormattableString.Invariant($"{options.MaxDepth}/{options.MaxFileSize}/{options.ReportUnlistedFiles}"));
            return Convert.ToHexString(h.GetHashAndReset());
        }

        /// <summary>Adds a point's products to the run: the one path for fresh and cached outcomes alike.</summary>
        private void Apply(CaContext ca, PointOutcome o)
        {
            Interlocked.Increment(ref ca.Ta.CaCount);
            options.Progress?.PublicationPointDone(o.Objects);
            foreach (var (type, n) in o.Counts) ca.Ta.Counts.AddOrUpdate(type, n, (_, m) => m + n);
            Expires(o.EarliestExpiry);
            foreach (var r in o.Rejections)
            {
                Interlocked.Increment(ref ca.Ta.Rejected);
                Rejected.Add(r);
            }
            lock (ca.Ta)
            {
                foreach (var v in o.Vrps) ca.Ta.Builder.Add(v);
                foreach (var k in o.RouterKeys) ca.Ta.Builder.Add(k);
                foreach (var a in o.Aspas) ca.Ta.Builder.Add(a);
            }
            foreach (var c in o.Children)
                Enqueue(new CaContext(ca.Ta, c.Certificate, c.Uri, c.Ip, c.As, new SkiPath(c.Certificate.SubjectKeyIdentifier, ca.Path), ca.Depth + 1));
        }

        /// <summary>Checks the manifest, the CRL and every listed file of a publication point under <paramref name="root"/>; null with <paramref name="failure"/> when the point fails.</summary>
        private LoadedPoint? LoadPublicationPoint(CaContext ca, string root, string mftUri, out string? failure, PointRecording? rec)
        {
            var cert = ca.Cert;
            string ppBase = mftUri[..(mftUri.LastIndexOf('/') + 1)];
            failure = null;
            rec?.SetDirectory(LocalPath(root, ppBase.TrimEnd('/')), ppBase);

            // 1. manifest
            var mftBytes = Read(root, mftUri, out var readError, out var stamp);
            rec?.AddFile(mftUri, stamp);
            if (mftBytes is null) { failure = "manifest: " + readError + ": publication point fails (RFC 9286 §6.2)"; return null; }
            var mftDecoded = Manifest.Decode(mftBytes);
            if (!mftDecoded.IsSuccess) { failure = mftDecoded.Error + ": manifest rejected, publication point fails"; return null; }
            var mft = mftDecoded.Value!;
            var mftEe = mft.EeCertificate;
            rec?.Threshold(mft.ThisUpdate);
            rec?.Threshold(mft.NextUpdate);
            rec?.Window(mftEe.NotBefore, mftEe.NotAfter);
            if (mftEe.AuthorityKeyIdentifier != cert.SubjectKeyIdentifier) { failure = "manifest EE certificate AKI does not match the CA's SKI"; return null; }
            if (!mftEe.VerifySignedBy(cert)) { failure = "manifest EE certificate signature does not verify with the CA key"; return null; }
            if (mft.ThisUpdate > now) { failure = $"manifest thisUpdate {RpkiObject.FormatTime(mft.ThisUpdate)} is in the future: publication point fails"; return null; }
            if (now >= mft.NextUpdate) { failure = $"manifest is stale (nextUpdate {RpkiObject.FormatTime(mft.NextUpdate)} passed): publication point fails (RFC 9286 §6.3)"; return null; }
            if (mft.SignedObject.CheckValidityAt(now) is { } eeWindow) { failure = "manifest " + eeWindow + ": publication point fails"; return null; }
            if (mftEe.SignedObjectUri is { } so && so != mftUri) { failure = $"manifest EE certificate signedObject SIA {so} is not the manifest URI"; return null; }

            // 2. CRL
            var crlEntries = mft.Entries.Where(e => e.FileType == RpkiObjectType.Crl).ToList();
            if (crlEntries.Count != 1) { failure = $"manifest lists {crlEntries.Count} CRLs, expected exactly one: publication point fails"; return null; }
            string crlUri = ppBase + crlEntries[0].FileName;
            var crlBytes = Read(root, crlUri, out readError, out stamp);
            rec?.AddFile(crlUri, stamp);
            if (crlBytes is null) { failure = $"CRL {crlUri}: {readError}: publication point fails"; return null; }
            if (!crlEntries[0].Matches(crlBytes)) { failure = $"manifest hash does not match {crlEntries[0].FileName}: publication point fails (RFC 9286 §6.5)"; return null; }
            var crlDecoded = Crl.Decode(crlBytes);
            if (!crlDecoded.IsSuccess) { failure = $"CRL {crlUri}: {crlDecoded.Error}: publication point fails"; return null; }
            var crl = crlDecoded.Value!;
            rec?.Window(crl.ThisUpdate, crl.NextUpdate);
            if (crl.AuthorityKeyIdentifier != cert.SubjectKeyIdentifier) { failure = $"CRL {crlUri}: AKI does not match the CA's SKI: publication point fails"; return null; }
            if (!crl.VerifySignedBy(cert)) { failure = $"CRL {crlUri}: signature does not verify with the CA key: publication point fails"; return null; }
            if (crl.CheckValidityAt(now) is { } crlWindow) { failure = $"CRL {crlUri}: {crlWindow}: publication point fails"; return null; }
            if (crl.IsRevoked(mftEe)) { failure = "manifest EE certificate revoked by the CA's CRL: publication point fails"; return null; }
            if (mftEe.CrlUri is { } mftCrldp && mftCrldp != crlUri) { failure = $"manifest EE CRLDP {mftCrldp} is not the CRL on the manifest {crlUri}"; return null; }

            // 3. every listed file present and hash-matching (RFC 9286 §6.4/6.5); read them now
            var files = new List<(ManifestEntry Entry, string Uri, byte[] Bytes)>(mft.Entries.Length);
            foreach (var entry in mft.Entries)
            {
                if (entry.FileType == RpkiObjectType.Crl) continue;
                string uri = ppBase + entry.FileName;
                var bytes = Read(root, uri, out readError, out stamp);
                rec?.AddFile(uri, stamp);
                if (bytes is null) { failure = $"{entry.FileName} listed on the manifest but {readError}: publication point fails (RFC 9286 §6.4)"; return null; }
                if (!entry.Matches(bytes)) { failure = $"manifest hash does not match {entry.FileName}: publication point fails (RFC 9286 §6.5)"; return null; }
                files.Add((entry, uri, bytes));
            }
            return new LoadedPoint(mft, crl, crlUri, ppBase, files, mftBytes);
        }

        /// <summary>Validates the listed files of an accepted point into its outcome (not yet added to the run).</summary>
        private PointOutcome UsePublicationPoint(CaContext ca, LoadedPoint point, string root, PointRecording rec, bool reportUnlisted = true)
        {
            var (mft, crl, crlUri) = (point.Manifest, point.Crl, point.CrlUri);
            rec.Count(RpkiObjectType.Manifest);
            rec.Count(RpkiObjectType.Crl);
            rec.Expires(mft.NextUpdate < mft.EeCertificate.NotAfter ? mft.NextUpdate : mft.EeCertificate.NotAfter);
            rec.Expires(crl.NextUpdate);
            rec.Expires(ca.Cert.NotAfter);

            if (options.ReportUnlistedFiles && reportUnlisted) ReportUnlisted(ca.Ta, name => mft.Find(name) is not null, mft.EeCertificate.SignedObjectUri, point.Base, root, rec);

            foreach (var (entry, uri, bytes) in point.Files)
            {
                ct.ThrowIfCancellationRequested();
                string? reason;
                try { reason = ProcessFile(ca, crl, crlUri, entry, uri, bytes, rec); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    reason = "unexpected error: " + e.Message;
                    rec.Cacheable = false; // may be transient; try again next run
                }
                if (reason is not null) rec.Reject(uri, reason);
            }
            return rec.ToOutcome(point.Files.Count + 2);
        }

        private void ReportUnlisted(TaState ta, Func<string, bool> listed, string? manifestSignedObjectUri, string ppBase, string root, PointRecording rec)
        {
            var dir = LocalPath(root, ppBase.TrimEnd('/'));
            // Stat before listing: a file added meanwhile leaves the directory newer than recorded.
            rec.DirectoryStamp = dir is null ? null : PublicationPointCache.FileStamp.OfDirectory(dir);
            if (dir is null) { rec.Cacheable = false; return; }
            if (!Directory.Exists(dir)) return;
            try
            {
                foreach (var path in Directory.EnumerateFiles(dir))
                {
                    var name = Path.GetFileName(path);
                    if (!listed(name) && (ppBase + name) != ta.CertificateUri && !ta.TalUris.Contains(ppBase + name) && !(ppBase + name).Equals(manifestSignedObjectUri, StringComparison.Ordinal)
                        && RpkiFile.TypeFromName(name) is not (RpkiObjectType.Manifest or RpkiObjectType.Unknown))
                        rec.Reject(ppBase + name, "file not listed on the manifest: ignored");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { rec.Cacheable = false; }
        }

        /// <summary>Validates one listed file; returns the rejection reason or null.</summary>
        private string? ProcessFile(CaContext ca, Crl crl, string crlUri, ManifestEntry entry, string uri, byte[] bytes, PointRecording rec)
        {
            var type = entry.FileType;
            if (type == RpkiObjectType.Manifest) return null; // another manifest on a manifest: ignored
            var decoded = RpkiFile.Decode(bytes, entry.FileName);
            if (!decoded.IsSuccess)
                return type == RpkiObjectType.Certificate && decoded.Error!.Contains("trust anchor certificate", StringComparison.Ordinal)
                    ? "self-signed certificate (AKI = SKI) below a CA, it would point back at a publication point on its path: loop; " + decoded.Error
                    : decoded.Error;
            switch (decoded.Value)
            {
                case UnsupportedFile:
                    rec.Count(RpkiObjectType.Unknown);
                    return null;
                case RouterCertificate router:
                {
                    if (CheckChild(ca, crl, crlUri, router.Certificate, "router certificate", rec) is { } r) return r;
                    var asns = router.Certificate.AsResourcesOrEmpty;
                    if (asns.IsInherit || !ca.As.Contains(asns)) return "router certificate AS resources not contained in the issuer's (RFC 6487 §7.2)";
                    if (router.Certificate.IpResources is not null) return "router certificate must not carry IP resources (RFC 8209 §3.1.3.4)";
                    rec.RouterKeys.AddRange(router.ToRouterKeys());
                    rec.Count(RpkiObjectType.RouterCertificate);
                    rec.Expires(router.Certificate.NotAfter);
                    return null;
                }
                case ResourceCertificate child:
                {
                    if (child.Kind == CertificateKind.TrustAnchor)
                        return "certificate has the same SKI as its issuer (AKI = SKI on a non-TA) and would point back at the issuer's publication point: loop";
                    if (CheckChild(ca, crl, crlUri, child, "CA certificate", rec) is { } r) return r;
                    if (ca.Path.Contains(child.SubjectKeyIdentifier))
                        return $"certificate repeats the SKI {child.SubjectKeyIdentifier} of a CA on its own path: loop";
                    if (ca.Depth + 1 > options.MaxDepth) return $"certificate chain deeper than {options.MaxDepth}";
                    var ip = child.IpResourcesOrEmpty.ResolveInherit(ca.Ip);
                    var asr = child.AsResourcesOrEmpty.ResolveInherit(ca.As);
                    if (!ca.Ip.Contains(ip) || !ca.As.Contains(asr))
                        return "certificate resources not contained in the issuer's (RFC 6487 §7.2)";
                    if (ip.IsEmpty && asr.IsEmpty) return "CA certificate has no resources";
                    rec.Count(RpkiObjectType.Certificate);
                    rec.Children.Add(new ChildCa(child, uri, ip, asr));
                    return null;
                }
                case RoaObject roa:
                {
                    if (CheckEe(ca, crl, crlUri, roa.SignedObject, uri, rec) is { } r) return "ROA: " + r;
                    var ee = roa.EeCertificate.IpResourcesOrEmpty;
                    foreach (var p in roa.Prefixes)
                        if (!ee.ContainsPrefix(p.Prefix)) return $"ROA prefix {p.Prefix} not covered by the EE certificate's resources";
                    rec.Vrps.AddRange(roa.ToVrps());
                    rec.Count(RpkiObjectType.Roa);
                    return null;
                }
                case AspaObject aspa:
                {
                    if (CheckEe(ca, crl, crlUri, aspa.SignedObject, uri, rec) is { } r) return "ASPA: " + r;
                    var eeAs = aspa.EeCertificate.AsResourcesOrEmpty;
                    if (eeAs.IsInherit || !eeAs.ContainsAsn(aspa.CustomerAsn)) return $"ASPA: customer AS{aspa.CustomerAsn} not covered by the EE certificate's AS resources";
                    rec.Aspas.Add(aspa.ToAspa());
                    rec.Count(RpkiObjectType.Aspa);
                    return null;
                }
                case SignedObject other:
                {
                    if (CheckEe(ca, crl, crlUri, other, uri, rec) is { } r) return r;
                    rec.Count(other.Type);
                    return null;
                }
                case Crl:
                    return "a second CRL on the manifest";
                default:
                    rec.Count(decoded.Value!.Type);
                    return null;
            }
        }

        /// <summary>Checks shared by child CA and router certificates: issuer signature, AKI, validity, revocation, CRLDP.</summary>
        private string? CheckChild(CaContext ca, Crl crl, string crlUri, ResourceCertificate child, string what, PointRecording rec)
        {
            if (child.AuthorityKeyIdentifier != ca.Cert.SubjectKeyIdentifier) return $"{what}: AKI does not match the issuer's SKI";
            if (!child.VerifySignedBy(ca.Cert)) return "certificate signature does not verify with the issuer key";
            rec.Window(child.NotBefore, child.NotAfter);
            if (child.CheckValidityAt(now) is { } w) return child.NotBefore > now ? $"{what} not yet valid ({w})" : $"{what} expired ({w})";
            if (crl.IsRevoked(child)) return $"{what} revoked by the parent's CRL";
            if (child.CrlUri != crlUri) return $"{what}: CRL distribution point {child.CrlUri} is not the issuer's CRL {crlUri}";
            return null;
        }

        /// <summary>Checks of a signed object's EE certificate against the publication point's CA.</summary>
        private string? CheckEe(CaContext ca, Crl crl, string crlUri, SignedObject so, string uri, PointRecording rec)
        {
            var ee = so.EeCertificate;
            if (ee.AuthorityKeyIdentifier != ca.Cert.SubjectKeyIdentifier) return "EE certificate AKI does not match the issuer's SKI";
            if (!ee.VerifySignedBy(ca.Cert)) return "EE certificate signature does not verify with the issuer key";
            rec.Window(ee.NotBefore, ee.NotAfter);
            if (so.CheckValidityAt(now) is { } w) return ee.NotBefore > now ? $"EE certificate not yet valid ({w})" : $"EE certificate expired ({w})";
            if (crl.IsRevoked(ee)) return "EE certificate revoked by the issuer's CRL";
            if (ee.CrlUri != crlUri) return $"EE certificate CRL distribution point {ee.CrlUri} is not the issuer's CRL {crlUri}";
            var ip = ee.IpResourcesOrEmpty.ResolveInherit(ca.Ip);
            var asr = ee.AsResourcesOrEmpty.ResolveInherit(ca.As);
            if (!ca.Ip.Contains(ip) || !ca.As.Contains(asr)) return "EE certificate resources not contained in the issuer's (RFC 6487 §7.2)";
            if (ee.SignedObjectUri is { } s && s != uri) return $"EE certificate signedObject SIA {s} is not the object's URI";
            rec.Expires(ee.NotAfter);
            return null;
        }
    }

    /// <summary>
    /// What computing one publication point produced and depended on: its products (replayed by
    /// <c>Apply</c>), the files it read, and the time interval over which every validity comparison it made keeps
    /// its answer. One per point and worker, so no locking.
    /// </summary>
    private sealed class PointRecording(DateTimeOffset now)
    {
        /// <summary>Latest compared-against time not after <c>now</c>: earlier, some comparison answers differently.</summary>
        public DateTimeOffset From = DateTimeOffset.MinValue;
        /// <summary>Earliest compared-against time after <c>now</c>: an expiry, or a notBefore/thisUpdate after which an object becomes usable.</summary>
        public DateTimeOffset Until = DateTimeOffset.MaxValue;
        /// <summary>False when the outcome depends on something an entry cannot check (unmappable path, I/O error, unexpected exception).</summary>
        public bool Cacheable = true;
        private string? _directory;
        private string _base = "";
        private readonly List<(string Name, long Length, long Ticks)> _files = [];
        public PublicationPointCache.FileStamp? DirectoryStamp;
        public PublicationPointCache.FileStamp? PreviousManifest;

        public readonly List<Vrp> Vrps = [];
        public readonly List<RouterKey> RouterKeys = [];
        public readonly List<Aspa> Aspas = [];
        public readonly List<ChildCa> Children = [];
        private readonly List<RejectedObject> _rejections = [];
        private readonly Dictionary<RpkiObjectType, int> _counts = [];
        private DateTimeOffset? _expiry;

        /// <summary>
        /// Records a time <c>now</c> is compared with as <c>now &lt; t</c> (or <c>now ≥ t</c>); every comparison the
        /// validator makes has that form once a strict <c>now &gt; until</c> is taken as <c>now ≥ until + 1 tick</c>.
        /// </summary>
        public void Threshold(DateTimeOffset t)
        {
            if (t <= now) { if (t > From) From = t; }
            else if (t < Until) Until = t;
        }

        /// <summary>A [from, until] window checked with <see cref="RpkiObject.CheckValidityAt"/> (<c>now &lt; from</c>, <c>now &gt; until</c>).</summary>
        public void Window(DateTimeOffset from, DateTimeOffset until)
        {
            Threshold(from);
            Threshold(until == DateTimeOffset.MaxValue ? until : until.AddTicks(1));
        }

        public void SetDirectory(string? directory, string ppBase)
        {
            _directory = directory;
            _base = ppBase;
            if (directory is null) Cacheable = false;
        }

        /// <summary>Notes a file read from the point's directory; files elsewhere (or not stat-able) make the point uncacheable.</summary>
        public void AddFile(string uri, PublicationPointCache.FileStamp? stamp)
        {
            if (_directory is null || stamp is not { } s || !uri.StartsWith(_base, StringComparison.Ordinal)) { Cacheable = false; return; }
            string name = uri[_base.Length..];
            if (name.Contains('/') || Path.Combine(_directory, name) != s.Path) { Cacheable = false; return; }
            _files.Add((name, s.Length, s.Ticks));
        }

        public void Count(RpkiObjectType type) => _counts[type] = _counts.GetValueOrDefault(type) + 1;

        public void Expires(DateTimeOffset t)
        {
            if (_expiry is null || t < _expiry) _expiry = t;
        }

        public void Reject(string uri, string reason) => _rejections.Add(new RejectedObject(uri, reason));

        public int RejectionCount => _rejections.Count;

        public IEnumerable<RejectedObject> RejectionsFrom(int index) => _rejections.Skip(index);

        public PointOutcome ToOutcome(int objects) => new()
        {
            Objects = objects,
            Vrps = [.. Vrps],
            RouterKeys = [.. RouterKeys],
            Aspas = [.. Aspas],
            Children = [.. Children],
            Rejections = [.. _rejections],
            Counts = [.. _counts],
            EarliestExpiry = _expiry,
        };

        public PublicationPointCache.Entry? ToEntry(PointOutcome outcome)
            => Cacheable && _directory is not null
                ? new PublicationPointCache.Entry(_directory, [.. _files], DirectoryStamp, PreviousManifest, From, Until, outcome)
                : null;
    }
}
