using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using RtrCache.Interop.Peers;
using RtrCache.Interop.RtrCacheInterop;

namespace RtrCache.Interop.FetchInterop;

/// <summary>One <c>rtrcache_fetch_status{repository,kind,transport,outcome} 1</c> series of <c>/metrics</c>.</summary>
public sealed record FetchStatusSeries(string Repository, string Kind, string Transport, string Outcome)
{
    public override string ToString() => $"{Kind} {Repository} {Outcome} via {Transport}";
}

/// <summary>
/// The log lines of one update round of <c>rtrcache serve</c> in fetch mode, from the SIGUSR1 that started it to the
/// line that ended it ("Published serial", "Payload unchanged", "Input unavailable" or "Update round failed").
/// </summary>
public sealed partial record FetchRound(IReadOnlyList<string> Lines, TimeSpan Elapsed)
{
    /// <summary>The "Loaded SOURCE: SUMMARY" line, or null when the run failed as a whole.</summary>
    public string? Loaded => Lines.FirstOrDefault(l => l.Contains("PayloadPipeline[0] Loaded ", StringComparison.Ordinal));

    /// <summary>The serial published by this round, or null.</summary>
    public RtrCachePublication? Published => Lines.Select(RtrCacheServer.ParsePublication).LastOrDefault(p => p is not null);

    /// <summary>True when the round validated and found the payload unchanged.</summary>
    public bool Unchanged => Lines.Any(l => l.Contains("Payload unchanged; serial stays", StringComparison.Ordinal));

    /// <summary>"Repository …" warnings: one per stale or failed repository (the host's report line).</summary>
    public IReadOnlyList<string> RepositoryWarnings
        => Lines.Where(l => l.Contains("RepositorySource", StringComparison.Ordinal) && l.Contains("] Repository ", StringComparison.Ordinal)).ToList();

    /// <summary>Lines the fetcher itself logged (category RtrCache.Fetch).</summary>
    public IReadOnlyList<string> FetchLines => Lines.Where(l => l.Contains("RtrCache.Fetch[", StringComparison.Ordinal)).ToList();

    /// <summary>Repository counts of the "Loaded" summary: (total, updated, unchanged, stale, failed).</summary>
    public (int Total, int Updated, int Unchanged, int Stale, int Failed)? Repositories
    {
        get
        {
            var m = Loaded is { } l ? RepositoriesRegex().Match(l) : Match.Empty;
            return m.Success ? (Int(m, 1), Int(m, 2), Int(m, 3), Int(m, 4), Int(m, 5)) : null;
        }
    }

    /// <summary>Validation counts of the "Loaded" summary: (objects rejected, publication points failed).</summary>
    public (int Rejected, int FailedPoints)? Validation
    {
        get
        {
            var m = Loaded is { } l ? ValidationRegex().Match(l) : Match.Empty;
            return m.Success ? (Int(m, 1), Int(m, 2)) : null;
        }
    }

    public override string ToString() => $"round of {Elapsed.TotalSeconds:0.0} s:\n  " + string.Join("\n  ", Lines);

    private static int Int(Match m, int group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(\d+) repositories: (\d+) updated, (\d+) unchanged, (\d+) stale, (\d+) failed")]
    private static partial Regex RepositoriesRegex();

    [GeneratedRegex(@"(\d+) objects rejected, (\d+) publication points failed")]
    private static partial Regex ValidationRegex();
}

/// <summary>
/// <c>rtrcache serve --tal-dir …</c> (fetch mode) started by <see cref="RtrCacheServer.StartWithSourceAsync"/>, with
/// what the fetch tests need on top: runs started by SIGUSR1 (deterministic, unlike a timer) and awaited on the log,
/// the served payload from <c>GET /json</c>, the fetch metrics, and kill -9.
/// </summary>
public sealed partial class FetchingCache(RtrCacheServer server)
{
    /// <summary>SIGUSR1 on Linux: what <c>kill -USR1 PID</c> sends; rtrcache starts an update round.</summary>
    public const int SigUsr1 = 10;

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public RtrCacheServer Server { get; } = server;

    public PeerProcess Process => Server.Process;

    /// <summary>The serial of the last "Published serial" line, or of the "Restored serial" line when nothing was published since a restart; 0 before either.</summary>
    public uint LastSerial
        => Process.GetLines().Select(l => RtrCacheServer.ParsePublication(l.Text)?.Serial ?? RtrCacheServer.ParseRestored(l.Text)).LastOrDefault(s => s is not null) ?? 0;

