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
    private TaskCompletionSource<bool> _signal = NewSignal();

    public RunTrigger(ILogger<RunTrigger> logger)
    {
        _logger = logger;
        if (!OperatingSystem.IsWindows())
        {
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)SigUsr1, c => { c.Cancel = true; Request("SIGUSR1", force: false); }));
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; Request("SIGHUP", force: true); }));
        }
    }

    /// <summary>Completes with the force flag when a round was requested after it was taken.</summary>
    public Task<bool> Requested => Volatile.Read(ref _signal).Task;

    /// <summary>Asks for a round now; <paramref name="force"/> re-reads inputs even when they look unchanged.</summary>
    public void Request(string why, bool force)
    {
        _logger.LogInformation("Update round requested by {Source}", why);
        Interlocked.Exchange(ref _signal, NewSignal()).TrySetResult(force);
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
