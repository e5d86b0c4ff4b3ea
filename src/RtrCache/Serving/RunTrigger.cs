using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace RtrCache.Host.Serving;

/// <summary>
/// Lets an operator start an update round now instead of at the next interval: SIGUSR1 runs the input again
/// (fetch and validate, or re-read the JSON), SIGHUP also re-reads the TALs and SLURM files (they are re-read on
/// every round anyway, so both signals start a round; SIGHUP additionally forces a re-read of unchanged inputs),
/// and the admin API can do the same. Requests that arrive while a round runs start one more round afterwards.
/// </summary>
public sealed class RunTrigger : IDisposable
{
    /// <summary>SIGUSR1 on Linux (10): .NET has no named value for it, raw numbers are accepted.</summary>
    private const int SigUsr1 = 10;

    private readonly ILogger<RunTrigger> _logger;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly object _lock = new();
    private TaskCompletionSource _signal = NewSignal();
    private bool _force;

    public RunTrigger(ILogger<RunTrigger> logger)
    {
        _logger = logger;
        if (!OperatingSystem.IsWindows())
        {
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)SigUsr1, c => { c.Cancel = true; Request("SIGUSR1", force: false); }));
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; Request("SIGHUP", force: true); }));
        }
    }

    /// <summary>
    /// Completes when a round has been requested and not yet taken with <see cref="Take"/>; a request made while
    /// a round runs leaves it completed, so the loop starts one more round as soon as it looks again.
    /// </summary>
    public Task Requested
    {
        get { lock (_lock) return _signal.Task; }
    }

    /// <summary>Asks for a round now; <paramref name="force"/> re-reads inputs even when they look unchanged.</summary>
    public void Request(string why, bool force)
    {
        _logger.LogInformation("Update round requested by {Source}", why);
        lock (_lock)
        {
            _force |= force;
            _signal.TrySetResult();
        }
    }

    /// <summary>Takes the pending request (if any) for the round about to start; true when it asked to force a re-read.</summary>
    public bool Take()
    {
        lock (_lock)
        {
            bool force = _force;
            _force = false;
            if (_signal.Task.IsCompleted) _signal = NewSignal();
            return force;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
