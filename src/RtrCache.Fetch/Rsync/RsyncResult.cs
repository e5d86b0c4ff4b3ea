namespace RtrCache.Fetch.Rsync;

/// <summary>How an rsync process ended.</summary>
/// <param name="Error">Null on success; otherwise the exit code and the end of rsync's stderr.</param>
/// <param name="BytesReceived">From rsync's <c>--stats</c>; 0 when it printed none.</param>
/// <param name="FilesTransferred">Regular files rsync transferred (not linked); -1 when unknown.</param>
public sealed record RsyncResult(string? Error, long BytesReceived, long FilesTransferred)
{
    public bool Succeeded => Error is null;
}
