namespace RtrCache.Fetch.Store;

/// <summary>
/// A generation being built (<c>staging-*</c> in the repository directory). Nothing reads it until
/// <see cref="RepositoryStore.Commit"/> renames it into place; disposing an uncommitted one deletes it, and a crash
/// leaves only a <c>staging-*</c> directory that the next <see cref="RepositoryStore.Open"/> removes.
/// </summary>
public sealed class StagingGeneration : IDisposable
{
    internal StagingGeneration(string root) => Root = root;

    /// <summary>The directory to fill: <c>Root/HOST/MODULE/path</c>, like every generation.</summary>
    public string Root { get; }

    /// <summary>Set once the store has made this the current generation.</summary>
    public bool Committed { get; internal set; }

    public void Dispose()
    {
        if (Committed) return;
        RepositoryStore.TryDeleteDirectory(Root);
    }
}
