using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RtrCache.Host.Input;
using RtrCache.Host.Metrics;
using RtrCache.Payload;
using RtrCache.Rtr.Cache;

namespace RtrCache.Host.Serving;

/// <summary>
/// The single writer of the cache: input → SLURM → diff engine → snapshot store. Each round reads the input
/// and the SLURM files if they changed, and publishes a new serial only when the resulting payload differs.
/// A rejected file changes nothing the routers see; it is logged with its name and the entry, and counted.
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
    private readonly SessionIds _sessions;

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
        RtrCacheMetrics metrics, ILogger<PayloadPipeline> logger, TimeProvider time)
    {
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
            var fired = await Task.WhenAny(timer, _source.ChangeSignal, _slurm.ChangeSignal).ConfigureAwait(false);
            await wake.CancelAsync().ConfigureAwait(false);
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
        var now = _time.GetUtcNow();
        bool expired = ExpiryDue(now);
        var result = await _source.LoadAsync(now, force: expired, ct).ConfigureAwait(false);
        bool inputChanged = false;
        switch (result)
        {
            case SourceResult.Loaded loaded:
                _metrics.InputLoaded("loaded");
                _lastUnavailable = null;
                _input = loaded.Set;
                _nextExpiry = loaded.NextExpiry;
                inputChanged = true;
                _logger.LogInformation("Loaded {Source}: {Summary}", _source.Name, loaded.Summary);
                break;
            case SourceResult.Failed { Rejected: true } rejected:
                _metrics.InputLoaded("rejected");
                _metrics.InputRejected("json");
                _logger.LogError("Rejected input {Error}; keeping serial {Serial}", rejected.Error, _current?.Serial);
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

        var slurm = _slurm.Refresh();
        if (slurm.Error is not null)
        {
            _metrics.InputRejected("slurm");
            _logger.LogError("Rejected SLURM {Error}; keeping the previous SLURM rules", slurm.Error);
        }
        if (_input is null || (!inputChanged && !slurm.Changed && _current is not null)) return;
        if (!_slurm.IsReady)
        {
            _logger.LogError("Not serving: the SLURM files have never been read successfully");
            return;
        }

        var served = _slurm.Apply(_input);
        var at = _time.GetUtcNow();
        var next = _current is null ? _engine.Start(served, new Serial(1), at) : _engine.Advance(_current, served, at);
        if (ReferenceEquals(next, _current))
        {
            _logger.LogInformation("Payload unchanged; serial stays {Serial}", _current!.Serial);
            return;
        }
        var snapshot = new RtrSnapshot(next, _sessions, _settings.Timers);
        snapshot.Prepare(_settings.MaxVersion);
        _current = next;
        _store.Publish(snapshot, at);
        _metrics.PayloadPublished(next, at);
        _logger.LogInformation("Published serial {Serial}: {Payload} ({Delta})", next.Serial, next.Payload,
            next.History.Count > 0 ? next.History[0].Delta.ToString() : "initial");
    }
}
