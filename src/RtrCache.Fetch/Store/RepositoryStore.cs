using System.Globalization;
using System.Text;

namespace RtrCache.Fetch.Store;

/// <summary>
/// One repository's crash-safe on-disk copies. The directory holds complete generations <c>gen-N/</c> (each laid
/// out <c>HOST/MODULE/path</c>, so a generation is a validator root as it is), a pointer file <c>current</c> naming
/// the generation in use and <c>previous</c> naming the one before it (the validator's fallback copy). An update is
/// built in <c>staging-*/</c> (or, for a snapshot, directly in an unreferenced <c>gen-N</c>), flushed, renamed to a fresh <c>gen-N</c>, and only then published by rewriting the
/// pointers (write-temp, fsync, rename, fsync directory). Whatever instant a process dies at, <c>current</c> names
/// a generation that was complete before the pointer moved; leftovers (staging directories, temporary files,
/// unreferenced generations) are removed by <see cref="Open"/>. Older generations are deleted on commit, so at
/// most two complete copies (sharing unchanged files by hard links) remain.
/// Not thread-safe: one fetch per repository at a time (the fetcher holds <see cref="Gate"/>).
/// </summary>
public sealed class RepositoryStore
{
    private const string CurrentPointer = "current";
    private const string PreviousPointer = "previous";
    private const string GenerationPrefix = "gen-";
    private const string StagingPrefix = "staging-";
    private long _nextGeneration;

    private RepositoryStore(string directory) => Directory = directory;

    /// <summary>The repository directory.</summary>
    public string Directory { get; }

    /// <summary>The generation in use, or null when the repository was never fetched successfully.</summary>
    public string? CurrentRoot { get; private set; }

    /// <summary>The generation before <see cref="CurrentRoot"/>, or null.</summary>
    public string? PreviousRoot { get; private set; }

    /// <summary>Serialises fetches of this repository (two runs, or a run and a TA download, must not interleave).</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>
    /// Opens (creating if needed) the repository at <paramref name="directory"/> and recovers from any interrupted
    /// update: staging directories, temporary files and generations no pointer names are deleted.
    /// </summary>
    public static RepositoryStore Open(string directory)
    {
        var full = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(full);
        var store = new RepositoryStore(full);
        store.Recover();
        return store;
    }

    private void Recover()
    {
        string? current = ReadPointer(CurrentPointer);
        string? previous = ReadPointer(PreviousPointer);
        if (previous == current) previous = null;
        long highest = 0;
        foreach (var entry in new DirectoryInfo(Directory).EnumerateFileSystemInfos())
        {
            string name = entry.Name;
            if (name.StartsWith(GenerationPrefix, StringComparison.Ordinal) && entry is DirectoryInfo)
            {
                if (GenerationNumber(name) is { } n) highest = Math.Max(highest, n);
                if (name != current && name != previous) TryDeleteDirectory(entry.FullName);
            }
            else if (name.StartsWith(StagingPrefix, StringComparison.Ordinal))
            {
                if (entry is DirectoryInfo) TryDeleteDirectory(entry.FullName); else AtomicFile.TryDelete(entry.FullName);
            }
            else if (name.EndsWith(".tmp", StringComparison.Ordinal) && entry is FileInfo)
            {
                AtomicFile.TryDelete(entry.FullName);
            }
        }
        _nextGeneration = highest + 1;
        CurrentRoot = current is null ? null : Path.Combine(Directory, current);
        PreviousRoot = previous is null ? null : Path.Combine(Directory, previous);
        if (PreviousRoot is not null && CurrentRoot is null)
        {
            // Only possible if 'current' was removed by hand: the previous copy is still a complete one.
            CurrentRoot = PreviousRoot;
            PreviousRoot = null;
        }
        // A metadata rewrite (ReplaceInCurrent) interrupted by a crash leaves a temporary file at the top.
        if (CurrentRoot is not null)
            foreach (var temp in new DirectoryInfo(CurrentRoot).EnumerateFiles(".*.tmp"))
                AtomicFile.TryDelete(temp.FullName);
    }

