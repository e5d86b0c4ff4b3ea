using System.Runtime.InteropServices;

namespace RtrCache.Host.Serving.Persistence;

/// <summary>
/// Replaces a file so that a crash at any moment leaves either the old or the new content, never a mix or an
/// empty file: write a temporary file in the same directory, fsync it, rename it over the target, fsync the
/// directory so the rename itself is on disk.
/// </summary>
public static class AtomicFile
{
    /// <summary>Prefix of temporary files; <see cref="RemoveLeftovers"/> deletes those a crash left behind.</summary>
    public const string TempPrefix = ".tmp-";

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; returns the bytes written.</summary>
    public static long Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} has no directory", nameof(path));
        string temp = Path.Combine(directory, $"{TempPrefix}{Path.GetFileName(full)}-{Guid.NewGuid():N}");
        try
        {
            long length;
            using (var stream = new FileStream(temp, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew,
                       Access = FileAccess.Write,
                       Share = FileShare.None,
                       BufferSize = 0,
                   }))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
                length = stream.Length;
            }
            File.Move(temp, full, overwrite: true);
            SyncDirectory(directory);
            return length;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes temporary files of <paramref name="fileName"/> in <paramref name="directory"/> that an interrupted write left.</summary>
    public static void RemoveLeftovers(string directory, string fileName)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var f in Directory.EnumerateFiles(directory, $"{TempPrefix}{fileName}-*"))
            TryDelete(f);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort: the next start removes it */ }
    }

    /// <summary>
    /// fsync of the directory: without it the rename may still be in the page cache when the machine loses
    /// power, and the old file comes back. .NET cannot open a directory as a stream, hence libc. Windows
    /// renames are journaled by NTFS and need no counterpart.
    /// </summary>
    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the generated marshalling needs unsafe code, which this repository keeps off.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
