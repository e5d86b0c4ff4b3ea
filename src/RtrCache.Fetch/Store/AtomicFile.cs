namespace RtrCache.Fetch.Store;

/// <summary>
/// Whole-file replacement that a crash cannot tear: write a temporary file beside the target, fsync it, rename it
/// over the target, fsync the directory. Readers see the old or the new content, never a mix, and because the
/// target's directory entry is replaced rather than its bytes rewritten, other hard links to the old file keep
/// the old content (generations share files by hard links).
/// </summary>
public static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> atomically and durably.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string temp = TempPathFor(path);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        NativeFs.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> streams, atomically and durably; returns the bytes written.</summary>
    public static long Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string temp = TempPathFor(path);
        long length;
        try
        {
            using (var fs = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 }))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
                length = fs.Length;
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        NativeFs.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return length;
    }

    /// <summary>Deletes temporary files of <paramref name="fileName"/> in <paramref name="directory"/> that an interrupted write left behind.</summary>
    public static void RemoveLeftovers(string directory, string fileName)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var f in Directory.EnumerateFiles(directory, $".{fileName}.*.tmp")) TryDelete(f);
    }

    /// <summary>Moves the finished file <paramref name="source"/> over <paramref name="path"/> (same file system), durably.</summary>
    public static void Replace(string source, string path)
    {
        using (var fs = new FileStream(source, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) fs.Flush(flushToDisk: true);
        File.Move(source, path, overwrite: true);
        NativeFs.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>A unique temporary name in the directory of <paramref name="path"/>; the <c>.tmp</c> suffix lets recovery find leftovers.</summary>
    public static string TempPathFor(string path)
        => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