    /// <summary>The generation a pointer file names, if the file is well-formed and that generation exists.</summary>
    private string? ReadPointer(string pointer)
    {
        string path = Path.Combine(Directory, pointer);
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > 64) return null;
            text = File.ReadAllText(path, Encoding.ASCII).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (GenerationNumber(text) is null) return null;
        return System.IO.Directory.Exists(Path.Combine(Directory, text)) ? text : null;
    }

    private static long? GenerationNumber(string name)
        => name.StartsWith(GenerationPrefix, StringComparison.Ordinal)
           && name.Length > GenerationPrefix.Length && name.Length <= GenerationPrefix.Length + 18
           && name.AsSpan(GenerationPrefix.Length).IndexOfAnyExceptInRange('0', '9') < 0
           && long.TryParse(name.AsSpan(GenerationPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long n)
            ? n : null;

    /// <summary>An empty staging generation (a snapshot or an rsync transfer fills it).</summary>
    public StagingGeneration BeginEmpty()
    {
        string root = Path.Combine(Directory, StagingPrefix + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(root);
        return new StagingGeneration(root);
    }

    /// <summary>
    /// An empty generation built under its final name <c>gen-N</c>, for a snapshot whose objects the validator may
    /// read while it is still being written (<see cref="Rrdp.SnapshotProgress"/>): paths read before the commit stay
    /// valid after it, since committing it only flushes it and moves the pointers. No pointer names it until then,
    /// so a crash leaves an unreferenced generation that <see cref="Open"/> deletes, exactly like a staging directory.
    /// </summary>
    public StagingGeneration BeginGeneration()
    {
        string root = Path.Combine(Directory, GenerationPrefix + _nextGeneration++.ToString(CultureInfo.InvariantCulture));
        TryDeleteDirectory(root);
        System.IO.Directory.CreateDirectory(root);
        return new StagingGeneration(root);
    }

    /// <summary>
    /// A staging generation that starts as a hard-link copy of the current one (deltas are applied to it). Changes
    /// to it must replace or unlink names, never write into an existing file: the files are shared with
    /// <see cref="CurrentRoot"/>.
    /// </summary>
    public StagingGeneration BeginCopyOfCurrent(CancellationToken ct = default)
    {
        var staging = BeginEmpty();
        if (CurrentRoot is null) return staging;
        try
        {
            HardLinkCopy.Copy(CurrentRoot, staging.Root, ct);
            return staging;
        }
        catch
        {
            staging.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="staging"/> the current generation: flush it, rename it to the next <c>gen-N</c>,
    /// point <c>previous</c> at the old current generation and <c>current</c> at the new one, then delete every
    /// other generation. Returns the new <see cref="CurrentRoot"/>.
    /// </summary>
    public string Commit(StagingGeneration staging)
    {
        if (staging.Committed) throw new InvalidOperationException("generation already committed");
        if (!string.Equals(Path.GetDirectoryName(staging.Root), Directory, StringComparison.Ordinal))
            throw new ArgumentException("staging generation of another repository", nameof(staging));
        NativeFs.SyncFileSystem(staging.Root);
        string root;
        if (GenerationNumber(Path.GetFileName(staging.Root)) is not null)
        {
            root = staging.Root; // built under its final name (BeginGeneration)
        }
        else
        {
            root = Path.Combine(Directory, GenerationPrefix + _nextGeneration++.ToString(CultureInfo.InvariantCulture));
            System.IO.Directory.Move(staging.Root, root);
        }
        string name = Path.GetFileName(root);
        staging.Committed = true;
        NativeFs.FsyncDirectory(Directory);
        string? oldCurrent = CurrentRoot;
        if (oldCurrent is not null) AtomicFile.Write(Path.Combine(Directory, PreviousPointer), Encoding.ASCII.GetBytes(Path.GetFileName(oldCurrent) + "\n"));
        AtomicFile.Write(Path.Combine(Directory, CurrentPointer), Encoding.ASCII.GetBytes(name + "\n"));
        PreviousRoot = oldCurrent;
        CurrentRoot = root;
        foreach (var dir in new DirectoryInfo(Directory).EnumerateDirectories(GenerationPrefix + "*"))
            if (dir.FullName != CurrentRoot && dir.FullName != PreviousRoot) TryDeleteDirectory(dir.FullName);
        return root;
    }

    /// <summary>A fresh temporary file name in the repository directory (downloads); removed by recovery if left behind.</summary>
    public string NewTempFile(string purpose) => Path.Combine(Directory, $"{purpose}-{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Replaces one metadata file at the top of the current generation (fetch state after a 304): by rename, so
    /// the previous generation's hard-linked copy is untouched.
    /// </summary>
    public void ReplaceInCurrent(string fileName, ReadOnlySpan<byte> content)
    {
        if (CurrentRoot is null) throw new InvalidOperationException("no current generation");
        if (fileName.Contains('/') || fileName.Contains('\\') || fileName is "." or "..") throw new ArgumentException("plain file name expected", nameof(fileName));
        AtomicFile.Write(Path.Combine(CurrentRoot, fileName), content);
    }

    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
