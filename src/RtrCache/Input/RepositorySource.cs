using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;

namespace RtrCache.Host.Input;

/// <summary>
/// Payload computed by our own validator from a local repository tree: every look is a full top-down run
/// from the TALs (re-read each time, so a TAL change needs no restart). A run that cannot use any TAL is a
/// failure and the previous payload stays served; rejected objects and failed publication points are part of
/// a normal run and are reported in its summary.
/// </summary>
public sealed class RepositorySource : PayloadSource
{
    private readonly string _talDirectory;
    private readonly string _repository;
    private readonly ValidatorOptions _options;

    public RepositorySource(string talDirectory, string repository, ValidatorOptions? options = null)
    {
        _talDirectory = Path.GetFullPath(talDirectory);
        _repository = Path.GetFullPath(repository);
        _options = options ?? ValidatorOptions.Default;
    }

    public override string Name => $"{_repository} (TALs in {_talDirectory})";

    /// <summary>The last completed run, for reports.</summary>
    public ValidationResult? LastRun { get; private set; }

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

        // The walk is CPU-bound and uses every core; keep it off the caller's thread.
        var result = await Task.Run(() => Validator.Run(tals, _repository, now, _options, ct), ct).ConfigureAwait(false);
        LastRun = result;
        if (result.TrustAnchors.All(t => t.Error is not null))
            return new SourceResult.Failed($"{_repository}: no trust anchor could be used: {string.Join("; ", result.TrustAnchors.Select(t => $"{t.Name}: {t.Error}"))}");
        string summary = $"{result.Payload} from {tals.Count} TAL(s) in {result.Elapsed.TotalSeconds:F1} s; "
                         + $"{result.Rejected.Length} objects rejected, {result.FailedPublicationPoints.Length} publication points failed"
                         + (skipped.Count > 0 ? $"; skipped TALs: {string.Join("; ", skipped)}" : "");
        return new SourceResult.Loaded(result.Payload, summary, result.EarliestExpiry);
    }
}
