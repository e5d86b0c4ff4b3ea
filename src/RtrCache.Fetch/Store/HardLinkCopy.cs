namespace RtrCache.Fetch.Store;

/// <summary>
/// Copies a generation tree as hard links: every directory is created anew, every regular file becomes a second
/// name for the same inode. The copy is therefore nearly free, and safe as long as nobody writes into a file in
/// place: the RRDP applier only ever renames a new file over a name or unlinks one, so the source generation keeps
/// its content. Symbolic links and special files are not copied (the cache never holds any). Falls back to a real
/// copy where the file system cannot link.
/// </summary>
internal static class HardLinkCopy
{
    /// <summary>Copies the tree at <paramref name="source"/> into the existing empty directory <paramref name="destination"/>; returns the number of files.</summary>
    public static long Copy(string source, string destination, CancellationToken ct)
    {
        long files = 0;
        var pending = new Stack<(string From, string To)>();
        pending.Push((source, destination));
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (from, to) = pending.Pop();
            foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
            {
                if ((entry.Attributes & FileAttributes.ReparsePoint) != 0) continue;
                string target = Path.Combine(to, entry.Name);
                if (entry is DirectoryInfo)
                {
                    Directory.CreateDirectory(target);
                    pending.Push((entry.FullName, target));
                }
                else if (entry is FileInfo)
                {
                    if (!NativeFs.TryHardLink(entry.FullName, target)) File.Copy(entry.FullName, target);
                    files++;
                }
            }
        }
        return files;
    }
}
