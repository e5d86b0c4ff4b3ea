using RtrCache.Fetch.Store;
using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch.Rsync;

/// <summary>What one rsync update of a module did.</summary>
public sealed record RsyncUpdate(bool Changed, string? Error, long Bytes, RsyncState? State)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Mirrors one rsync module into a repository store: rsync into a fresh staging generation, hard-linking
/// unchanged files from the current one (<c>--link-dest</c>, so an unchanged module costs no copies), check that
/// the result holds only directories and regular files, and commit it like an RRDP update. A transfer that
/// changed nothing is discarded, so the previous generation stays a genuinely older copy for the validator's
/// fallback.
/// </summary>
public sealed class RsyncClient(RsyncRunner runner, FetchOptions options)
{
    /// <summary>Brings <paramref name="store"/> up to date with <paramref name="module"/>. Throws only <see cref="OperationCanceledException"/>.</summary>
    public async Task<RsyncUpdate> UpdateAsync(RepositoryStore store, RsyncUri module, CancellationToken ct)
    {
        try
        {
            using var staging = store.BeginEmpty();
            string destination = Path.Combine(staging.Root, module.Authority, module.Module);
            string? linkDest = store.CurrentRoot is { } current ? Path.Combine(current, module.Authority, module.Module) : null;
            var result = await runner.SyncModuleAsync(module, destination, linkDest, ct).ConfigureAwait(false);
            if (!result.Succeeded) return new RsyncUpdate(false, $"{module.ModuleUri}: {result.Error}", result.BytesReceived, null);
            if (CheckTree(staging.Root) is { } treeError) return new RsyncUpdate(false, $"{module.ModuleUri}: {treeError}", result.BytesReceived, null);

            var now = options.Time.GetUtcNow();
            var state = new RsyncState { ModuleUri = module.ModuleUri, LastSuccess = now };
            if (linkDest is not null && result.FilesTransferred == 0 && CountFiles(destination) == CountFiles(linkDest)
                && RsyncState.TryRead(store.CurrentRoot!) is not null)
            {
                store.ReplaceInCurrent(RsyncState.FileName, state.ToJson());
                return new RsyncUpdate(false, null, result.BytesReceived, state);
            }
            AtomicFile.Write(Path.Combine(staging.Root, RsyncState.FileName), state.ToJson());
            store.Commit(staging);
            return new RsyncUpdate(true, null, result.BytesReceived, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new RsyncUpdate(false, $"{module.ModuleUri}: cache: {e.Message}", 0, null);
        }
    }

    /// <summary>Null when the tree holds only directories and regular files; rsync never creates others without -l/-D, this makes sure.</summary>
    internal static string? CheckTree(string root)
    {
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
            if (entry.LinkTarget is not null || (entry.Attributes & FileAttributes.ReparsePoint) != 0)
                return $"unexpected link {Path.GetRelativePath(root, entry.FullName)}";
        return null;
    }

    private static long CountFiles(string root)
        => Directory.Exists(root) ? new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).LongCount() : -1;
}
