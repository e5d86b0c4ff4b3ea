namespace RtrCache.Rtr.Cache;

/// <summary>
/// The one place the current <see cref="RtrSnapshot"/> lives. One writer (the update loop) publishes a new
/// snapshot with a reference swap; any number of readers (RTR sessions, HTTP handlers) read
/// <see cref="Current"/> without locks and wait on <see cref="Changed"/> to hear of the next one.
/// </summary>
public sealed class SnapshotStore
{
    private RtrSnapshot? _current;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>The latest snapshot, or null before the first payload set was loaded.</summary>
    public RtrSnapshot? Current => Volatile.Read(ref _current);

    /// <summary>
    /// Completes when the next snapshot is published. Take this task before reading <see cref="Current"/> so a
    /// publication between the two is never missed.
    /// </summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>When the current snapshot was published.</summary>
    public DateTimeOffset? PublishedAt { get; private set; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the current publication, for notify fan-out times.</summary>
    public long PublishedTimestamp => Volatile.Read(ref _publishedTimestamp);

    private long _publishedTimestamp;

    public void Publish(RtrSnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Volatile.Write(ref _publishedTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
        Volatile.Write(ref _current, snapshot);
        PublishedAt = now;
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
