using System.Diagnostics;
using System.Text;

namespace RtrCache.Interop.Peers;

public enum PeerStream
{
    Stdout,
    Stderr,
}

/// <summary>One line a peer printed; <see cref="Index"/> counts all lines of the process from 0.</summary>
public readonly record struct PeerLine(long Index, PeerStream Stream, string Text, DateTime TimestampUtc)
{
    public override string ToString() => $"[{(Stream == PeerStream.Stdout ? "out" : "err")}] {Text}";
}

/// <summary>Result of a short-lived command run to completion (birdc, bgpctl, rtrdump).</summary>
public sealed record PeerCommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// A third-party program started for a test. Stdout and stderr are read asynchronously, line by line,
/// into a thread-safe buffer (and to an optional callback, called in arrival order under a lock).
/// <see cref="StopAsync"/> sends SIGTERM to the process, waits a grace period for it and every
/// descendant it had, then SIGKILLs whatever is left. Every wait is bounded by a timeout.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly ProcessIdentity _identity;
    private readonly Action<PeerLine>? _onLine;
    private readonly int _maxRetainedLines;
    private readonly object _gate = new();
    private readonly List<PeerLine> _lines = [];
    private long _firstRetained;
    private long _nextIndex;
    private int _openStreams = 2;
    private TaskCompletionSource _changed = NewSignal();
    private int _stopping;
    private bool _disposed;
    private int? _finalExitCode;
    private List<ProcessIdentity> _stoppedTree = [];

    private PeerProcess(string name, Process process, Action<PeerLine>? onLine, int maxRetainedLines)
    {
        Name = name;
        _process = process;
        _onLine = onLine;
        _maxRetainedLines = maxRetainedLines;
        _process.OutputDataReceived += (_, e) => OnData(PeerStream.Stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => OnData(PeerStream.Stderr, e.Data);
        _process.Exited += (_, _) => Signal();
        _process.EnableRaisingEvents = true;
        if (!_process.Start())
        {
            throw new InvalidOperationException($"{name}: could not start {process.StartInfo.FileName}");
        }

        Pid = _process.Id;
        _identity = ProcessTree.Identify(Pid) ?? new ProcessIdentity(Pid, 0);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        CommandLine = process.StartInfo.FileName + " " + string.Join(' ', process.StartInfo.ArgumentList);
    }

    /// <summary>Short label used in messages, e.g. "bird".</summary>
    public string Name { get; }

    public int Pid { get; }

    /// <summary>The command line as started (for diagnostics).</summary>
    public string CommandLine { get; }

    /// <summary>True once the main process has exited (stays valid after dispose).</summary>
    public bool HasExited => _disposed ? _finalExitCode is not null : _process.HasExited;

    public int? ExitCode => _disposed ? _finalExitCode : _process.HasExited ? _process.ExitCode : null;

    /// <summary>True if neither the process nor any descendant seen at <see cref="StopAsync"/> is still alive.</summary>
    public bool IsFullyStopped => !ProcessTree.IsAlive(_identity) && _stoppedTree.All(p => !ProcessTree.IsAlive(p));

    /// <summary>Number of lines seen so far on both streams; use as a start index for later waits.</summary>
    public long LineCount
    {
        get
        {
            lock (_gate)
            {
                return _nextIndex;
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> (passed as an argument list, no shell).
    /// At most <paramref name="maxRetainedLines"/> lines are kept; older ones are dropped (the callback still sees all).
    /// </summary>
    public static PeerProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        Action<PeerLine>? onLine = null,
        int maxRetainedLines = 200_000)
    {
        if (Path.IsPathRooted(fileName) && !File.Exists(fileName))
        {
            throw new FileNotFoundException(
                $"{fileName} is not installed; .ci/run installs the peers (bird2 rtr-tools openbgpd stayrtr rpki-client).", fileName);
        }

        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return new PeerProcess(name, new Process { StartInfo = startInfo }, onLine, maxRetainedLines);
    }

    /// <summary>Runs a command to completion; kills it and throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<PeerCommandResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null)
    {
        await using var process = Start(Path.GetFileName(fileName), fileName, arguments, workingDirectory);
        int exitCode = await process.WaitForExitAsync(timeout).ConfigureAwait(false);
        return new PeerCommandResult(exitCode, process.GetText(PeerStream.Stdout), process.GetText(PeerStream.Stderr));
    }

    /// <summary>A copy of the retained lines, optionally of one stream only.</summary>
    public IReadOnlyList<PeerLine> GetLines(PeerStream? stream = null)
    {
        lock (_gate)
        {
            return stream is null ? [.. _lines] : _lines.Where(l => l.Stream == stream).ToList();
        }
    }

    public string GetText(PeerStream? stream = null)
        => string.Join('\n', GetLines(stream).Select(l => l.Text));

    /// <summary>The last <paramref name="count"/> lines, labelled, for assertion messages.</summary>
    public string Tail(int count = 40)
    {
        lock (_gate)
        {
            var tail = _lines.Skip(Math.Max(0, _lines.Count - count)).Select(l => l.ToString());
            return $"{Name} ({CommandLine}), pid {Pid}, exit code: {ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "running"}, last lines:\n  " + string.Join("\n  ", tail);
        }
    }

    /// <summary>
    /// Waits for the first line at or after <paramref name="fromIndex"/> that matches <paramref name="predicate"/>.
    /// Throws <see cref="TimeoutException"/> on timeout and <see cref="InvalidOperationException"/> if the
    /// process exited and both streams ended without a match.
    /// </summary>
    public async Task<PeerLine> WaitForLineAsync(
        Func<string, bool> predicate,
        TimeSpan timeout,
        long fromIndex = 0,
        PeerStream? stream = null,
        CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        long next = fromIndex;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                next = Math.Max(next, _firstRetained);
                for (; next < _nextIndex; next++)
                {
                    var line = _lines[(int)(next - _firstRetained)];
                    if ((stream is null || line.Stream == stream) && predicate(line.Text))
                    {
                        return line;
                    }
                }

                if (_openStreams == 0 && _process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited before printing the expected line. {TailUnlocked()}");
                }

                changed = _changed.Task;
            }

            var remaining = timeout - stopwatch.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"{Name}: no matching line within {timeout.TotalSeconds:0.#} s. {Tail()}");
            }

            // Wake at least every 500 ms so an exit without a final signal is noticed.
            var wait = remaining < TimeSpan.FromMilliseconds(500) ? remaining : TimeSpan.FromMilliseconds(500);
            await Task.WhenAny(changed, Task.Delay(wait, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Waits for the process to exit and its output to be read; kills it and throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            string tail = Tail();
            await StopAsync().ConfigureAwait(false);
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0.#} s. {tail}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a signal (e.g. SIGHUP) to the main process.</summary>
    public bool SendSignal(int signal) => ProcessTree.Signal(_identity, signal);

    /// <summary>
    /// SIGTERM to the process, then waits up to <paramref name="grace"/> (default 5 s) for it and every
    /// descendant that existed at the time; SIGKILLs the rest. Safe to call more than once.
    /// </summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            return;
        }

        var tree = _process.HasExited ? [] : ProcessTree.Snapshot(Pid);
        _stoppedTree = tree;
        if (tree.Count > 0)
        {
            ProcessTree.Signal(tree[0], ProcessTree.SigTerm);
            var deadline = Stopwatch.StartNew();
            var limit = grace ?? DefaultGrace;
            while (deadline.Elapsed < limit && tree.Any(ProcessTree.IsAlive))
            {
                await Task.Delay(20).ConfigureAwait(false);
            }

            foreach (var member in tree.Where(ProcessTree.IsAlive))
            {
                ProcessTree.Signal(member, ProcessTree.SigKill);
            }
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in between.
        }

        // Bounded: collect the exit status and the remaining output.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A grandchild may still hold the pipes open; nothing more we can do without blocking.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (!_disposed)
        {
            _finalExitCode = _process.HasExited ? _process.ExitCode : null;
            _disposed = true;
            _process.Dispose();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnData(PeerStream stream, string? text)
    {
        lock (_gate)
        {
            if (text is null)
            {
                _openStreams--;
            }
            else
            {
                var line = new PeerLine(_nextIndex++, stream, text, DateTime.UtcNow);
                _lines.Add(line);
                if (_lines.Count > _maxRetainedLines)
                {
                    int drop = _lines.Count / 2;
                    _lines.RemoveRange(0, drop);
                    _firstRetained += drop;
                }

                _onLine?.Invoke(line);
            }
        }

        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = NewSignal();
        }

        previous.TrySetResult();
    }

    private string TailUnlocked()
    {
        var tail = _lines.Skip(Math.Max(0, _lines.Count - 40)).Select(l => l.ToString());
        return $"{Name} ({CommandLine}) last lines:\n  " + string.Join("\n  ", tail);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
