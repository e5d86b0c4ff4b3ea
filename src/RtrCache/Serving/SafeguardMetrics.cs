using Prometheus;
using RtrCache.Host.Metrics;

namespace RtrCache.Host.Serving;

/// <summary>
/// Metrics of the safeguards around publishing: the shrink guard, the persisted state and the age of the
/// served data. They live in the host's own registry (<see cref="RtrCacheMetrics.Registry"/>), so every
/// <c>/metrics</c> scrape shows them next to the payload and RTR series, and two hosts in one test process never
/// share them.
/// </summary>
public sealed class SafeguardMetrics
{
    private readonly Gauge _shrinkBlocked, _lastSuccess, _stateSize, _stateSerial;
    private readonly Counter _shrinkBlocks, _shrinkAccepted, _stateSaves;
    private readonly Histogram _stateSaveSeconds;

    public SafeguardMetrics(RtrCacheMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var f = Prometheus.Metrics.WithCustomRegistry(metrics.Registry);
        _shrinkBlocked = f.CreateGauge("rtrcache_shrink_guard_blocked",
            "1 while the shrink guard holds back a new payload that drops more than --shrink-limit percent of VRPs or ASPAs; the previous serial is served.");
        _shrinkBlocks = f.CreateCounter("rtrcache_shrink_guard_blocked_total", "Update rounds whose payload the shrink guard held back.");
        _shrinkAccepted = f.CreateCounter("rtrcache_shrink_guard_accepted_total", "Held payloads published by an operator (POST /api/v1/accept-shrink).");
        _lastSuccess = f.CreateGauge("rtrcache_last_successful_run_timestamp_seconds",
            "Unix time of the last update round that loaded or confirmed the input and serves it (readiness staleness is measured from here).");
        _stateSaves = f.CreateCounter("rtrcache_state_saves_total", "Saves of the serving state to --cache-dir, by result (ok, failed).", "result");
        _stateSaveSeconds = f.CreateHistogram("rtrcache_state_save_duration_seconds", "Time to write, fsync and rename the state file.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        _stateSize = f.CreateGauge("rtrcache_state_file_bytes", "Size of the last state file written or loaded.");
        _stateSerial = f.CreateGauge("rtrcache_state_serial", "Serial held by the state file on disk.");
        _stateSaves.WithLabels("ok");
        _stateSaves.WithLabels("failed");
    }

    public void ShrinkHeld()
    {
        _shrinkBlocked.Set(1);
        _shrinkBlocks.Inc();
    }

    public void ShrinkReleased(bool acceptedByOperator)
    {
        _shrinkBlocked.Set(0);
        if (acceptedByOperator) _shrinkAccepted.Inc();
    }

    public void RunSucceeded(DateTimeOffset at) => _lastSuccess.Set(at.ToUnixTimeMilliseconds() / 1000.0);

    public void StateSaved(long bytes, uint serial, TimeSpan elapsed)
    {
        _stateSaves.WithLabels("ok").Inc();
        _stateSaveSeconds.Observe(elapsed.TotalSeconds);
        _stateSize.Set(bytes);
        _stateSerial.Set(serial);
    }

    public void StateSaveFailed() => _stateSaves.WithLabels("failed").Inc();

    public void StateLoaded(long bytes, uint serial)
    {
        _stateSize.Set(bytes);
        _stateSerial.Set(serial);
    }
}
