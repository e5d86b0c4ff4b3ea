using System.Diagnostics;
using RtrCache.Fetch.Http;
using RtrCache.Fetch.Rsync;
using RtrCache.Fetch.Store;
using RtrCache.Fetch.Uris;
using RtrCache.Rpki.Objects;

namespace RtrCache.Fetch.TrustAnchors;

/// <summary>
/// Keeps each TAL's trust anchor certificate at <c>CACHE/ta/TALNAME/FILE</c>. A run tries the TAL's URIs, https
/// first (RFC 8630 §2.2, as rpki-client and Routinator do), and replaces the cached file atomically only with a
/// download that decodes as a resource certificate carrying the TAL's key: a failed, truncated or wrong download
/// never displaces a good cached certificate, which is then served instead (spec §5: "fallback to cached TA cert").
/// The validator still does every other check on whatever file it is given.
/// </summary>
public sealed class TrustAnchorFetcher(string directory, HttpDownloader http, RsyncRunner rsync, FetchOptions options)
{
    /// <summary>The directory of all cached TA certificates.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>Where <paramref name="tal"/>'s certificate is cached; null when the URIs name no usable file name.</summary>
    public string? PathFor(Tal tal)
    {
        string fileName = tal.Uris[0][(tal.Uris[0].LastIndexOf('/') + 1)..];
        if (!RsyncUri.IsSafeName(fileName, allowAllPrintable: false)) return null;
        return Path.Combine(Directory, SafeTalName(tal.Name), fileName);
    }

    /// <summary>The TAL's name if it is a plain name, else a name derived from its hash (a TAL file name is not trusted input for a path).</summary>
    internal static string SafeTalName(string name)
        => RsyncUri.IsSafeName(name, allowAllPrintable: false)
            ? name
            : "tal-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..16];

    /// <summary>Refreshes the cached certificate of <paramref name="tal"/> (unless offline) and reports; the path is that of the cached file, or null.</summary>
    public async Task<(RepositoryReport Report, string? Path)> FetchAsync(Tal tal, Action<long>? progress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        string? target = PathFor(tal);
        if (target is null)
            return (Report(tal.Uris[0], FetchTransport.None, FetchOutcome.Failed, "TA certificate URI does not end in a plain file name", null, 0, sw, [], null), null);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        CleanLeftovers(Path.GetDirectoryName(target)!);
        if (options.Offline)
        {
            bool cached = File.Exists(target);
            return (Report(tal.Uris[0], FetchTransport.None, cached ? FetchOutcome.Cached : FetchOutcome.Failed, cached ? null : "offline and no cached TA certificate", target, 0, sw, [], null), cached ? target : null);
        }

        var errors = new List<string>();
        long bytes = 0;
        foreach (var uri in tal.PreferredUris)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(options.RepositoryTimeout);
            byte[]? content;
            string? error;
            FetchTransport transport;
            try
            {
                if (uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                {
                    transport = FetchTransport.Https;
                    (content, error, long n) = await DownloadHttpsAsync(uri, progress, deadline.Token).ConfigureAwait(false);
                    bytes += n;
                }
                else
                {
                    transport = FetchTransport.Rsync;
                    (content, error, long n) = await DownloadRsyncAsync(uri, Path.GetDirectoryName(target)!, deadline.Token).ConfigureAwait(false);
                    bytes += n;
                    progress?.Invoke(n);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                errors.Add($"{uri}: deadline of {options.RepositoryTimeout.TotalSeconds:0} s exceeded");
                continue;
            }
            if (content is not null && Check(tal, content) is { } checkError) { content = null; error = checkError; }
            if (content is null) { errors.Add($"{uri}: {error}"); continue; }

            bool same = File.Exists(target) && File.ReadAllBytes(target).AsSpan().SequenceEqual(content);
            if (same) File.SetLastWriteTimeUtc(target, options.Time.GetUtcNow().UtcDateTime);
            else AtomicFile.Write(target, content);
            return (Report(uri, transport, same ? FetchOutcome.Unchanged : FetchOutcome.Updated, null, target, bytes, sw, errors, same ? "not changed" : "downloaded"), target);
        }
        string allErrors = string.Join("; ", errors);
        bool haveOld = File.Exists(target);
        return (Report(tal.PreferredUris.First(), FetchTransport.None, haveOld ? FetchOutcome.Stale : FetchOutcome.Failed, allErrors, haveOld ? target : null, bytes, sw, [], null), haveOld ? target : null);
    }

    /// <summary>Null when <paramref name="content"/> decodes as a resource certificate with the TAL's key.</summary>
    private static string? Check(Tal tal, byte[] content)
    {
        var decoded = ResourceCertificate.Decode(content);
        if (!decoded.IsSuccess) return "not a usable certificate: " + decoded.Error;
        return tal.MatchesKey(decoded.Value!) ? null : "the certificate does not carry the TAL's public key";
    }

    private async Task<(byte[]? Content, string? Error, long Bytes)> DownloadHttpsAsync(string text, Action<long>? progress, CancellationToken ct)
    {
        if (!HttpsUri.TryParse(text, out var uri, out var error)) return (null, error, 0);
        using var buffer = new MemoryStream();
        var result = await http.DownloadAsync(uri!, buffer, options.MaxObjectBytes, null, progress, ct).ConfigureAwait(false);
        return result.Status == HttpDownloadStatus.Ok ? (buffer.ToArray(), null, result.Bytes) : (null, result.Error, result.Bytes);
    }

    private async Task<(byte[]? Content, string? Error, long Bytes)> DownloadRsyncAsync(string text, string talDirectory, CancellationToken ct)
    {
        if (!options.RsyncEnabled) return (null, "rsync is disabled", 0);
        if (!RsyncUri.TryParseObject(text, out var uri, out var error)) return (null, error, 0);
        string temp = Path.Combine(talDirectory, "staging-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = await rsync.FetchFileAsync(uri!, temp, ct).ConfigureAwait(false);
            if (!result.Succeeded) return (null, result.Error, result.BytesReceived);
            var file = new FileInfo(Path.Combine(temp, uri!.PathSegments[^1]));
            if (!file.Exists || file.LinkTarget is not null) return (null, "rsync delivered no file", result.BytesReceived);
            if (file.Length > options.MaxObjectBytes) return (null, "larger than the object size limit", result.BytesReceived);
            return (File.ReadAllBytes(file.FullName), null, result.BytesReceived);
        }
        finally
        {
            RepositoryStore.TryDeleteDirectory(temp);
        }
    }

    private static void CleanLeftovers(string talDirectory)
    {
        foreach (var dir in new DirectoryInfo(talDirectory).EnumerateDirectories("staging-*")) RepositoryStore.TryDeleteDirectory(dir.FullName);
        foreach (var file in new DirectoryInfo(talDirectory).EnumerateFiles("*.tmp")) AtomicFile.TryDelete(file.FullName);
    }

    private RepositoryReport Report(string uri, FetchTransport transport, FetchOutcome outcome, string? error, string? location, long bytes, Stopwatch sw, IReadOnlyList<string> warnings, string? action)
    {
        DateTimeOffset? lastSuccess = location is not null && File.Exists(location) ? new DateTimeOffset(File.GetLastWriteTimeUtc(location), TimeSpan.Zero) : null;
        return new RepositoryReport
        {
            Kind = RepositoryKind.TrustAnchor,
            Uri = uri,
            Transport = transport,
            Outcome = outcome,
            Error = error,
            Warnings = warnings,
            Action = action,
            BytesTransferred = bytes,
            Duration = sw.Elapsed,
            LastSuccess = lastSuccess,
            Location = location,
        };
    }
}
