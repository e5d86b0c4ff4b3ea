using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
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
        var run = new RunState(repositories, now, options, ct);
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

        private byte[]? Read(string root, string uri, out string? error)
        {
            error = null;
            var path = LocalPath(root, uri);
            if (path is null) { error = "URI cannot be mapped into the repository tree"; return null; }
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists) { error = "file missing from the repository"; return null; }
                if (info.Length > options.MaxFileSize) { error = $"{info.Length} bytes, larger than the {options.MaxFileSize} byte limit"; return null; }
                return File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = "cannot read: " + e.Message;
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

            string? root = location.Root ?? location.FallbackRoot;
            var current = LoadPublicationPoint(ca, root!, mftUri, out var failure);
            if (location.Root is not null && location.FallbackRoot is { } previousRoot && previousRoot != location.Root)
            {
                if (current is null)
                {
                    // The new copy is broken (half-published update, bad manifest): use the last complete copy
                    // while it is still valid, like rpki-client and Routinator.
                    var previous = LoadPublicationPoint(ca, previousRoot, mftUri, out _);
                    if (previous is not null)
                    {
                        Reject(ca.Ta, mftUri, failure + "; using the previous copy of the publication point (manifest number " + previous.Manifest.Number + ")");
                        current = previous;
                        root = previousRoot;
                    }
                }
                else if (Read(previousRoot, mftUri, out _) is { } previousBytes && !previousBytes.AsSpan().SequenceEqual(current.ManifestBytes))
                {
                    // A changed manifest must move forward (RFC 9286 §4.2.1): a lower number means the new one
                    // is a replay or a mistake, so the previously accepted state stays in use.
                    var previous = LoadPublicationPoint(ca, previousRoot, mftUri, out _);
                    if (previous is not null && previous.Manifest.Number > current.Manifest.Number)
                    {
                        Reject(ca.Ta, mftUri, $"manifestNumber {current.Manifest.Number} lower than the previously accepted {previous.Manifest.Number}: keep the previous manifest (RFC 9286 §4.2.1)");
                        current = previous;
                        root = previousRoot;
                    }
                }
            }
            if (current is null) { Fail(ca, mftUri, failure!); return; }
            UsePublicationPoint(ca, current, root!);
        }

        /// <summary>Checks the manifest, the CRL and every listed file of a publication point under <paramref name="root"/>; null with <paramref name="failure"/> when the point fails.</summary>
        private LoadedPoint? LoadPublicationPoint(CaContext ca, string root, string mftUri, out string? failure)
        {
            var cert = ca.Cert;
            string ppBase = mftUri[..(mftUri.LastIndexOf('/') + 1)];
            failure = null;

            // 1. manifest
            var mftBytes = Read(root, mftUri, out var readError);
            if (mftBytes is null) { failure = "manifest: " + readError + ": publication point fails (RFC 9286 §6.2)"; return null; }
            var mftDecoded = Manifest.Decode(mftBytes);
            if (!mftDecoded.IsSuccess) { failure = mftDecoded.Error + ": manifest rejected, publication point fails"; return null; }
            var mft = mftDecoded.Value!;
            var mftEe = mft.EeCertificate;
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
            var crlBytes = Read(root, crlUri, out readError);
            if (crlBytes is null) { failure = $"CRL {crlUri}: {readError}: publication point fails"; return null; }
            if (!crlEntries[0].Matches(crlBytes)) { failure = $"manifest hash does not match {crlEntries[0].FileName}: publication point fails (RFC 9286 §6.5)"; return null; }
            var crlDecoded = Crl.Decode(crlBytes);
            if (!crlDecoded.IsSuccess) { failure = $"CRL {crlUri}: {crlDecoded.Error}: publication point fails"; return null; }
            var crl = crlDecoded.Value!;
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
                var bytes = Read(root, uri, out readError);
                if (bytes is null) { failure = $"{entry.FileName} listed on the manifest but {readError}: publication point fails (RFC 9286 §6.4)"; return null; }
                if (!entry.Matches(bytes)) { failure = $"manifest hash does not match {entry.FileName}: publication point fails (RFC 9286 §6.5)"; return null; }
                files.Add((entry, uri, bytes));
            }
            return new LoadedPoint(mft, crl, crlUri, ppBase, files, mftBytes);
        }

        private void UsePublicationPoint(CaContext ca, LoadedPoint point, string root)
        {
            var (mft, crl, crlUri) = (point.Manifest, point.Crl, point.CrlUri);
            Interlocked.Increment(ref ca.Ta.CaCount);
            options.Progress?.PublicationPointDone(point.Files.Count + 2);
            ca.Ta.Count(RpkiObjectType.Manifest);
            ca.Ta.Count(RpkiObjectType.Crl);
            Expires(mft.NextUpdate < mft.EeCertificate.NotAfter ? mft.NextUpdate : mft.EeCertificate.NotAfter);
            Expires(crl.NextUpdate);
            Expires(ca.Cert.NotAfter);

            if (options.ReportUnlistedFiles) ReportUnlisted(ca.Ta, mft, point.Base, root);

            var vrps = new List<Vrp>();
            var keys = new List<RouterKey>();
            var aspas = new List<Aspa>();
            foreach (var (entry, uri, bytes) in point.Files)
            {
                ct.ThrowIfCancellationRequested();
                string? reason;
                try { reason = ProcessFile(ca, crl, crlUri, entry, uri, bytes, vrps, keys, aspas); }
                catch (Exception e) when (e is not OperationCanceledException) { reason = "unexpected error: " + e.Message; }
                if (reason is not null) Reject(ca.Ta, uri, reason);
            }
            lock (ca.Ta)
            {
                foreach (var v in vrps) ca.Ta.Builder.Add(v);
                foreach (var k in keys) ca.Ta.Builder.Add(k);
                foreach (var a in aspas) ca.Ta.Builder.Add(a);
            }
        }

        private void ReportUnlisted(TaState ta, Manifest mft, string ppBase, string root)
        {
            var dir = LocalPath(root, ppBase.TrimEnd('/'));
            if (dir is null || !Directory.Exists(dir)) return;
            try
            {
                foreach (var path in Directory.EnumerateFiles(dir))
                {
                    var name = Path.GetFileName(path);
                    if (mft.Find(name) is null && (ppBase + name) != ta.CertificateUri && !ta.TalUris.Contains(ppBase + name) && !(ppBase + name).Equals(mft.EeCertificate.SignedObjectUri, StringComparison.Ordinal)
                        && RpkiFile.TypeFromName(name) is not (RpkiObjectType.Manifest or RpkiObjectType.Unknown))
                        Reject(ta, ppBase + name, "file not listed on the manifest: ignored");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }

        /// <summary>Validates one listed file; returns the rejection reason or null.</summary>
        private string? ProcessFile(CaContext ca, Crl crl, string crlUri, ManifestEntry entry, string uri, byte[] bytes,
            List<Vrp> vrps, List<RouterKey> keys, List<Aspa> aspas)
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
                    ca.Ta.Count(RpkiObjectType.Unknown);
                    return null;
                case RouterCertificate router:
                {
                    if (CheckChild(ca, crl, crlUri, router.Certificate, "router certificate") is { } r) return r;
                    var asns = router.Certificate.AsResourcesOrEmpty;
                    if (asns.IsInherit || !ca.As.Contains(asns)) return "router certificate AS resources not contained in the issuer's (RFC 6487 §7.2)";
                    if (router.Certificate.IpResources is not null) return "router certificate must not carry IP resources (RFC 8209 §3.1.3.4)";
                    keys.AddRange(router.ToRouterKeys());
                    ca.Ta.Count(RpkiObjectType.RouterCertificate);
                    Expires(router.Certificate.NotAfter);
                    return null;
                }
                case ResourceCertificate child:
                {
                    if (child.Kind == CertificateKind.TrustAnchor)
                        return "certificate has the same SKI as its issuer (AKI = SKI on a non-TA) and would point back at the issuer's publication point: loop";
                    if (CheckChild(ca, crl, crlUri, child, "CA certificate") is { } r) return r;
                    if (ca.Path.Contains(child.SubjectKeyIdentifier))
                        return $"certificate repeats the SKI {child.SubjectKeyIdentifier} of a CA on its own path: loop";
                    if (ca.Depth + 1 > options.MaxDepth) return $"certificate chain deeper than {options.MaxDepth}";
                    var ip = child.IpResourcesOrEmpty.ResolveInherit(ca.Ip);
                    var asr = child.AsResourcesOrEmpty.ResolveInherit(ca.As);
                    if (!ca.Ip.Contains(ip) || !ca.As.Contains(asr))
                        return "certificate resources not contained in the issuer's (RFC 6487 §7.2)";
                    if (ip.IsEmpty && asr.IsEmpty) return "CA certificate has no resources";
                    ca.Ta.Count(RpkiObjectType.Certificate);
                    Enqueue(new CaContext(ca.Ta, child, uri, ip, asr, new SkiPath(child.SubjectKeyIdentifier, ca.Path), ca.Depth + 1));
                    return null;
                }
                case RoaObject roa:
                {
                    if (CheckEe(ca, crl, crlUri, roa.SignedObject, uri) is { } r) return "ROA: " + r;
                    var ee = roa.EeCertificate.IpResourcesOrEmpty;
                    foreach (var p in roa.Prefixes)
                        if (!ee.ContainsPrefix(p.Prefix)) return $"ROA prefix {p.Prefix} not covered by the EE certificate's resources";
                    vrps.AddRange(roa.ToVrps());
                    ca.Ta.Count(RpkiObjectType.Roa);
                    return null;
                }
                case AspaObject aspa:
                {
                    if (CheckEe(ca, crl, crlUri, aspa.SignedObject, uri) is { } r) return "ASPA: " + r;
                    var eeAs = aspa.EeCertificate.AsResourcesOrEmpty;
                    if (eeAs.IsInherit || !eeAs.ContainsAsn(aspa.CustomerAsn)) return $"ASPA: customer AS{aspa.CustomerAsn} not covered by the EE certificate's AS resources";
                    aspas.Add(aspa.ToAspa());
                    ca.Ta.Count(RpkiObjectType.Aspa);
                    return null;
                }
                case SignedObject other:
                {
                    if (CheckEe(ca, crl, crlUri, other, uri) is { } r) return r;
                    ca.Ta.Count(other.Type);
                    return null;
                }
                case Crl:
                    return "a second CRL on the manifest";
                default:
                    ca.Ta.Count(decoded.Value!.Type);
                    return null;
            }
        }

        /// <summary>Checks shared by child CA and router certificates: issuer signature, AKI, validity, revocation, CRLDP.</summary>
        private string? CheckChild(CaContext ca, Crl crl, string crlUri, ResourceCertificate child, string what)
        {
            if (child.AuthorityKeyIdentifier != ca.Cert.SubjectKeyIdentifier) return $"{what}: AKI does not match the issuer's SKI";
            if (!child.VerifySignedBy(ca.Cert)) return "certificate signature does not verify with the issuer key";
            if (child.CheckValidityAt(now) is { } w) return child.NotBefore > now ? $"{what} not yet valid ({w})" : $"{what} expired ({w})";
            if (crl.IsRevoked(child)) return $"{what} revoked by the parent's CRL";
            if (child.CrlUri != crlUri) return $"{what}: CRL distribution point {child.CrlUri} is not the issuer's CRL {crlUri}";
            return null;
        }

        /// <summary>Checks of a signed object's EE certificate against the publication point's CA.</summary>
        private string? CheckEe(CaContext ca, Crl crl, string crlUri, SignedObject so, string uri)
        {
            var ee = so.EeCertificate;
            if (ee.AuthorityKeyIdentifier != ca.Cert.SubjectKeyIdentifier) return "EE certificate AKI does not match the issuer's SKI";
            if (!ee.VerifySignedBy(ca.Cert)) return "EE certificate signature does not verify with the issuer key";
            if (so.CheckValidityAt(now) is { } w) return ee.NotBefore > now ? $"EE certificate not yet valid ({w})" : $"EE certificate expired ({w})";
            if (crl.IsRevoked(ee)) return "EE certificate revoked by the issuer's CRL";
            if (ee.CrlUri != crlUri) return $"EE certificate CRL distribution point {ee.CrlUri} is not the issuer's CRL {crlUri}";
            var ip = ee.IpResourcesOrEmpty.ResolveInherit(ca.Ip);
            var asr = ee.AsResourcesOrEmpty.ResolveInherit(ca.As);
            if (!ca.Ip.Contains(ip) || !ca.As.Contains(asr)) return "EE certificate resources not contained in the issuer's (RFC 6487 §7.2)";
            if (ee.SignedObjectUri is { } s && s != uri) return $"EE certificate signedObject SIA {s} is not the object's URI";
            Expires(ee.NotAfter);
            return null;
        }
    }
}
