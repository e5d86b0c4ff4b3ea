namespace RtrCache.Fetch;

/// <summary>How chatty a fetcher message is; the host maps it onto its logger.</summary>
public enum FetchLogLevel
{
    Debug,
    Information,
    Warning,
    Error,
}

/// <summary>
/// Everything a <see cref="RepositoryFetcher"/> can be told. The defaults follow rpki-client and Routinator where
/// they agree (15 s connect timeout, 8 MB objects, 300 deltas, 1 h RRDP fallback window) and are otherwise chosen
/// so that a misbehaving repository costs bounded time, memory and disk, never the whole run.
/// </summary>
public sealed record FetchOptions
{
    public const long DefaultMaxNotificationBytes = 16L * 1024 * 1024;
    public const long DefaultMaxRrdpFileBytes = 2L * 1024 * 1024 * 1024;
    public const long DefaultMaxObjectBytes = 8L * 1024 * 1024;

    public static FetchOptions Default { get; } = new();

    /// <summary>PEM files with extra root CA certificates trusted for HTTPS besides the system roots (<c>--extra-ca</c>). There is deliberately no way to turn certificate checks off.</summary>
    public IReadOnlyList<string> ExtraCaFiles { get; init; } = [];

    /// <summary>TCP + TLS connection setup limit (also rsync's <c>--contimeout</c>).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Limit for one HTTP request including its body (a slow-drip server hits it).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Limit for everything one repository needs in a run (notification, snapshot or all deltas, or the whole rsync).</summary>
    public TimeSpan RepositoryTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Redirects followed per request (https only; never to http).</summary>
    public int MaxRedirects { get; init; } = 3;

    /// <summary>Concurrent HTTP connections to one server (the per-host concurrency limit).</summary>
    public int MaxConnectionsPerServer { get; init; } = 8;

    /// <summary>Largest notification file (bytes after content decoding).</summary>
    public long MaxNotificationBytes { get; init; } = DefaultMaxNotificationBytes;

    /// <summary>Largest snapshot or delta file (bytes after content decoding). The largest real snapshots are well under 1 GiB; 2 GiB leaves room and still stops a 10 GB file.</summary>
    public long MaxRrdpFileBytes { get; init; } = DefaultMaxRrdpFileBytes;

    /// <summary>Largest single object, in RRDP and rsync (rpki-client's 8 MB).</summary>
    public long MaxObjectBytes { get; init; } = DefaultMaxObjectBytes;

    /// <summary>Smallest file rsync copies (rpki-client's 100 bytes: no real RPKI object is smaller).</summary>
    public long RsyncMinObjectBytes { get; init; } = 100;

    /// <summary>More deltas than this between our serial and the notification's ⇒ take the snapshot (rpki-client: 300).</summary>
    public int MaxDeltas { get; init; } = 300;

    /// <summary>Applied-delta hashes kept per repository for the RFC 9697 desynchronisation check.</summary>
    public int DeltaHistory { get; init; } = 300;

    /// <summary>Take a snapshot after this long on deltas alone, to heal any silent divergence (rpki-client's unconditional 12 weeks).</summary>
    public TimeSpan ForceSnapshotAfter { get; init; } = TimeSpan.FromDays(7 * 12);

    /// <summary>
    /// Also take a snapshot early, at random, with probability 2^w / 4096 per hour where w is the number of whole
    /// weeks since the last one (rpki-client's rule for its hourly runs; scaled to the time since the previous
    /// run, so the rate does not depend on the refresh interval): the load of the periodic resynchronisation is
    /// spread over time instead of every cache in the world taking it in the same run, and a repository is rarely
    /// more than a few weeks on deltas alone (median 4.1 weeks). At <see cref="ForceSnapshotAfter"/> (12 weeks)
    /// the snapshot is taken anyway.
    /// </summary>
    public bool RandomEarlySnapshot { get; init; } = true;

