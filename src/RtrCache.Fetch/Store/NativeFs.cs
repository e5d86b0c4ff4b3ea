using System.Runtime.InteropServices;

namespace RtrCache.Fetch.Store;

/// <summary>
/// The few POSIX calls .NET does not offer: hard links (a delta generation starts as a hard-link copy of the
/// current one, so an update costs a directory walk rather than a copy of every object), and fsync of a directory
/// and syncfs, without which a rename is not durable across a power cut. Each returns false when the call is not
/// available or fails, and the callers fall back (copy instead of link; durability then rests on the OS).
/// </summary>
internal static partial class NativeFs
{
    private const int ORdonly = 0;
    // O_DIRECTORY differs between Linux architectures, and O_RDONLY opens a directory anyway; O_CLOEXEC is 02000000 on all.
    private const int OCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int Syncfs(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>Creates <paramref name="newPath"/> as a hard link to <paramref name="existing"/>; false if that is not possible here.</summary>
    public static bool TryHardLink(string existing, string newPath)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return Link(existing, newPath) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>fsync on a directory, making renames and new entries in it durable.</summary>
    public static bool FsyncDirectory(string path) => WithDirectory(path, fd => Fsync(fd) == 0);

    /// <summary>Flushes the whole file system holding <paramref name="path"/>: one call instead of an fsync per file of a new generation.</summary>
    public static bool SyncFileSystem(string path) => WithDirectory(path, fd => Syncfs(fd) == 0);

    private static bool WithDirectory(string path, Func<int, bool> action)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            int fd = Open(path, ORdonly | OCloexec);
            if (fd < 0) return false;
            try { return action(fd); }
            finally { Close(fd); }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}
