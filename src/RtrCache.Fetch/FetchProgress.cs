namespace RtrCache.Fetch;

/// <summary>
/// Live counters of a run for the console and metrics (the host polls them; no events, no locks). The total grows
/// as the validator discovers repositories top-down, so done/total is a running ratio, not a forecast.
/// </summary>
public sealed class FetchProgress
{
    private int _total;
    private int _done;
    private int _failed;
    private long _bytes;

    /// <summary>Repositories and TA certificates asked for so far.</summary>
    public int Total => Volatile.Read(ref _total);

    /// <summary>Of those, finished (whatever the outcome).</summary>
    public int Done => Volatile.Read(ref _done);

    /// <summary>Finished with an error (stale or failed).</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Bytes received over the network so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    internal void Started() => Interlocked.Increment(ref _total);

    internal void Finished(bool failed)
    {
        Interlocked.Increment(ref _done);
        if (failed) Interlocked.Increment(ref _failed);
    }

    internal void AddBytes(long n) => Interlocked.Add(ref _bytes, n);

    public override string ToString() => $"{Done}/{Total} repositories, {BytesReceived / 1e6:F1} MB";
}
