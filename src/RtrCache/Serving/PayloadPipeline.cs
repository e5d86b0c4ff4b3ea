using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RtrCache.Host.Input;
using RtrCache.Host.Metrics;
using RtrCache.Host.Serving.Persistence;
using RtrCache.Payload;
using RtrCache.Rtr.Cache;

namespace RtrCache.Host.Serving;

/// <summary>
/// The single writer of the cache: input → SLURM → diff engine → snapshot store. Each round reads the input
/// and the SLURM files if they changed, and publishes a new serial only when the resulting payload differs.
/// A rejected file changes nothing the routers see; it is logged with its name and the entry, and counted.
/// Around publishing: the saved state is restored before the host listens and every new serial is saved
/// (<see cref="StateStore"/>), the shrink guard may hold a set back (<see cref="ShrinkGuard"/>), and each round
/// that loads or confirms the input is recorded for readiness (<see cref="ServingState"/>).
/// </summary>
public sealed class PayloadPipeline : BackgroundService
{
    private readonly ServeSettings _settings;
    private readonly PayloadSource _source;
    private readonly SlurmSource _slurm;
    private readonly SnapshotStore _store;
    private readonly RtrCacheMetrics _metrics;
    private readonly ILogger<PayloadPipeline> _logger;
    private readonly TimeProvider _time;
    private readonly DiffEngine _engine;
    private SessionIds _sessions;
    private readonly StateStore _state;
    private readonly ServingState _serving;

    /// <summary>One round at a time: the loop, tests and the accept-shrink endpoint all change state through it.</summary>
    private readonly SemaphoreSlim _round = new(1, 1);

    /// <summary>The last input read was rejected; "unchanged" then means the bad file is still there, not that the data is current.</summary>
    private bool _rejectedSinceLoad;
    private readonly RunTrigger _trigger;
    private bool _forceNext;

    private PayloadSet? _input;
    private DateTimeOffset? _nextExpiry;
    private PayloadSnapshot? _current;
    private string? _lastUnavailable;

    /// <summary>
    /// The reader keeps an entry while its <c>expires</c> second is not yet over (like StayRTR), so a re-read is
    /// due one second after the earliest expiry, not at it; earlier re-reads would change nothing and repeat.
    /// </summary>
    private static readonly TimeSpan ExpiryGrace = TimeSpan.FromSeconds(1);

    private bool ExpiryDue(DateTimeOffset now) => _nextExpiry is { } e && now >= e + ExpiryGrace;

    public PayloadPipeline(ServeSettings settings, PayloadSource source, SlurmSource slurm, SnapshotStore store,
        RtrCacheMetrics metrics, ILogger<PayloadPipeline> logger, TimeProvider time, RunTrigger trigger, StateStore state, ServingState serving)
    {
        _trigger = trigger;
        _state = state;
        _serving = serving;
        _settings = settings;
        _source = source;
        _slurm = slurm;
        _store = store;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _engine = new DiffEngine(settings.History);
        _sessions = SessionIds.NewRandom();
    }

