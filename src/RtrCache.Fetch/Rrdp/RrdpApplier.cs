using System.Security.Cryptography;
using RtrCache.Fetch.Store;
using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// Applies RRDP changes to a staging generation on disk. For a snapshot the tree starts empty and objects are
/// written straight to their final names (nothing reads staging); for deltas the tree is a hard-link copy of the
/// current generation, so every change is a rename of a fresh file over the name or an unlink, never a write into
/// an existing file (that would change the current generation too). Preconditions of RFC 8182 §3.5.3 are
/// checked against what is in the tree.
/// </summary>
public sealed class RrdpApplier(string root, bool freshTree, CancellationToken ct = default) : IRrdpChangeSink
{
    // Objects come grouped by directory; remembering the last one created saves a stat per object.
    private string? _lastDirectory;

    /// <summary>Objects created or replaced.</summary>
    public long Published { get; private set; }

    /// <summary>Objects deleted.</summary>
    public long Withdrawn { get; private set; }

    /// <summary>Decoded bytes written.</summary>
    public long BytesWritten { get; private set; }

    public void Publish(RsyncUri uri, byte[]? replacesHash, RrdpObjectContent content)
    {
        ct.ThrowIfCancellationRequested();
        string path = uri.LocalPath(root);
        try
        {
            // In a fresh tree CreateNew below detects a duplicate without an extra lookup.
            if (replacesHash is not null) CheckCurrent(uri, path, replacesHash, "replaced");
            else if (!freshTree && (File.Exists(path) || Directory.Exists(path))) throw Duplicate(uri);
            string directory = Path.GetDirectoryName(path)!;
            if (directory != _lastDirectory)
            {
                Directory.CreateDirectory(directory);
                _lastDirectory = directory;
            }
            if (freshTree && replacesHash is null)
            {
                FileStream fs;
                try
                {
                    fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024);
                }
                catch (IOException) when (File.Exists(path) || Directory.Exists(path))
                {
                    throw Duplicate(uri);
                }
                try
                {
                    using (fs) BytesWritten += content.CopyTo(fs);
                }
                catch
                {
                    AtomicFile.TryDelete(path);
                    throw;
                }
            }
            else
            {
                string temp = AtomicFile.TempPathFor(path);
                try
                {
                    using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024))
                        BytesWritten += content.CopyTo(fs);
                    File.Move(temp, path, overwrite: true);
                }
                catch
                {
                    AtomicFile.TryDelete(temp);
                    throw;
                }
            }
            Published++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RrdpException($"{uri}: cannot store: {e.Message}", e);
        }
    }

    public void Withdraw(RsyncUri uri, byte[] hash)
    {
        ct.ThrowIfCancellationRequested();
        string path = uri.LocalPath(root);
        try
        {
            CheckCurrent(uri, path, hash, "withdrawn");
            File.Delete(path);
            Withdrawn++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RrdpException($"{uri}: cannot withdraw: {e.Message}", e);
        }
    }

    private static RrdpException Duplicate(RsyncUri uri) => new($"{uri}: published without a hash but already present (duplicate publish element)");

    private static void CheckCurrent(RsyncUri uri, string path, byte[] hash, string what)
    {
        if (!File.Exists(path)) throw new RrdpException($"{uri}: {what} but not present");
        byte[] actual;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16 * 1024)) actual = SHA256.HashData(fs);
        if (!actual.AsSpan().SequenceEqual(hash))
            throw new RrdpException($"{uri}: {what} with hash {Convert.ToHexStringLower(hash)} but the current object hashes to {Convert.ToHexStringLower(actual)}");
    }
}
