using System.Net;
using Prometheus;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using RtrCache.Rtr.Server;

namespace RtrCache.Host.Metrics;

/// <summary>
/// The Prometheus view of the cache (all names <c>rtrcache_</c>, base units). It is the RTR server's
/// <see cref="IRtrObserver"/> and the update loop's sink for payload and input events. Metrics live in a
/// registry owned by this instance, not in prometheus-net's static default, so two hosts in one process
/// (tests) never share counters.
/// </summary>
public sealed class RtrCacheMetrics : IRtrObserver
{
    private readonly Gauge _vrps, _aspas, _routerKeys, _serial, _lastUpdate, _sessions;
    private readonly Counter _pdusSent, _bytesSent, _errorsSent, _errorsReceived, _refused, _queries, _resets, _notifies, _responses;
    private readonly Counter _reloads, _rejections;
    private readonly Gauge _slurmFiltered, _slurmAdded;
    private readonly Histogram _responseSeconds, _notifyDelay;

    public RtrCacheMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        // Process and GC metrics (process_working_set_bytes = RSS, process_cpu_seconds_total,
        // dotnet_collection_count_total, dotnet_total_memory_bytes, ...) that the default registry would have.
        DotNetStats.Register(Registry);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _vrps = f.CreateGauge("rtrcache_payload_vrps", "VRPs served, by address family.", "family");
        _aspas = f.CreateGauge("rtrcache_payload_aspas", "ASPA customer records served (v2 sessions only).");
        _routerKeys = f.CreateGauge("rtrcache_payload_router_keys", "BGPsec router keys served (v1 and v2 sessions).");
        _serial = f.CreateGauge("rtrcache_serial", "Current RTR serial number.");
        _lastUpdate = f.CreateGauge("rtrcache_last_update_timestamp_seconds", "Unix time when the current serial was published.");
        _sessions = f.CreateGauge("rtrcache_rtr_sessions", "Open RTR sessions by negotiated version (\"none\" before negotiation).", "version");
        _pdusSent = f.CreateCounter("rtrcache_rtr_pdus_sent_total", "PDUs sent in Cache Responses (including Cache Response and End of Data).", "version");
        _bytesSent = f.CreateCounter("rtrcache_rtr_bytes_sent_total", "Bytes sent in Cache Responses.", "version");
        _responses = f.CreateCounter("rtrcache_rtr_responses_total", "Cache Responses sent, by kind (full or delta).", "version", "kind");
        _responseSeconds = f.CreateHistogram("rtrcache_rtr_response_duration_seconds", "Time to write one Cache Response to End of Data.",
            new HistogramConfiguration { LabelNames = ["kind"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _notifyDelay = f.CreateHistogram("rtrcache_rtr_notify_delay_seconds", "Time from publishing a serial to writing its Serial Notify to a session; the largest per serial is the notify fan-out time.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 20) });
        _errorsSent = f.CreateCounter("rtrcache_rtr_error_reports_sent_total", "Error Reports sent, by code.", "code");
        _errorsReceived = f.CreateCounter("rtrcache_rtr_error_reports_received_total", "Error Reports received from routers, by code.", "code");
        _refused = f.CreateCounter("rtrcache_rtr_connections_refused_total", "RTR connections refused, by reason.", "reason");
        _queries = f.CreateCounter("rtrcache_rtr_queries_total", "Queries received, by version and type.", "version", "type");
        _resets = f.CreateCounter("rtrcache_rtr_cache_resets_total", "Cache Reset PDUs sent.", "version");
        _notifies = f.CreateCounter("rtrcache_rtr_serial_notifies_total", "Serial Notify PDUs sent.", "version");
        _reloads = f.CreateCounter("rtrcache_input_reloads_total", "Input loads, by result (loaded, unchanged, failed).", "result");
        _slurmFiltered = f.CreateGauge("rtrcache_slurm_filtered", "Entries of the input removed by SLURM filters in the last round, by kind.", "kind");
        _slurmAdded = f.CreateGauge("rtrcache_slurm_added", "Entries added by SLURM assertions in the last round (aspas_extended: RPKI ASPAs whose providers an assertion extended), by kind.", "kind");
        _rejections = f.CreateCounter("rtrcache_input_rejections_total", "Input files (JSON or SLURM) rejected as a whole.", "kind");
        foreach (var v in new[] { "0", "1", "2", "none" }) _sessions.WithLabels(v).Set(0);
        Runs = new RunMetrics(Registry);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Fetch and validation metrics of our own validator runs.</summary>
    public RunMetrics Runs { get; }

    public void PayloadPublished(PayloadSnapshot snapshot, DateTimeOffset at)
    {
        var set = snapshot.Payload;
        _vrps.WithLabels("ipv4").Set(set.V4Count);
        _vrps.WithLabels("ipv6").Set(set.V6Count);
        _aspas.Set(set.AspaCount);
        _routerKeys.Set(set.RouterKeyCount);
        _serial.Set(snapshot.Serial.Value);
        _lastUpdate.Set(at.ToUnixTimeMilliseconds() / 1000.0);
    }

    /// <summary>What the local exceptions did to the last input: an operator who sees 0 filtered knows a filter matches nothing.</summary>
    public void SlurmApplied(RtrCache.Payload.Slurm.SlurmApplyResult r)
    {
        _slurmFiltered.WithLabels("vrps").Set(r.VrpsFiltered);
        _slurmFiltered.WithLabels("router_keys").Set(r.RouterKeysFiltered);
        _slurmFiltered.WithLabels("aspas").Set(r.AspasFiltered);
        _slurmAdded.WithLabels("vrps").Set(r.VrpsAdded);
        _slurmAdded.WithLabels("router_keys").Set(r.RouterKeysAdded);
        _slurmAdded.WithLabels("aspas").Set(r.AspasAdded);
        _slurmAdded.WithLabels("aspas_extended").Set(r.AspasExtended);
    }

    public void InputLoaded(string result) => _reloads.WithLabels(result).Inc();
    public void InputRejected(string kind) => _rejections.WithLabels(kind).Inc();

    private static string V(byte version) => version switch { 0 => "0", 1 => "1", 2 => "2", _ => "none" };

    void IRtrObserver.ConnectionRefused(IPAddress? address, RefusalReason reason) => _refused.WithLabels(reason.ToString()).Inc();
    void IRtrObserver.SessionStarted(RtrSessionInfo session) => _sessions.WithLabels("none").Inc();

    void IRtrObserver.SessionNegotiated(RtrSessionInfo session)
    {
        _sessions.WithLabels("none").Dec();
        _sessions.WithLabels(V(session.Version ?? 255)).Inc();
    }

    void IRtrObserver.SessionEnded(RtrSessionInfo session, string reason) => _sessions.WithLabels(V(session.Version ?? 255)).Dec();
    void IRtrObserver.QueryReceived(byte version, PduType type) => _queries.WithLabels(V(version), type.ToString()).Inc();

    void IRtrObserver.ResponseSent(byte version, bool full, int pdus, long bytes, TimeSpan elapsed)
    {
        _pdusSent.WithLabels(V(version)).Inc(pdus);
        _bytesSent.WithLabels(V(version)).Inc(bytes);
        _responses.WithLabels(V(version), full ? "full" : "delta").Inc();
        _responseSeconds.WithLabels(full ? "full" : "delta").Observe(elapsed.TotalSeconds);
    }

    void IRtrObserver.CacheResetSent(byte version) => _resets.WithLabels(V(version)).Inc();
    void IRtrObserver.SerialNotifySent(byte version) => _notifies.WithLabels(V(version)).Inc();

    void IRtrObserver.SerialNotifySent(byte version, TimeSpan sincePublished)
    {
        _notifies.WithLabels(V(version)).Inc();
        _notifyDelay.Observe(sincePublished.TotalSeconds);
    }
    void IRtrObserver.ErrorReportSent(byte version, ErrorCode code) => _errorsSent.WithLabels(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
    void IRtrObserver.ErrorReportReceived(byte version, ErrorCode code) => _errorsReceived.WithLabels(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
}