    /// <summary>
    /// Restores the saved state before the host starts listening, so the first router to connect after a
    /// restart already gets the old session and serial (and deltas from older serials), not a reset.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        RestoreSavedState();
        return base.StartAsync(cancellationToken);
    }

    private void RestoreSavedState()
    {
        try
        {
            var saved = _state.Load(_engine);
            if (saved is null) return;
            _sessions = saved.Sessions;
            var snapshot = new RtrSnapshot(saved.Snapshot, _sessions, _settings.Timers);
            snapshot.Prepare(_settings.MaxVersion);
            _current = saved.Snapshot;
            _store.Publish(snapshot, _time.GetUtcNow());
            _metrics.PayloadPublished(saved.Snapshot, saved.Snapshot.CreatedAt);
            _serving.RestoredFromDisk(saved.LastRunAt);
            _logger.LogInformation("Restored serial {Serial} from {Path}: {Payload}; deltas from {Deltas} older serials; last update round {LastRun:o}",
                saved.Snapshot.Serial, _state.FilePath, saved.Snapshot.Payload, saved.Snapshot.History.Count, saved.LastRunAt);
        }
        catch (Exception ex)
        {
            // A state file must never stop the cache: without it, it starts a new session like on a first start.
            _logger.LogError(ex, "Restoring the saved state failed; starting a new RTR session");
            _current = null;
            _sessions = SessionIds.NewRandom();
        }
    }

    /// <summary>
    /// Publishes the set the shrink guard holds back (operator decision); null when nothing is held. Runs
    /// between rounds, like a round.
    /// </summary>
    public async Task<(PayloadSnapshot Published, ShrinkHold Accepted)?> AcceptShrinkAsync(CancellationToken ct)
    {
        await _round.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_serving.Current.Hold is not { } hold || _current is null) return null;
            var at = _time.GetUtcNow();
            var next = _engine.Advance(_current, hold.Held, at);
            _serving.Released(acceptedByOperator: true);
            _logger.LogWarning("Shrink accepted by the operator: publishing the held payload ({Reason})", hold.Reason);
            if (!ReferenceEquals(next, _current)) Publish(next, at);
            _serving.RunSucceeded(at);
            return (next, hold);
        }
        finally
        {
            _round.Release();
        }
    }

    /// <summary>
    /// True when the shrink guard holds <paramref name="served"/> back instead of replacing the current set; it
    /// then stays in <see cref="ServingState"/> for readiness, metrics and the accept endpoint.
    /// </summary>
    private bool HoldsBack(PayloadSnapshot current, PayloadSet served, DateTimeOffset at)
    {
        var previous = _serving.Current.Hold;
        string? reason = ShrinkGuard.Check(current.Payload, served, _settings.ShrinkLimit);
        if (reason is null)
        {
            if (previous is not null)
            {
                _serving.Released(acceptedByOperator: false);
                _logger.LogInformation("Shrink guard released: the input no longer drops more than {Limit}%", _settings.ShrinkLimit);
            }
            return false;
        }
        if (_settings.AcceptShrink)
        {
            _logger.LogWarning("Publishing although {Reason} (--accept-shrink)", reason);
            return false;
        }
        _serving.Held(new ShrinkHold(served, reason, current.Serial, at));
        if (previous?.Reason != reason)
            _logger.LogError("Shrink guard: not publishing, {Reason}; still serving serial {Serial}. Accept with POST /api/v1/accept-shrink (--enable-admin-api) or --accept-shrink", reason, current.Serial);
        return true;
    }

    /// <summary>
    /// Saves, then publishes: saved first so the file never holds an older serial than routers may have seen
    /// (see <see cref="StateStore"/>).
    /// </summary>
    private void Publish(PayloadSnapshot next, DateTimeOffset at)
    {
        _state.Save(next, _sessions, at);
        var snapshot = new RtrSnapshot(next, _sessions, _settings.Timers);
        snapshot.Prepare(_settings.MaxVersion);
        _current = next;
        _store.Publish(snapshot, at);
        _metrics.PayloadPublished(next, at);
        _logger.LogInformation("Published serial {Serial}: {Payload} ({Delta})", next.Serial, next.Payload,
            next.History.Count > 0 ? next.History[0].Delta.ToString() : "initial");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.LogInformation("Serving {Source}; RTR session IDs v0 {V0}, v1 {V1}, v2 {V2}", _source.Name, _sessions.V0, _sessions.V1, _sessions.V2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Never let one bad round stop the cache: the previous serial keeps being served.
                _logger.LogError(ex, "Update round failed; still serving serial {Serial}", _current?.Serial);
            }

            var delay = _settings.ReloadInterval;
            if (_nextExpiry is { } expiry)
            {
                var untilExpiry = expiry + ExpiryGrace - _time.GetUtcNow();
                if (untilExpiry < delay) delay = untilExpiry < TimeSpan.Zero ? TimeSpan.Zero : untilExpiry;
            }
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = Task.Delay(delay, _time, wake.Token);
            var requested = _trigger.Requested;
            var fired = await Task.WhenAny(timer, _source.ChangeSignal, _slurm.ChangeSignal, requested).ConfigureAwait(false);
            await wake.CancelAsync().ConfigureAwait(false);
            if (fired == requested) _forceNext = _trigger.Take();
            if (fired != timer && !stoppingToken.IsCancellationRequested)
            {
                // Writers rarely replace a file in one step; let them finish before reading it.
                try { await Task.Delay(TimeSpan.FromMilliseconds(200), _time, stoppingToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>One update round; public so tests and signals can drive it.</summary>
    public async Task RunOnceAsync(CancellationToken ct)
    {
        await _round.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RunRoundAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task RunRoundAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        bool force = ExpiryDue(now) || _forceNext;
        _forceNext = false;
        var result = await _source.LoadAsync(now, force, ct).ConfigureAwait(false);
        bool inputChanged = false;
        switch (result)
        {
            case SourceResult.Loaded loaded:
                _metrics.InputLoaded("loaded");
                _lastUnavailable = null;
                _input = loaded.Set;
                _rejectedSinceLoad = false;
                _nextExpiry = loaded.NextExpiry;
                inputChanged = true;
                _logger.LogInformation("Loaded {Source}: {Summary}", _source.Name, loaded.Summary);
                break;
            case SourceResult.Failed { Rejected: true } rejected:
                _metrics.InputLoaded("rejected");
                _metrics.InputRejected("json");
                _logger.LogError("Rejected input {Error}; keeping serial {Serial}", rejected.Error, _current?.Serial);
                _rejectedSinceLoad = true;
                _lastUnavailable = null;
                break;
            case SourceResult.Failed unavailable:
                _metrics.InputLoaded("unavailable");
                // Said once per distinct problem: a validator that has not written its first file yet is not news every round.
                if (unavailable.Error != _lastUnavailable)
                    _logger.LogWarning("Input unavailable: {Error}; {State}", unavailable.Error, _current is null ? "not serving yet" : $"keeping serial {_current.Serial}");
                _lastUnavailable = unavailable.Error;
                break;
            default:
                _metrics.InputLoaded("unchanged");
                break;
        }

        // The data served is current when the input was read now or is unchanged since an accepted read.
        bool inputConfirmed = result is SourceResult.Loaded || (result is SourceResult.Unchanged && !_rejectedSinceLoad);
        var slurm = _slurm.Refresh();
        if (slurm.Error is not null)
        {
            _metrics.InputRejected("slurm");
            _logger.LogError("Rejected SLURM {Error}; keeping the previous SLURM rules", slurm.Error);
        }
        if (_input is null || (!inputChanged && !slurm.Changed && _current is not null))
        {
            if (inputConfirmed && _current is not null && _serving.Current.Hold is null) _serving.RunSucceeded(_time.GetUtcNow());
            return;
        }
        if (!_slurm.IsReady)
        {
            _logger.LogError("Not serving: the SLURM files have never been read successfully");
            return;
        }

        var slurmResult = _slurm.Apply(_input);
        _metrics.SlurmApplied(slurmResult);
        var served = slurmResult.Set;
        var at = _time.GetUtcNow();
        // The first set after a cold start is never held: there is nothing to compare it with.
        if (_current is not null && HoldsBack(_current, served, at)) return;
        var next = _current is null ? _engine.Start(served, new Serial(1), at) : _engine.Advance(_current, served, at);
        if (ReferenceEquals(next, _current))
            _logger.LogInformation("Payload unchanged; serial stays {Serial}", _current!.Serial);
        else
            Publish(next, at);
        if (inputConfirmed) _serving.RunSucceeded(at);
    }
}
