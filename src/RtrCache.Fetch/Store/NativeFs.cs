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

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int Syncfs(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    // Same values on every Linux architecture .NET runs on (asm-generic and x86 agree for these three).
    private const int OWronly = 1;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int EExist = 17;
    private const int EIntr = 4;
    private const int Mode644 = 0x1A4; // rw-r--r--, less the umask

    /// <summary>What <see cref="TryCreateFile"/> did.</summary>
    public enum CreateResult
    {
        /// <summary>The file was created with the content.</summary>
        Created,

        /// <summary>Something already has that name (nothing was written).</summary>
        Exists,

        /// <summary>The native call is not available here: use .NET's file API.</summary>
        Unsupported,
    }

    /// <summary>
    /// Creates a new file holding <paramref name="content"/> with one open(O_CREAT|O_EXCL), write and close. A
    /// snapshot creates hundreds of thousands of small files, and .NET's FileStream adds an fstat and an flock to
    /// each open (its FileShare emulation), which made file creation about half of the snapshot writer's time.
    /// O_EXCL also refuses a name that is a symbolic link, dangling or not. Throws <see cref="IOException"/> for
    /// any other failure (after removing a partly written file).
    /// </summary>
    public static unsafe CreateResult TryCreateFile(string path, ReadOnlySpan<byte> content)
    {
        if (!OperatingSystem.IsLinux()) return CreateResult.Unsupported;
        int fd;
        try { fd = Open(path, OWronly | OCreat | OExcl | OCloexec, Mode644); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return CreateResult.Unsupported; }
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EExist) return CreateResult.Exists;
            throw new IOException($"cannot create {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        bool ok = false;
        try
        {
            fixed (byte* start = content)
            {
                nint done = 0;
                while (done < content.Length)
                {
                    nint n = Write(fd, start + done, content.Length - done);
                    if (n < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == EIntr) continue;
                        throw new IOException($"cannot write {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
                    }
                    done += n;
                }
            }
            ok = true;
        }
        finally
        {
            int closed = Close(fd);
            if (!ok || closed != 0) AtomicFile.TryDelete(path);
            if (ok && closed != 0) throw new IOException($"cannot write {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        return CreateResult.Created;
    }

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
