using System.Globalization;

namespace RtrCache.Fetch;

/// <summary>What a report entry is about.</summary>
public enum RepositoryKind
{
    /// <summary>An RRDP repository, named by its notification URI.</summary>
    Rrdp,

    /// <summary>An rsync module, named <c>rsync://HOST/MODULE/</c>.</summary>
    Rsync,

    /// <summary>A TAL's trust anchor certificate.</summary>
    TrustAnchor,
}

/// <summary>How the data was obtained in this run.</summary>
public enum FetchTransport
{
    /// <summary>No network transfer (offline, or never attempted).</summary>
    None,
    Rrdp,
    Rsync,
    Https,
}

/// <summary>The result of a run for one entry.</summary>
public enum FetchOutcome
{
    /// <summary>New data was fetched and is in use.</summary>
    Updated,

    /// <summary>The source was checked and nothing had changed.</summary>
    Unchanged,

    /// <summary>The fetch failed; the last good data is kept and served.</summary>
    Stale,

    /// <summary>The fetch failed and there is no data at all.</summary>
    Failed,

    /// <summary>Offline mode: served from the cache without asking the network.</summary>
    Cached,
}

/// <summary>One repository (or TA certificate) after a run.</summary>
public sealed record RepositoryReport
{
    public required RepositoryKind Kind { get; init; }

    /// <summary>Notification URI, <c>rsync://HOST/MODULE/</c>, or the TA certificate URI that was used (the first one tried when all failed).</summary>
    public required string Uri { get; init; }

    public required FetchTransport Transport { get; init; }
    public required FetchOutcome Outcome { get; init; }

    /// <summary>Why the fetch failed; null when it worked.</summary>
    public string? Error { get; init; }

    /// <summary>Things worth knowing that did not fail the fetch (session reset, delta chain abandoned, serial went back…).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>What was done: "snapshot 7", "deltas 5-7", "not modified", "up to date", "rsync", ….</summary>
    public string? Action { get; init; }

    /// <summary>Bytes received over the network for this entry in this run.</summary>
    public long BytesTransferred { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>When this repository was last fetched successfully (this run or earlier); null if never.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>RRDP serial and session of the data in use.</summary>
    public long? Serial { get; init; }
    public Guid? SessionId { get; init; }

    /// <summary>For RRDP: the run sent (some of) its CAs to rsync because RRDP failed outside the fallback window.</summary>
    public bool FellBackToRsync { get; init; }

    /// <summary>The directory the validator reads (current generation or the TA file); null when there is no data.</summary>
    public string? Location { get; init; }

    /// <summary>One line for logs.</summary>
    public override string ToString()
    {
        var parts = new List<string> { $"{Kind.ToString().ToLowerInvariant()} {Uri}", Outcome.ToString().ToLowerInvariant(), $"via {Transport.ToString().ToLowerInvariant()}" };
        if (Action is not null) parts.Add(Action);
        if (Serial is { } s) parts.Add("serial " + s.ToString(CultureInfo.InvariantCulture));
        parts.Add($"{BytesTransferred} bytes in {Duration.TotalSeconds:F1} s");
        if (FellBackToRsync) parts.Add("fell back to rsync");
        if (Error is not null) parts.Add("error: " + Error);
        return string.Join(", ", parts);
    }
}

/// <summary>Every repository a run touched, in URI order, with totals.</summary>
public sealed record FetchReport(IReadOnlyList<RepositoryReport> Repositories, TimeSpan Elapsed)
{
    public int Count(FetchOutcome outcome) => Repositories.Count(r => r.Outcome == outcome);

    public long BytesTransferred => Repositories.Sum(r => r.BytesTransferred);

    /// <summary>"12 repositories: 3 updated, 8 unchanged, 1 stale, 0 failed; 1.2 MB in 4.1 s".</summary>
    public string Summary()
    {
        var counts = Enum.GetValues<FetchOutcome>().Where(o => o != FetchOutcome.Cached || Count(o) > 0)
            .Select(o => $"{Count(o)} {o.ToString().ToLowerInvariant()}");
        return $"{Repositories.Count} repositories: {string.Join(", ", counts)}; {BytesTransferred / 1e6:F1} MB in {Elapsed.TotalSeconds:F1} s";
    }
}
