using System.Collections.Concurrent;
using System.Collections.Immutable;
using RtrCache.Payload;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Resources;

namespace RtrCache.Rpki.Validation;

/// <summary>
/// Results of accepted publication points kept from one validation run to the next (like Routinator's stored
/// publication points), so a run over an unchanged repository re-reads, re-hashes, re-decodes and re-verifies
/// nothing: an unchanged point costs one stat() per file. Pass one instance in <see cref="ValidatorOptions.Cache"/>
/// to successive runs. Runs that overlap on one instance stay correct (every entry checks its own validity when
/// used) but may drop each other's entries at their end and share the counters; the host runs one at a time.
/// </summary>
/// <remarks>
/// <para>An entry is keyed by everything the outcome of a point depends on besides its files and the time: the CA
/// certificate (SHA-256 of its bytes), the resources resolved against the parent, the SKI path (loop detection),
/// the depth, the trust anchor (unlisted-file reports exclude its certificate URIs), the repository roots the
/// provider named, the manifest URI and the options that change outcomes.</para>
/// <para>It is reused only while (1) the manifest, the CRL, every listed file (and, when the provider names an
/// older copy, that copy's manifest) still have the size and last-write time they had when the entry was made, as
/// does the directory when unlisted files are reported; and (2) the run's time lies in the interval over which
/// every time comparison made while computing it (thisUpdate/nextUpdate, notBefore/notAfter of every certificate
/// looked at) gives the same answer, so a stale manifest, an expired ROA or a not-yet-valid certificate that
/// becomes valid are all re-evaluated exactly when a fresh run would see a difference.</para>
/// <para>Size and mtime identify content soundly for the fetcher's store, which never modifies a file in place
/// (every change is a new file renamed in, generations share unchanged files by hard link), and they are rsync's
/// own quick check for a local tree. Residual risk: a file rewritten in place with content of the same size
/// within the file system's timestamp granularity (or with its mtime restored) is not noticed until the entry
/// is recomputed; for a directory used with <c>--repo</c>, edit by writing a new file and renaming it in.</para>
/// <para>Memory stays proportional to the repository: entries not used during a run are dropped at its end.
/// Failed publication points, points accepted from the fallback copy and points kept by the manifest-number
/// regression rule are never stored; they are rare and recomputed each run.</para>
/// </remarks>
public sealed class PublicationPointCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _run;
    private int _hits;
    private int _misses;

    /// <summary>Publication points taken from the cache during the current (or last) run.</summary>
    public int Hits => Volatile.Read(ref _hits);

    /// <summary>Publication points looked up and not found valid during the current (or last) run (recomputed).</summary>
    public int Misses => Volatile.Read(ref _misses);

    /// <summary>Entries held.</summary>
    public int Count => _entries.Count;

    /// <summary>Drops every entry (the next run computes everything afresh).</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Starts a run: counters restart, entries are stamped with the new run number as they are used.</summary>
    internal long BeginRun()
    {
        Volatile.Write(ref _hits, 0);
        Volatile.Write(ref _misses, 0);
        return Interlocked.Increment(ref _run);
    }

    /// <summary>Ends a run that completed: entries neither used nor made in it belong to points that are gone.</summary>
    internal void EndRun(long run)
    {
        foreach (var (key, entry) in _entries)
            if (Interlocked.Read(ref entry.LastUsedRun) != run) _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
    }

    /// <summary>The stored outcome under <paramref name="key"/> when it is still what a fresh computation would give at <paramref name="now"/>.</summary>
    internal PointOutcome? TryGet(string key, DateTimeOffset now, long run)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.IsValid(now))
        {
            Interlocked.Exchange(ref entry.LastUsedRun, run);
            Interlocked.Increment(ref _hits);
            return entry.Outcome;
        }
        Interlocked.Increment(ref _misses);
        return null;
    }

    internal void Store(string key, Entry entry, long run)
    {
        entry.LastUsedRun = run;
        _entries[key] = entry;
    }

    /// <summary>
    /// A file's (or, with <see cref="IsDirectory"/>, a directory's) identity as seen by stat(): <see cref="Length"/>
    /// −1 means it did not exist. A directory's length means nothing portable, its mtime changes with every entry
    /// added, removed or renamed.
    /// </summary>
    internal readonly record struct FileStamp(string Path, long Length, long Ticks, bool IsDirectory = false)
    {
        public static FileStamp Of(string path, FileInfo info)
            => info.Exists ? new FileStamp(path, info.Length, info.LastWriteTimeUtc.Ticks) : new FileStamp(path, -1, 0);

        public static FileStamp OfDirectory(string path)
        {
            var info = new DirectoryInfo(path);
            return info.Exists ? new FileStamp(path, 0, info.LastWriteTimeUtc.Ticks, true) : new FileStamp(path, -1, 0, true);
        }

        public bool StillHolds()
        {
            try { return (IsDirectory ? OfDirectory(Path) : Of(Path, new FileInfo(Path))) == this; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        }
    }

    /// <summary>
    /// One stored point. Listed files are kept as names under <see cref="Directory"/> rather than full paths: with
    /// half a million files the paths would dominate the cache's memory.
    /// </summary>
    internal sealed class Entry(string directory, (string Name, long Length, long Ticks)[] files, FileStamp? directoryStamp,
        FileStamp? previousManifest, DateTimeOffset validFrom, DateTimeOffset validUntil, PointOutcome outcome)
    {
        public string Directory { get; } = directory;
        public (string Name, long Length, long Ticks)[] Files { get; } = files;
        /// <summary>The directory's mtime when unlisted files are reported: adding or removing a file changes it.</summary>
        public FileStamp? DirectoryStamp { get; } = directoryStamp;
        /// <summary>The older copy's manifest, whose bytes (or number) decided that the current copy is used.</summary>
        public FileStamp? PreviousManifest { get; } = previousManifest;
        /// <summary>Latest time compared against that was not after the computation time: before it some answer differs.</summary>
        public DateTimeOffset ValidFrom { get; } = validFrom;
        /// <summary>Earliest time compared against that was after the computation time (an expiry, or a notBefore/thisUpdate to reconsider).</summary>
        public DateTimeOffset ValidUntil { get; } = validUntil;
        public PointOutcome Outcome { get; } = outcome;
        public long LastUsedRun;

        public bool IsValid(DateTimeOffset now)
        {
            if (now < ValidFrom || now >= ValidUntil) return false;
            if (DirectoryStamp is { } d && !d.StillHolds()) return false;
            if (PreviousManifest is { } p && !p.StillHolds()) return false;
            foreach (var (name, length, ticks) in Files)
                if (!new FileStamp(Path.Combine(Directory, name), length, ticks).StillHolds()) return false;
            return true;
        }
    }
}

/// <summary>A child CA certificate accepted on a publication point, with its resources resolved against the issuer.</summary>
internal sealed record ChildCa(ResourceCertificate Certificate, string Uri, IpResourceSet Ip, AsResourceSet As);

/// <summary>
/// Everything processing an accepted publication point contributes to a run: replaying it (fresh or from the
/// cache) is the only way a point's products reach the result, so a reused point counts exactly as a computed one.
/// </summary>
internal sealed class PointOutcome
{
    public required int Objects { get; init; }
    public required ImmutableArray<Vrp> Vrps { get; init; }
    public required ImmutableArray<RouterKey> RouterKeys { get; init; }
    public required ImmutableArray<Aspa> Aspas { get; init; }
    public required ImmutableArray<ChildCa> Children { get; init; }
    public required ImmutableArray<RejectedObject> Rejections { get; init; }
    public required ImmutableArray<KeyValuePair<RpkiObjectType, int>> Counts { get; init; }
    public required DateTimeOffset? EarliestExpiry { get; init; }
}
