using RtrCache.Fetch;
using RtrCache.Host.Input;

namespace RtrCache.Host.Api;

/// <summary>Turns a fetch-and-validate run into the status page's <see cref="RunReport"/>.</summary>
public static class RunReports
{
    public static RunReport From(RepositoryRun run)
    {
        var result = run.Result;
        var repositories = run.Fetch?.Repositories.Select(r => new RepositoryRunStatus(
            r.Uri,
            r.Outcome switch
            {
                FetchOutcome.Stale => RepositoryState.Stale,
                FetchOutcome.Failed => RepositoryState.Failed,
                _ => RepositoryState.Ok,
            },
            r.Transport == FetchTransport.None ? null : r.Transport.ToString().ToLowerInvariant(),
            r.LastSuccess,
            run.StartedAt,
            r.Error)).ToList() ?? [];
        var trustAnchors = result?.TrustAnchors.Select(t => new TrustAnchorRunStatus(t.Name, t.VrpsV4, t.VrpsV6, t.Aspas, t.RouterKeys, t.Error)).ToList() ?? [];
        RunOutcome outcome = run.Cancelled ? RunOutcome.Cancelled
            : result is null || run.Error is not null ? RunOutcome.Failed
            : trustAnchors.Any(t => t.Error is not null) || repositories.Any(r => r.State != RepositoryState.Ok) || result.FailedPublicationPoints.Length > 0 ? RunOutcome.Partial
            : RunOutcome.Succeeded;
        string? message = run.Error ?? (result is null ? null
            : $"{result.Payload}; {result.Rejected.Length} objects rejected, {result.FailedPublicationPoints.Length} publication points failed"
              + (run.Fetch is null ? "" : "; " + run.Fetch.Summary()));
        return new RunReport(run.StartedAt, run.FinishedAt, outcome)
        {
            Message = message,
            TrustAnchors = trustAnchors,
            Repositories = repositories,
        };
    }
}
