using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using RtrCache.Fetch.Http;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Rsync;
using RtrCache.Fetch.Store;
using RtrCache.Fetch.TrustAnchors;
using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch;

/// <summary>
/// The long-lived fetcher of one cache directory: owns the HTTP client (its connection pool and per-server
/// limit outlive runs), the concurrency limits, and the opened repository stores. Each validation run gets its
/// own <see cref="FetchRun"/> from <see cref="BeginRun"/>, which is what the validator talks to.
/// Layout under the cache directory:
/// <list type="bullet">
/// <item><c>rrdp/&lt;first 16 hex of SHA-256(notification URI)&gt;/</c> and <c>rsync/&lt;host[:port]&gt;/&lt;module&gt;/</c>:
/// <see cref="RepositoryStore"/>s (generations <c>gen-N/</c> holding <c>HOST/MODULE/path</c> files, pointers
/// <c>current</c> and <c>previous</c>);</item>
/// <item><c>ta/&lt;TAL name&gt;/&lt;file&gt;</c>: TA certificates (<see cref="TrustAnchorFetcher"/>);</item>
/// <item><c>.lock</c>: held while the fetcher lives, so two processes never share a cache.</item>
/// </list>
/// </summary>
public sealed class RepositoryFetcher : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<RepositoryStore>> _stores = new(StringComparer.Ordinal);
    private readonly FileStream _lock;
    private readonly HttpClient _http;

    /// <summary>
    /// Opens (creating) <paramref name="cacheDirectory"/>. Throws <see cref="IOException"/> when another process
    /// holds the cache, <see cref="InvalidDataException"/> when an extra CA file is unusable and
    /// <see cref="ArgumentException"/> for bad options: configuration errors belong at start-up.
    /// </summary>
    public RepositoryFetcher(string cacheDirectory, FetchOptions? options = null)
    {
        Options = options ?? FetchOptions.Default;
        Options.Validate();
        CacheDirectory = Path.GetFullPath(cacheDirectory);
        Directory.CreateDirectory(CacheDirectory);
        var trust = ExtraTrust.LoadPemFiles(Options.ExtraCaFiles);
        try
        {
            // FileShare.None is an advisory whole-file lock on Unix: a second rtrcache on the same cache fails here.
            _lock = new FileStream(Path.Combine(CacheDirectory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"cache directory {CacheDirectory} is in use by another process ({e.Message})", e);
        }
        _http = FetchHttpClient.Create(Options, trust);
        Downloader = new HttpDownloader(_http, Options);
        Rrdp = new RrdpClient(Downloader, Options);
        Rsync = new RsyncClient(new RsyncRunner(Options), Options);
        TrustAnchors = new TrustAnchorFetcher(Path.Combine(CacheDirectory, "ta"), Downloader, new RsyncRunner(Options), Options);
        RrdpSlots = new SemaphoreSlim(Options.MaxConcurrentRrdp);
        RsyncSlots = new SemaphoreSlim(Options.MaxConcurrentRsync);
    }

    public string CacheDirectory { get; }
    public FetchOptions Options { get; }

    internal HttpDownloader Downloader { get; }
    internal RrdpClient Rrdp { get; }
    internal RsyncClient Rsync { get; }
    internal TrustAnchorFetcher TrustAnchors { get; }
    internal SemaphoreSlim RrdpSlots { get; }
    internal SemaphoreSlim RsyncSlots { get; }

    /// <summary>
    /// Starts a run: the returned provider fetches each repository at most once, when the validator first asks for
    /// it. <paramref name="ct"/> cancels every fetch of the run (a validator's per-call token only stops its wait).
    /// </summary>
    public FetchRun BeginRun(CancellationToken ct = default) => new(this, ct);

    /// <summary>The store of the RRDP repository at <paramref name="notifyUri"/>.</summary>
    internal RepositoryStore RrdpStore(Uri notifyUri) => Store(Path.Combine(CacheDirectory, "rrdp", RrdpDirectoryName(notifyUri)));

    /// <summary>The store of an rsync module (the host is folded to lower case: host names are case-insensitive).</summary>
    internal RepositoryStore RsyncStore(RsyncUri module) => Store(Path.Combine(CacheDirectory, "rsync", module.Authority.ToLowerInvariant(), module.Module));

    /// <summary>First 16 hex digits of SHA-256 of the URI: a fixed-length name no URI can turn into a path trick.</summary>
    public static string RrdpDirectoryName(Uri notifyUri)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(notifyUri.OriginalString)))[..16];

    private RepositoryStore Store(string directory)
    {
        var lazy = _stores.GetOrAdd(directory, d => new Lazy<RepositoryStore>(() => RepositoryStore.Open(d), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not remember a failed open (a full disk, a permission fixed later): the next run tries again.
            _stores.TryRemove(new KeyValuePair<string, Lazy<RepositoryStore>>(directory, lazy));
            throw;
        }
    }

    /// <summary>
    /// Deletes cached repositories that <paramref name="run"/> did not use and that have had no successful fetch
    /// for <paramref name="unusedFor"/>: a CA that leaves the RPKI would otherwise leave its files on disk forever.
    /// Call between runs (after the validator finished with <paramref name="run"/>, before the next run begins).
    /// Returns the deleted repository directories.
    /// </summary>
    public IReadOnlyList<string> PruneUnused(FetchRun run, TimeSpan unusedFor)
    {
        var now = Options.Time.GetUtcNow();
        var deleted = new List<string>();
        var candidates = new List<string>();
        string rrdp = Path.Combine(CacheDirectory, "rrdp"), rsync = Path.Combine(CacheDirectory, "rsync");
        if (Directory.Exists(rrdp)) candidates.AddRange(Directory.GetDirectories(rrdp));
        if (Directory.Exists(rsync)) foreach (var host in Directory.GetDirectories(rsync)) candidates.AddRange(Directory.GetDirectories(host));
        foreach (var directory in candidates)
        {
            if (run.UsedStores.ContainsKey(directory)) continue;
            var store = Store(directory);
            if (!store.Gate.Wait(0)) continue; // in use after all: leave it
            try
            {
                DateTimeOffset last = store.CurrentRoot is { } root
                    ? RrdpState.TryRead(root, out _)?.LastSuccess ?? RsyncState.TryRead(root)?.LastSuccess ?? Directory.GetLastWriteTimeUtc(root)
                    : Directory.GetLastWriteTimeUtc(directory);
                if (now - last < unusedFor) continue;
                _stores.TryRemove(directory, out _);
                RepositoryStore.TryDeleteDirectory(directory);
                deleted.Add(directory);
                Log(FetchLogLevel.Information, $"removed unused repository cache {directory} (last success {last:u})");
            }
            finally
            {
                store.Gate.Release();
            }
        }
        if (Directory.Exists(rsync))
            foreach (var host in Directory.GetDirectories(rsync))
                if (!Directory.EnumerateFileSystemEntries(host).Any()) RepositoryStore.TryDeleteDirectory(host);
        return deleted;
    }

    internal void Log(FetchLogLevel level, string message) => Options.Log?.Invoke(level, message);

    public void Dispose()
    {
        _http.Dispose();
        _lock.Dispose();
        RrdpSlots.Dispose();
        RsyncSlots.Dispose();
    }
}
