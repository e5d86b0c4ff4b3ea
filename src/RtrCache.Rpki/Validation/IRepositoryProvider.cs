using RtrCache.Rpki.Objects;

namespace RtrCache.Rpki.Validation;

/// <summary>What the validator knows about a CA when it needs the CA's publication point.</summary>
/// <param name="CaCertificateUri">Where the CA certificate itself was found (for reports).</param>
/// <param name="CaRepositoryUri">SIA caRepository: the rsync directory URI of the publication point.</param>
/// <param name="ManifestUri">SIA rpkiManifest.</param>
/// <param name="NotifyUri">SIA rpkiNotify (https URI of the RRDP notification file), when the CA has one.</param>
public sealed record PublicationPointRequest(string CaCertificateUri, string CaRepositoryUri, string ManifestUri, string? NotifyUri);

/// <summary>
/// Where a publication point's files are on disk: <c>rsync://HOST/MODULE/path</c> is read from
/// <c>Root/HOST/MODULE/path</c>. A fetcher keeps each repository as complete generations, so it can also name
/// the previous complete copy (<see cref="FallbackRoot"/>): when the publication point fails in
/// <see cref="Root"/> (a broken new manifest, a half-published update) the validator tries the last good copy
/// before giving the CA up, as rpki-client and Routinator do.
/// </summary>
/// <param name="Root">The current copy, or null when the repository has never been fetched successfully.</param>
/// <param name="FallbackRoot">An older complete copy to fall back on, or null.</param>
/// <param name="Error">Why the latest fetch failed (the data may still be served from an older copy); null when it worked.</param>
public sealed record RepositoryLocation(string? Root, string? FallbackRoot = null, string? Error = null)
{
    public static RepositoryLocation At(string root) => new(root);

    /// <summary>
    /// Set when <see cref="Root"/> is a copy still being written (an RRDP snapshot being applied): the validator may
    /// start on publication points whose files are already complete instead of waiting for the whole repository,
    /// but what it computes from the copy counts only if <see cref="IProvisionalCopy.Completion"/> says the copy was
    /// kept exactly as read. Null for a complete copy.
    /// </summary>
    public IProvisionalCopy? Provisional { get; init; }
}

/// <summary>
/// A repository copy that is still being written and may yet be discarded (its snapshot fails its hash at the end,
/// say). Files in it are written once and never changed, but one may be missing or half-written while the copy
/// is provisional, so a publication point that does not load from it is retried once the copy is final.
/// </summary>
public interface IProvisionalCopy
{
    /// <summary>
    /// Completes when the copy is final: true when it became the repository's current copy unchanged (whatever was
    /// computed from it stands), false when it was discarded (everything computed from it must be recomputed).
    /// </summary>
    Task<bool> Completion { get; }
}

/// <summary>
/// Gives the validator the files it walks. The plain implementation maps URIs into one directory tree
/// (<see cref="DirectoryRepository"/>); the fetcher implements it by fetching each repository (RRDP or rsync)
/// the first time a CA asks for it in a run, so repositories are discovered top-down exactly like the CAs.
/// Calls come from several validator workers at once; an implementation must de-duplicate concurrent requests
/// for the same repository. The validator never blocks a worker on a pending task: it parks the CA and goes on.
/// </summary>
public interface IRepositoryProvider
{
    /// <summary>Local files that may hold the TA certificate named by <paramref name="uri"/> of <paramref name="tal"/>, best first.</summary>
    ValueTask<IReadOnlyList<string>> TrustAnchorCandidatesAsync(Tal tal, string uri, CancellationToken ct);

    /// <summary>Makes the repository holding this publication point current (once per run) and says where it is.</summary>
    ValueTask<RepositoryLocation> PublicationPointAsync(PublicationPointRequest request, CancellationToken ct);
}

/// <summary>A local rsync-style tree, read as it is (<c>--repo DIR</c>); TA certificates may also be at <c>DIR/ta/TALNAME/FILE</c> (rpki-client's layout).</summary>
public sealed class DirectoryRepository(string root) : IRepositoryProvider
{
    public string Root { get; } = Path.GetFullPath(root);

    public ValueTask<IReadOnlyList<string>> TrustAnchorCandidatesAsync(Tal tal, string uri, CancellationToken ct)
    {
        var candidates = new List<string>();
        string fileName = uri[(uri.LastIndexOf('/') + 1)..];
        if (fileName.Length > 0 && !fileName.Contains("..", StringComparison.Ordinal) && !fileName.Contains('\\'))
            candidates.Add(Path.Combine(Root, "ta", tal.Name, fileName));
        if (Validator.LocalPath(Root, uri) is { } mapped)
            candidates.Insert(uri.StartsWith("rsync://", StringComparison.OrdinalIgnoreCase) ? 0 : candidates.Count, mapped);
        return ValueTask.FromResult<IReadOnlyList<string>>(candidates);
    }

    public ValueTask<RepositoryLocation> PublicationPointAsync(PublicationPointRequest request, CancellationToken ct)
        => ValueTask.FromResult(RepositoryLocation.At(Root));
}
