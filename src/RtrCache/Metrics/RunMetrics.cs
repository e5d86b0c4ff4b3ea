using Prometheus;
using RtrCache.Fetch;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;

namespace RtrCache.Host.Metrics;

/// <summary>
/// The fetch-and-validate side of the metrics: what the last run fetched per repository and what it validated.
/// Per-repository series are replaced on every run, so a repository that is no longer referenced disappears
/// instead of showing its last value forever.
/// </summary>
public sealed class RunMetrics
{
    private readonly Gauge _fetchDuration, _fetchBytes, _fetchLastSuccess, _fetchStatus, _fetchRepositories, _fetchRunDuration;
    private readonly Counter _fetchBytesTotal;
    private readonly Gauge _validationDuration, _validationObjects, _failedPoints, _lastRun, _taPayload;
    private readonly Counter _runs;

    public RunMetrics(CollectorRegistry registry)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        _fetchDuration = f.CreateGauge("rtrcache_fetch_duration_seconds", "Time the last fetch of each repository took.", "repository", "transport");
        _fetchBytes = f.CreateGauge("rtrcache_fetch_bytes", "Bytes transferred by the last fetch of each repository.", "repository", "transport");
        _fetchBytesTotal = f.CreateCounter("rtrcache_fetch_bytes_total", "Bytes transferred by all fetches, by transport.", "transport");
        _fetchLastSuccess = f.CreateGauge("rtrcache_fetch_last_success_timestamp_seconds", "Unix time of the last successful fetch of each repository.", "repository");
        _fetchStatus = f.CreateGauge("rtrcache_fetch_status", "1 for the outcome of the last fetch of each repository (updated, unchanged, stale, failed, cached).", "repository", "kind", "transport", "outcome");
        _fetchRepositories = f.CreateGauge("rtrcache_fetch_repositories", "Repositories of the last run by state.", "state");
        _fetchRunDuration = f.CreateGauge("rtrcache_fetch_run_duration_seconds", "Wall time of the fetch part of the last run (from its start to the last repository).");
        _validationDuration = f.CreateGauge("rtrcache_validation_duration_seconds", "Wall time of the last validation run (fetching included when repositories are fetched).");
        _validationObjects = f.CreateGauge("rtrcache_validation_objects", "Objects of the last run by type and outcome (accepted, rejected).", "type", "outcome");
        _failedPoints = f.CreateGauge("rtrcache_validation_publication_points_failed", "Publication points that failed in the last run (their CA's products are not used).");
        _lastRun = f.CreateGauge("rtrcache_validation_last_run_timestamp_seconds", "Unix time when the last validation run ended.");
        _taPayload = f.CreateGauge("rtrcache_validation_payload", "Payload of the last run per trust anchor, before SLURM: vrps_ipv4, vrps_ipv6, aspas, router_keys.", "ta", "kind");
        _runs = f.CreateCounter("rtrcache_validation_runs_total", "Validation runs by result (completed, failed).", "result");
        foreach (var state in Enum.GetNames<FetchOutcome>()) _fetchRepositories.WithLabels(state.ToLowerInvariant()).Set(0);
    }

    public void RunFailed() => _runs.WithLabels("failed").Inc();

    public void RunCompleted(ValidationResult result, FetchReport? fetch, DateTimeOffset at)
    {
        _runs.WithLabels("completed").Inc();
        _validationDuration.Set(result.Elapsed.TotalSeconds);
        _lastRun.Set(at.ToUnixTimeMilliseconds() / 1000.0);
        _failedPoints.Set(result.FailedPublicationPoints.Length);

        Replace(_validationObjects);
        foreach (var type in Enum.GetValues<RpkiObjectType>())
        {
            int accepted = result.ObjectCount(type);
            if (accepted > 0) _validationObjects.WithLabels(Name(type), "accepted").Set(accepted);
        }
        foreach (var group in result.Rejected.GroupBy(r => Name(RpkiFile.TypeFromName(r.Uri))))
            _validationObjects.WithLabels(group.Key, "rejected").Set(group.Count());

        Replace(_taPayload);
        foreach (var ta in result.TrustAnchors)
        {
            _taPayload.WithLabels(ta.Name, "vrps_ipv4").Set(ta.VrpsV4);
            _taPayload.WithLabels(ta.Name, "vrps_ipv6").Set(ta.VrpsV6);
            _taPayload.WithLabels(ta.Name, "aspas").Set(ta.Aspas);
            _taPayload.WithLabels(ta.Name, "router_keys").Set(ta.RouterKeys);
        }

        if (fetch is null) return;
        _fetchRunDuration.Set(fetch.Elapsed.TotalSeconds);
        Replace(_fetchDuration);
        Replace(_fetchBytes);
        Replace(_fetchStatus);
        foreach (var state in Enum.GetValues<FetchOutcome>())
            _fetchRepositories.WithLabels(state.ToString().ToLowerInvariant()).Set(fetch.Count(state));
        foreach (var r in fetch.Repositories)
        {
            string transport = r.Transport.ToString().ToLowerInvariant();
            _fetchDuration.WithLabels(r.Uri, transport).Set(r.Duration.TotalSeconds);
            _fetchBytes.WithLabels(r.Uri, transport).Set(r.BytesTransferred);
            _fetchBytesTotal.WithLabels(transport).Inc(r.BytesTransferred);
            _fetchStatus.WithLabels(r.Uri, r.Kind.ToString().ToLowerInvariant(), transport, r.Outcome.ToString().ToLowerInvariant()).Set(1);
            if (r.LastSuccess is { } ok) _fetchLastSuccess.WithLabels(r.Uri).Set(ok.ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    private static string Name(RpkiObjectType type) => type switch
    {
        RpkiObjectType.Certificate => "certificate",
        RpkiObjectType.RouterCertificate => "router_certificate",
        RpkiObjectType.Crl => "crl",
        RpkiObjectType.Manifest => "manifest",
        RpkiObjectType.Roa => "roa",
        RpkiObjectType.Aspa => "aspa",
        RpkiObjectType.Ghostbusters => "gbr",
        RpkiObjectType.TrustAnchorKey => "tak",
        RpkiObjectType.SignedPrefixList => "spl",
        RpkiObjectType.SignedChecklist => "sig",
        RpkiObjectType.TrustAnchorLocator => "tal",
        _ => "other",
    };

    private static void Replace(Gauge gauge)
    {
        foreach (var labels in gauge.GetAllLabelValues().ToList()) gauge.RemoveLabelled(labels);
    }
}
