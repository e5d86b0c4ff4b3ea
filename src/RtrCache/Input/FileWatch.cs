namespace RtrCache.Host.Input;

/// <summary>
/// Notices changes to a set of files at once, so an input is re-read within moments of being written instead
/// of at the next poll. Best effort: where a watcher cannot be set up the callers' polling still finds the
/// change. <see cref="Changed"/> completes on the next change after it was taken.
/// </summary>
public sealed class FileWatch : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private TaskCompletionSource _signal = NewSignal();

    public FileWatch(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            var dir = Path.GetDirectoryName(path);
            if (dir is null || !Directory.Exists(dir)) continue;
            try
            {
                var w = new FileSystemWatcher(dir, Path.GetFileName(path))
                {
                    NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
                };
                w.Changed += (_, _) => Signal();
                w.Created += (_, _) => Signal();
                w.Renamed += (_, _) => Signal();
                w.EnableRaisingEvents = true;
                _watchers.Add(w);
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
            {
                // polling covers it
            }
        }
    }

    /// <summary>Completes on the next change of a watched file.</summary>
    public Task Changed => Volatile.Read(ref _signal).Task;

    private void Signal() => Interlocked.Exchange(ref _signal, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
    }
}
