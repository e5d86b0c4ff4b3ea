namespace RtrCache.Interop.Peers;

/// <summary>
/// A fresh directory for one test's configuration files, sockets and outputs; deleted on dispose.
/// Kept short (under /tmp) because Unix socket paths (BIRD, OpenBGPD control sockets) are limited to 107 bytes.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    private TempDirectory(string path) => Path = path;

    public string Path { get; }

    public static TempDirectory Create(string prefix = "rtri-")
    {
        string root = System.IO.Path.GetTempPath();
        if (root.Length > 40)
        {
            root = "/tmp";
        }

        string path = System.IO.Path.Combine(root, prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return new TempDirectory(path);
    }

    /// <summary>Full path of <paramref name="name"/> inside this directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a peer may still be closing a file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