    /// <summary>Set by <see cref="KillAsync"/>: the process was ended on purpose.</summary>
    public bool Killed { get; private set; }

    /// <summary>The first round after start-up (its lines up to the first round end).</summary>
    public FetchRound StartupRound
    {
        get
        {
            var lines = new List<string>();
            foreach (var line in Process.GetLines())
            {
                lines.Add(line.Text);
                if (IsRoundEnd(line.Text))
                {
                    break;
                }
            }

            return new FetchRound(lines, TimeSpan.Zero);
        }
    }

    /// <summary>Waits for the end of the first round after start-up and returns it.</summary>
    public async Task<FetchRound> WaitForStartupRoundAsync(TimeSpan timeout)
    {
        await Process.WaitForLineAsync(IsRoundEnd, timeout).ConfigureAwait(false);
        var round = StartupRound;
        await TestContext.Out.WriteLineAsync("start-up " + round).ConfigureAwait(false);
        return round;
    }

    /// <summary>Sends SIGUSR1 and waits for the end of the round it starts.</summary>
    public async Task<FetchRound> RunAsync(TimeSpan timeout)
    {
        long mark = Process.LineCount;
        var sw = Stopwatch.StartNew();
        TriggerRun();
        var end = await Process.WaitForLineAsync(IsRoundEnd, timeout, mark).ConfigureAwait(false);
        var lines = Process.GetLines().Where(l => l.Index >= mark && l.Index <= end.Index).Select(l => l.Text).ToList();
        var round = new FetchRound(lines, sw.Elapsed);
        await TestContext.Out.WriteLineAsync(round.ToString()).ConfigureAwait(false); // the test's own record of each run
        return round;
    }

    /// <summary>Sends SIGUSR1 (kill -USR1 PID) without waiting.</summary>
    public void TriggerRun()
    {
        if (!Process.SendSignal(SigUsr1))
        {
            throw new InvalidOperationException($"SIGUSR1 not delivered to pid {Process.Pid}. {Process.Tail()}");
        }
    }

    /// <summary>A line that ends an update round.</summary>
    public static bool IsRoundEnd(string line)
        => RtrCacheServer.ParsePublication(line) is not null
           || line.Contains("Payload unchanged; serial stays", StringComparison.Ordinal)
           || line.Contains("Input unavailable: ", StringComparison.Ordinal)
           || line.Contains("Update round failed", StringComparison.Ordinal);

    /// <summary>The payload routers are served now, from <c>GET /json</c>.</summary>
    public async Task<ServedPayload> GetServedAsync()
        => ServedPayload.ParseJsonExport(await GetTextAsync("/json").ConfigureAwait(false));

    /// <summary><c>GET /metrics</c>.</summary>
    public Task<string> GetMetricsAsync() => GetTextAsync("/metrics");

    /// <summary>The <c>rtrcache_fetch_status</c> series set to 1 (one per repository and TA certificate of the last run).</summary>
    public async Task<IReadOnlyList<FetchStatusSeries>> GetFetchStatusAsync()
    {
        var result = new List<FetchStatusSeries>();
        foreach (string line in (await GetMetricsAsync().ConfigureAwait(false)).Split('\n'))
        {
            var m = StatusRegex().Match(line);
            if (!m.Success || double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) != 1)
            {
                continue;
            }

            var labels = LabelRegex().Matches(m.Groups[1].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal));
            result.Add(new FetchStatusSeries(labels["repository"], labels["kind"], labels["transport"], labels["outcome"]));
        }

        return result;
    }

    /// <summary>The serial <c>/readyz</c> reports ("ready: serial N, …"), or null when not ready.</summary>
    public async Task<uint?> GetReadySerialAsync()
    {
        var (status, body) = await Server.GetReadyzAsync().ConfigureAwait(false);
        var m = ReadySerialRegex().Match(body);
        return status == 200 && m.Success ? uint.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>kill -9 of the process (no clean-up of any kind runs), then waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        Killed = true;
        Process.SendSignal(9);
        await Process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    /// <summary>Peak resident memory of the process so far (VmHWM), in bytes; 0 when unknown.</summary>
    public long PeakResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{Process.Pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private async Task<string> GetTextAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{Server.HttpPort}{path}")).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
    }

    [GeneratedRegex(@"^rtrcache_fetch_status\{([^}]*)\} (\S+)$")]
    private static partial Regex StatusRegex();

    [GeneratedRegex(@"(\w+)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelRegex();

    [GeneratedRegex(@"^ready: serial (\d+),")]
    private static partial Regex ReadySerialRegex();
}
