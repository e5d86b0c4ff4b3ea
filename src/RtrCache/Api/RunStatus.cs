using System.Text.Json;

namespace RtrCache.Host.Api;

/// <summary>How a fetch-and-validate run ended.</summary>
public enum RunOutcome
{
    /// <summary>Every trust anchor and repository was processed; the result was published.</summary>
    Succeeded,

    /// <summary>The run finished and was published, but some trust anchors or repositories failed or were stale.</summary>
    Partial,

    /// <summary>The run produced nothing usable; the previous data is still served.</summary>
    Failed,

    /// <summary>The run was abandoned (timeout, shutdown); the previous data is still served.</summary>
    Cancelled,
}

/// <summary>State of one repository after a run.</summary>
public enum RepositoryState
{
    /// <summary>Fetched (or found current) in this run.</summary>
    Ok,

    /// <summary>This run's fetch failed; an earlier copy was used.</summary>
    Stale,

    /// <summary>This run's fetch failed and no usable copy exists.</summary>
    Failed,
}

/// <summary>Payload counts contributed by one trust anchor in a run.</summary>
/// <param name="Name">The TAL name, e.g. <c>ripe</c>.</param>
/// <param name="VrpsV4">IPv4 VRPs from this trust anchor (before SLURM).</param>
/// <param name="VrpsV6">IPv6 VRPs from this trust anchor (before SLURM).</param>
/// <param name="Aspas">ASPA customers from this trust anchor.</param>
/// <param name="RouterKeys">BGPsec router keys from this trust anchor.</param>
/// <param name="Error">Why the trust anchor yielded nothing (e.g. its certificate could not be fetched); null when it worked.</param>
public sealed record TrustAnchorRunStatus(string Name, int VrpsV4, int VrpsV6, int Aspas, int RouterKeys, string? Error = null);

/// <summary>One repository as the last run saw it.</summary>
/// <param name="Uri">The repository's notification URI (RRDP) or rsync module URI.</param>
/// <param name="State">Ok, stale (old copy used) or failed.</param>
/// <param name="Transport">How it was fetched in this run: <c>rrdp</c>, <c>rsync</c>, <c>local</c>; null when nothing was fetched.</param>
/// <param name="LastSuccess">When a fetch last succeeded, in any run.</param>
/// <param name="LastAttempt">When this run tried it.</param>
/// <param name="Error">What went wrong in this run; null when it worked.</param>
public sealed record RepositoryRunStatus(string Uri, RepositoryState State, string? Transport, DateTimeOffset? LastSuccess, DateTimeOffset? LastAttempt, string? Error = null);

/// <summary>The record of one finished run.</summary>
public sealed record RunReport(DateTimeOffset StartedAt, DateTimeOffset FinishedAt, RunOutcome Outcome)
{
    /// <summary>A short human note, e.g. why the run failed.</summary>
    public string? Message { get; init; }

    public IReadOnlyList<TrustAnchorRunStatus> TrustAnchors { get; init; } = [];

    public IReadOnlyList<RepositoryRunStatus> Repositories { get; init; } = [];

    public TimeSpan Duration => FinishedAt - StartedAt;
}

/// <summary>
/// What the status API reports about fetch-and-validate runs. Whoever runs validation (the refresh loop) is the
/// only writer: <see cref="RunStarted"/> when a run begins, <see cref="RunFinished"/> with its report when it
/// ends. Readers (the <c>run</c> section of <c>/api/v1/status</c>, metrics, readiness) read a consistent
/// snapshot without locks: the state is one immutable object replaced by a reference swap, like the payload
/// snapshots. Registered as a singleton by <see cref="ApiRegistration.AddRtrCacheApi"/>.
/// </summary>
public sealed class RunStatus
{
    /// <summary>An immutable view of the run state at one moment.</summary>
    /// <param name="RunningSince">Start of the run in progress; null when none is running.</param>
    /// <param name="Last">The last finished run; null before the first.</param>
    /// <param name="LastSuccessAt">End of the last run with outcome Succeeded or Partial.</param>
    /// <param name="CompletedRuns">Runs finished since start-up.</param>
    public sealed record State(DateTimeOffset? RunningSince, RunReport? Last, DateTimeOffset? LastSuccessAt, long CompletedRuns);

    private State _state = new(null, null, null, 0);

    public State Current => Volatile.Read(ref _state);

    /// <summary>Records that a run started at <paramref name="at"/>.</summary>
    public void RunStarted(DateTimeOffset at) => Update(s => s with { RunningSince = at });

    /// <summary>Records a finished run; it becomes <see cref="State.Last"/>.</summary>
    public void RunFinished(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Update(s => s with
        {
            RunningSince = null,
            Last = report,
            LastSuccessAt = report.Outcome is RunOutcome.Succeeded or RunOutcome.Partial ? report.FinishedAt : s.LastSuccessAt,
            CompletedRuns = s.CompletedRuns + 1,
        });
    }

    private void Update(Func<State, State> change)
    {
        // One writer in practice; the loop keeps a second writer from losing an update all the same.
        while (true)
        {
            var old = Volatile.Read(ref _state);
            if (Interlocked.CompareExchange(ref _state, change(old), old) == old) return;
        }
    }
}

/// <summary>The <c>run</c> section of the status document, from <see cref="RunStatus"/>.</summary>
internal sealed class RunStatusContributor(RunStatus runs) : IStatusContributor
{
    public string Name => "run";

    public void WriteSection(Utf8JsonWriter w, DateTimeOffset now)
    {
        var s = runs.Current;
        w.WriteStartObject();
        w.WriteBoolean("running", s.RunningSince is not null);
        ApiJson.WriteTime(w, "runningSince", s.RunningSince);
        w.WriteNumber("completedRuns", s.CompletedRuns);
        ApiJson.WriteTime(w, "lastSuccessAt", s.LastSuccessAt);
        if (s.Last is not { } last)
        {
            w.WriteNull("last");
        }
        else
        {
            w.WriteStartObject("last");
            ApiJson.WriteTime(w, "startedAt", last.StartedAt);
            ApiJson.WriteTime(w, "finishedAt", last.FinishedAt);
            w.WriteNumber("durationSeconds", Math.Round(last.Duration.TotalSeconds, 3));
            w.WriteString("outcome", last.Outcome.ToString().ToLowerInvariant());
            if (last.Message is null) w.WriteNull("message");
            else w.WriteString("message", last.Message);
            w.WriteStartArray("trustAnchors");
            foreach (var ta in last.TrustAnchors)
            {
                w.WriteStartObject();
                w.WriteString("name", ta.Name);
                w.WriteNumber("vrpsV4", ta.VrpsV4);
                w.WriteNumber("vrpsV6", ta.VrpsV6);
                w.WriteNumber("aspas", ta.Aspas);
                w.WriteNumber("routerKeys", ta.RouterKeys);
                if (ta.Error is null) w.WriteNull("error");
                else w.WriteString("error", ta.Error);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("repositories");
            foreach (var r in last.Repositories)
            {
                w.WriteStartObject();
                w.WriteString("uri", r.Uri);
                w.WriteString("state", r.State.ToString().ToLowerInvariant());
                if (r.Transport is null) w.WriteNull("transport");
                else w.WriteString("transport", r.Transport);
                ApiJson.WriteTime(w, "lastSuccess", r.LastSuccess);
                ApiJson.WriteTime(w, "lastAttempt", r.LastAttempt);
                if (r.Error is null) w.WriteNull("error");
                else w.WriteString("error", r.Error);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
