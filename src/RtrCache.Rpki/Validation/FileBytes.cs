using System.Runtime.InteropServices;

namespace RtrCache.Rpki.Validation;

/// <summary>
/// Reads a repository file whole with open, read and close and nothing else. A validation run reads every object
/// of the repository (half a million files for the whole RPKI), and .NET's file API adds an fstat and an advisory
/// flock to every open (its FileShare emulation on Unix), a few microseconds each time for nothing the validator
/// needs. Elsewhere than Linux, or without libc, it is <see cref="File.ReadAllBytes"/>.
/// </summary>
internal static class FileBytes
{
    private const int ORdonly = 0;
    private const int OCloexec = 0x80000;
    private const int ENoent = 2;
    private const int EIntr = 4;
    private static readonly bool Native = OperatingSystem.IsLinux() && Probe();

    /// <summary>
    /// The bytes of <paramref name="path"/>, whose size a stat just gave as <paramref name="expectedLength"/>; a
    /// file that changed size meanwhile is read again the ordinary way. Throws like <see cref="File.ReadAllBytes"/>
    /// (<see cref="FileNotFoundException"/>, <see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>).
    /// </summary>
    public static byte[] Read(string path, long expectedLength)
    {
        if (!Native || expectedLength is < 0 or > int.MaxValue) return File.ReadAllBytes(path);
        int fd = open(path, ORdonly | OCloexec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string message = $"{path}: {Marshal.GetPInvokeErrorMessage(errno)}";
            if (errno == ENoent) throw new FileNotFoundException(message, path);
            if (errno == 13) throw new UnauthorizedAccessException(message);
            throw new IOException(message);
        }
        try
        {
            var bytes = new byte[expectedLength];
            int done = 0;
            while (done < bytes.Length)
            {
                nint n = read(fd, ref bytes[done], bytes.Length - done);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EIntr) continue;
                    throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
                if (n == 0) break; // shorter than the stat said
                done += (int)n;
            }
            byte probe = 0;
            nint more;
            do more = read(fd, ref probe, 1);
            while (more < 0 && Marshal.GetLastPInvokeError() == EIntr);
            // Changed under us (shorter or longer than stat said): read it the ordinary way.
            return done == bytes.Length && more == 0 ? bytes : File.ReadAllBytes(path);
        }
        finally
        {
            close(fd);
        }
    }

    private static bool Probe()
    {
        try
        {
            close(-1);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, ref byte buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
