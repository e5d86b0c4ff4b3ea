using System.Diagnostics;
using System.Globalization;

namespace RtrCache.Benchmarks;

/// <summary>
/// A new, empty, journaled ext4 file system on a loop device, for one measured run that creates hundreds of
/// thousands of files. On a file system where large trees were just deleted, creating a file can cost ten times
/// more than on a fresh one (ext4's inode allocator skips recently freed inodes one by one; measured here with
/// perf), so in-place numbers swing by a factor of three between rounds and depend on what ran before. Giving
/// the cold run and the rsync floor each a file system of their own, made the same way, compares the programs
/// instead of the history of the disk. Needs root, <c>mkfs.ext4</c> and loop devices; <see cref="Available"/> says.
/// The image is a sparse file; it is unmounted and deleted on dispose.
/// </summary>
internal sealed class FreshFileSystem : IDisposable
{
    private readonly string _image;
    private bool _disposed;

    private FreshFileSystem(string image, string mountPoint)
    {
        _image = image;
        MountPoint = mountPoint;
    }

    /// <summary>Where the file system is mounted.</summary>
    public string MountPoint { get; }

    /// <summary>True when this process can make and mount one (root, mkfs.ext4, a loop device).</summary>
    public static bool Available =>
        Environment.IsPrivilegedProcess && File.Exists("/dev/loop-control") && (File.Exists("/usr/sbin/mkfs.ext4") || File.Exists("/sbin/mkfs.ext4"));

    /// <summary>Makes an image of <paramref name="bytes"/> (one inode per 4 KiB: RPKI objects are small) and mounts it at <paramref name="mountPoint"/>.</summary>
    public static FreshFileSystem Create(string image, string mountPoint, long bytes)
    {
        using (var file = new FileStream(image, FileMode.Create, FileAccess.Write)) file.SetLength(bytes);
        Directory.CreateDirectory(mountPoint);
        Run("mkfs.ext4", "-q", "-F", "-i", "4096", "-L", "rtrcache-bench", image);
        Run("mount", "-o", "loop", image, mountPoint);
        return new FreshFileSystem(image, mountPoint);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            if (TryRun("umount", MountPoint)) break;
            Thread.Sleep(1000); // a child that just exited may still hold a file for a moment
        }
        try { File.Delete(_image); } catch (IOException) { }
    }

    private static void Run(string program, params string[] args)
    {
        if (!TryRun(program, args)) throw new IOException($"{program} {string.Join(' ', args)} failed");
    }

    private static bool TryRun(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        string errors = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(entireProcessTree: true); return false; }
        if (p.ExitCode != 0) Console.Error.WriteLine($"{program}: exit {p.ExitCode.ToString(CultureInfo.InvariantCulture)}: {errors.Trim()}");
        return p.ExitCode == 0;
    }
}
