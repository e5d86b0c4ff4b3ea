using RtrCache.Rpki.Validation;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// A snapshot as it is being applied, seen from the validator. A cold start of a large repository is one snapshot
/// of hundreds of thousands of objects; waiting for its last object before validating its first would add the two
/// times up. The snapshot is written straight into the generation that becomes current on commit
/// (<see cref="Store.RepositoryStore.BeginGeneration"/>), so the validator can read a publication point as soon as
/// the objects of its directory are on disk, and keep the result if <see cref="Completion"/> says the generation
/// was committed as written. Snapshots list objects grouped by directory in practice, so "the parser moved on to
/// another directory and the writer has written everything queued for this one" marks a directory as written;
/// if a later object lands in it again, it counts as open again. Nothing depends on that guess for correctness:
/// the validator only accepts a publication point whose manifest and every listed file are present with the
/// manifest's hashes, and retries any other once the copy is final.
/// </summary>
public sealed class SnapshotProgress : IProvisionalCopy
{
    private readonly object _lock = new();
    private readonly Dictionary<string, DirectoryState> _directories = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<bool> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;
    private bool _allWritten;
    private int _opens;
    private int _reopens;
    private bool _ungrouped;

    /// <summary>Reopened directories (beyond the first 100) that make the snapshot count as not grouped by directory.</summary>
    private const int UngroupedShare = 4; // one open in four is a reopen

    private sealed class DirectoryState
    {
        public int Generation;
        public bool Written;
        public TaskCompletionSource? Waiter;
    }

    /// <param name="root">The generation being written.</param>
    /// <param name="fallbackRoot">The current generation, which becomes the previous one on commit.</param>
    /// <param name="authority">The rsync host whose objects the snapshot may hold.</param>
    public SnapshotProgress(string root, string? fallbackRoot, string authority)
    {
        Root = root;
        FallbackRoot = fallbackRoot;
        Authority = authority;
    }

    public string Root { get; }

    public string? FallbackRoot { get; }

    public string Authority { get; }

    /// <inheritdoc />
    public Task<bool> Completion => _completion.Task;

    /// <summary>
    /// True once so many directories were reopened that the snapshot is evidently not grouped by directory (its
    /// objects come in hash or random order): "the parser left it" then says nothing, and handing points over
    /// early would only make the validator try, and fail, to load each of them once. From then on directories are
    /// only reported at the end.
    /// </summary>
    public bool Ungrouped
    {
        get { lock (_lock) return _ungrouped; }
    }

    /// <summary>The parser starts (again) on objects of <paramref name="directory"/>; returns the mark its writer reports back.</summary>
    internal int Opened(string directory)
    {
        lock (_lock)
        {
            if (!_directories.TryGetValue(directory, out var state)) _directories[directory] = state = new DirectoryState();
            else if (state.Generation > 0) _reopens++;
            _opens++;
            if (!_ungrouped && _reopens > 100 && _reopens * UngroupedShare > _opens) _ungrouped = true;
            state.Generation++;
            state.Written = false;
            return state.Generation;
        }
    }

    /// <summary>The writer has written every object queued for <paramref name="directory"/> up to <paramref name="generation"/>.</summary>
    internal void Written(string directory, int generation)
    {
        TaskCompletionSource? waiter = null;
        lock (_lock)
        {
            if (_ungrouped || !_directories.TryGetValue(directory, out var state) || state.Generation != generation) return;
            state.Written = true;
            (waiter, state.Waiter) = (state.Waiter, null);
        }
        waiter?.TrySetResult();
    }

    /// <summary>
    /// The parser has reached the end of the snapshot and the writers have written every object, so every
    /// directory is complete, however the snapshot was ordered (also the last one, which no later directory marks,
    /// and every directory of a snapshot that was not grouped). Releases every waiter. The copy stays provisional
    /// until <see cref="End"/>: its hash is checked, and it is flushed to disk and committed, after this, and
    /// flushing a large snapshot takes seconds the validator no longer waits for.
    /// </summary>
    internal void AllWritten()
    {
        List<TaskCompletionSource> waiters;
        lock (_lock)
        {
            if (_ended || _allWritten) return;
            _allWritten = true;
            waiters = TakeWaiters();
        }
        foreach (var w in waiters) w.TrySetResult();
    }

    /// <summary>Every pending waiter, each taken from its directory; under the lock.</summary>
    private List<TaskCompletionSource> TakeWaiters()
    {
        var waiters = new List<TaskCompletionSource>();
        foreach (var state in _directories.Values)
        {
            if (state.Waiter is { } waiter) waiters.Add(waiter);
            state.Waiter = null;
        }
        return waiters;
    }

    /// <summary>
    /// Completes when the objects of <paramref name="directory"/> (a local path under <see cref="Root"/>) have been
    /// written, or when the whole snapshot has been written or has ended, whichever comes first.
    /// </summary>
    public Task WhenWrittenAsync(string directory)
    {
        lock (_lock)
        {
            if (_ended || _allWritten) return Task.CompletedTask;
            if (!_directories.TryGetValue(directory, out var state)) _directories[directory] = state = new DirectoryState();
            if (state.Written && !_ungrouped) return Task.CompletedTask;
            state.Waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return state.Waiter.Task;
        }
    }

    /// <summary>The snapshot has ended: committed as written, or discarded. Releases every waiter.</summary>
    internal void End(bool committed)
    {
        List<TaskCompletionSource> waiters;
        lock (_lock)
        {
            if (_ended) return;
            _ended = true;
            waiters = TakeWaiters();
            _directories.Clear();
        }
        foreach (var w in waiters) w.TrySetResult();
        _completion.TrySetResult(committed);
    }
}
