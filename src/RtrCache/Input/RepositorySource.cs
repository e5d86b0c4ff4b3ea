using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RtrCache.Fetch;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;

namespace RtrCache.Host.Input;

/// <summary>
/// Payload computed by our own validator: every look is a full top-down run from the TALs (re-read each time, so
/// a TAL change needs no restart), over a local tree as it is (<c>--repo</c>) or over repositories fetched during
/// the run (RRDP, rsync fallback) into the cache directory. A run that cannot use any TAL, or that runs out of
/// time, is a failure and the previous payload stays served; rejected objects, failed publication points and
/// stale repositories are part of a normal run and are reported in its summary.
/// </summary>
public sealed class RepositorySource : PayloadSource
{
    private readonly string _talDirectory;
    private readonly string? _repository;
    private readonly RepositoryFetcher? _fetcher;
    private readonly TimeSpan _runTimeout;
    private readonly ValidatorOptions _options;
    private readonly ILogger? _logger;
    /// <summary>
    /// Kept across runs so a run over unchanged repositories (RRDP 304, rsync with nothing new) replays the
    /// publication points of the previous run instead of re-reading and re-verifying every object.
    /// </summary>
    private readonly PublicationPointCache _cache = new();

    /// <summary>Validates the local tree <paramref name="repository"/> as it is.</summary>
    public RepositorySource(string talDirectory, string repository, ValidatorOptions? options = null)
    {
        _talDirectory = Path.GetFullPath(talDirectory);
        _repository = Path.GetFullPath(repository);
        _options = options ?? ValidatorOptions.Default;
        _runTimeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>Fetches repositories with <paramref name="fetcher"/> as the validator discovers them.</summary>
    public RepositorySource(string talDirectory, RepositoryFetcher fetcher, TimeSpan runTimeout, ILogger? logger, ValidatorOptions? options = null)
    {
        _talDirectory = Path.GetFullPath(talDirectory);
        _fetcher = fetcher;
        _runTimeout = runTimeout;
        _logger = logger;
        _options = options ?? ValidatorOptions.Default;
    }

    public override string Name => _fetcher is null
        ? $"{_repository} (TALs in {_talDirectory})"
        : $"the RPKI from the TALs in {_talDirectory} (cache {_fetcher.CacheDirectory})";

    /// <summary>Called when a run starts.</summary>
    public event Action<DateTimeOffset>? RunStarted;

    /// <summary>Called when a run ends, however it ended (for status pages and metrics).</summary>
    public event Action<RepositoryRun>? RunFinished;

    public override async Task<SourceResult> LoadAsync(DateTimeOffset now, bool force, CancellationToken ct)
    {
        var skipped = new List<string>();
        List<Tal> tals;
        try
        {
            tals = Tal.LoadDirectory(_talDirectory, (path, reason) => skipped.Add($"{path}: {reason}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SourceResult.Failed($"{_talDirectory}: {e.Message}");
        }
        if (tals.Count == 0)
            return new SourceResult.Failed($"{_talDirectory}: no usable .tal file{(skipped.Count > 0 ? " (" + string.Join("; ", skipped) + ")" : "")}");

        var startedAt = DateTimeOffset.UtcNow;
        RunStarted?.Invoke(startedAt);
        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (_runTimeout != Timeout.InfiniteTimeSpan) runCts.CancelAfter(_runTimeout);
        FetchRun? fetch = _fetcher?.BeginRun(runCts.Token);
        IRepositoryProvider provider = fetch is null ? new DirectoryRepository(_repository!) : fetch;
        var validation = new ValidationProgress();
        var options = _options with { Progress = validation, Cache = _options.Cache ?? _cache };
        using var progress = fetch is null ? null : StartProgress(fetch, validation);
        ValidationResult result;
        try
        {
            // The walk is CPU-bound and uses every core; keep it off the caller's thread.
            result = await Task.Run(() => Validator.Run(tals, provider, now, options, runCts.Token), runCts.Token).ConfigureAwait(false);
            if (fetch is not null) await fetch.CompletionAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            string error = $"run abandoned after {_runTimeout.TotalSeconds:F0} s (--run-timeout); {(fetch is null ? "" : fetch.Progress + " fetched; ")}keeping the previous data";
            RunFinished?.Invoke(new RepositoryRun(startedAt, DateTimeOffset.UtcNow, null, fetch?.Report, error, Cancelled: true));
            return new SourceResult.Failed(error);
        }
        catch (OperationCanceledException)
        {
            RunFinished?.Invoke(new RepositoryRun(startedAt, DateTimeOffset.UtcNow, null, fetch?.Report, "shut down during the run", Cancelled: true));
            throw;
        }
        var report = fetch?.Report;
        // Repositories no CA has referenced for a month (and not fetched since) only take disk space.
        if (fetch is not null) _fetcher!.PruneUnused(fetch, TimeSpan.FromDays(30));
        if (result.TrustAnchors.All(t => t.Error is not null))
        {
            string error = $"{Name}: no trust anchor could be used: {string.Join("; ", result.TrustAnchors.Select(t => $"{t.Name}: {t.Error}"))}";
            RunFinished?.Invoke(new RepositoryRun(startedAt, DateTimeOffset.UtcNow, result, report, error, Cancelled: false));
            return new SourceResult.Failed(error);
        }
        RunFinished?.Invoke(new RepositoryRun(startedAt, DateTimeOffset.UtcNow, result, report, null, Cancelled: false));
        if (report is not null)
            foreach (var r in report.Repositories.Where(r => r.Outcome is FetchOutcome.Stale or FetchOutcome.Failed))
                _logger?.LogWarning("Repository {Repository}", r.ToString());
        string summary = $"{result.Payload} from {tals.Count} TAL(s) in {result.Elapsed.TotalSeconds:F1} s; "
                         + $"{result.Rejected.Length} objects rejected, {result.FailedPublicationPoints.Length} publication points failed"
                         + (report is null ? "" : "; " + report.Summary())
                         + (skipped.Count > 0 ? $"; skipped TALs: {string.Join("; ", skipped)}" : "");
        return new SourceResult.Loaded(result.Payload, summary, result.EarliestExpiry);
    }

    /// <summary>Progress on the console every few seconds while a fetch-and-validate run goes on.</summary>
    private IDisposable? StartProgress(FetchRun fetch, ValidationProgress validation)
    {
        if (_logger is null) return null;
        var sw = Stopwatch.StartNew();
        return new Timer(_ => _logger.LogInformation("Run in progress: {Progress}; {Validated}; {Elapsed:F0} s", fetch.Progress.ToString(), validation.ToString(), sw.Elapsed.TotalSeconds),
            null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    }

    public override void Dispose()
    {
        _fetcher?.Dispose();
        base.Dispose();
    }
}

/// <summary>One fetch-and-validate run as it ended: <see cref="Result"/> is null when it was abandoned.</summary>
public sealed record RepositoryRun(DateTimeOffset StartedAt, DateTimeOffset FinishedAt, ValidationResult? Result, FetchReport? Fetch, string? Error, bool Cancelled);