    /// <summary>The dice for <see cref="RandomEarlySnapshot"/> (tests pass a fixed one).</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>
    /// A notification that has named the same serial for longer than this is reported with a warning (rpki-client
    /// warns after 24 hours): manifests and CRLs are reissued well within a day, so a repository that does not
    /// change at all has most likely stopped publishing while its server still serves the last files.
    /// </summary>
    public TimeSpan UnchangedWarningAfter { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Routinator's "stale" policy: after an RRDP failure the repository is fetched with rsync only when its last
    /// RRDP success is older than this; inside the window the last RRDP data is served (and reported stale). A
    /// repository never fetched over RRDP falls back at once.
    /// </summary>
    public TimeSpan RrdpFallbackWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Threads that write a snapshot's objects into the new generation, beside the parser (so parsing and writing
    /// overlap even with one). File creation bounds a cold fetch and is mostly kernel time. Measured on the 2-core
    /// machine with the global-shaped snapshot (500,703 objects, 1 GB), parse alone 3.7 s: into a fresh journaled
    /// ext4, one writer 15.1 s and two 12.4 s; into tmpfs 8.3 s and 6.9 s. (On a file system that has just
    /// deleted a large tree, ext4's allocator makes every create slow and a second writer only contends; that
    /// was the earlier measurement that kept one.)
    /// </summary>
    public int SnapshotWriters { get; init; } = 2;

    /// <summary>Decoded snapshot objects that may wait for a writer, in bytes: bounds the memory a fast parser can fill.</summary>
    public long SnapshotQueueBytes { get; init; } = Rrdp.ParallelSnapshotWriter.DefaultQueueBytes;

    /// <summary>Whether rsync is used at all (for CAs without RRDP and as fallback).</summary>
    public bool RsyncEnabled { get; init; } = true;

    /// <summary>The rsync program.</summary>
    public string RsyncPath { get; init; } = "/usr/bin/rsync";

    /// <summary>rsync's <c>--timeout</c>: I/O inactivity limit.</summary>
    public TimeSpan RsyncIoTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>RRDP repositories fetched at the same time.</summary>
    public int MaxConcurrentRrdp { get; init; } = 16;

    /// <summary>rsync processes running at the same time.</summary>
    public int MaxConcurrentRsync { get; init; } = 4;

    /// <summary>
    /// Let the validator start on the publication points of a snapshot while the rest of it is still arriving
    /// (<see cref="Rrdp.SnapshotProgress"/>); what it computes counts only once the snapshot is committed. On by
    /// default; off, a repository is handed over only when its fetch has ended.
    /// </summary>
    public bool EarlyValidation { get; init; } = true;

    /// <summary>No network at all: serve what the cache holds (tests, air-gapped use).</summary>
    public bool Offline { get; init; }

    /// <summary>Clock for success times and the fallback window.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where messages go (the host forwards them to its logger); null drops them.</summary>
    public Action<FetchLogLevel, string>? Log { get; init; }

    /// <summary>Checks the numbers; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        static void Positive(TimeSpan t, string name) { if (t <= TimeSpan.Zero) throw new ArgumentException($"{name} must be positive"); }
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(RepositoryTimeout, nameof(RepositoryTimeout));
        Positive(RsyncIoTimeout, nameof(RsyncIoTimeout));
        if (RrdpFallbackWindow < TimeSpan.Zero) throw new ArgumentException($"{nameof(RrdpFallbackWindow)} must not be negative");
        if (MaxRedirects < 0) throw new ArgumentException($"{nameof(MaxRedirects)} must not be negative");
        if (MaxConnectionsPerServer < 1) throw new ArgumentException($"{nameof(MaxConnectionsPerServer)} must be at least 1");
        if (MaxNotificationBytes < 1 || MaxRrdpFileBytes < 1 || MaxObjectBytes < 1) throw new ArgumentException("size limits must be positive");
        if (RsyncMinObjectBytes < 0) throw new ArgumentException($"{nameof(RsyncMinObjectBytes)} must not be negative");
        if (MaxDeltas < 0 || DeltaHistory < 0) throw new ArgumentException("delta limits must not be negative");
        if (MaxConcurrentRrdp < 1 || MaxConcurrentRsync < 1) throw new ArgumentException("concurrency limits must be at least 1");
        if (string.IsNullOrWhiteSpace(RsyncPath)) throw new ArgumentException($"{nameof(RsyncPath)} is empty");
    }
}
