using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace RtrCache.Interop.Peers;

/// <summary>Options for <see cref="BirdRouter"/>.</summary>
public sealed record BirdOptions
{
    /// <summary>Name of the <c>protocol rpki</c> instance.</summary>
    public string ProtocolName { get; init; } = "rpki1";

    /// <summary>
    /// Refresh/retry/expire intervals in seconds. BIRD 2.0.12 accepts refresh 1–86400, retry 1–7200, expire
    /// 600–172800 (a config error otherwise).
    /// </summary>
    public int RefreshSeconds { get; init; } = 5;

    public int RetrySeconds { get; init; } = 1;

    public int ExpireSeconds { get; init; } = 600;

    /// <summary>
    /// Write the timers as <c>refresh keep N</c> etc., so the values the cache sends in End of Data (v1) do not
    /// replace them. Without <c>keep</c> BIRD adopts the cache's timers.
    /// </summary>
    public bool KeepTimers { get; init; } = true;

    /// <summary>
    /// <c>debug { states, events, packets }</c> on the rpki protocol: one log line per PDU (needed for the
    /// query/reset counters). Turn off for large payload sets.
    /// </summary>
    public bool LogPackets { get; init; } = true;

    public string RouterId { get; init; } = "192.0.2.254";
}

/// <summary>The rpki protocol as <c>birdc show protocols all NAME</c> reports it.</summary>
/// <param name="State">BIRD protocol state column: "up", "start", "down".</param>
/// <param name="CacheStatus">The cache connection state: "Established", "Connecting", "Sync-Start",
/// "Sync-Running", "Fast-Reconnect", "No-Increment-Update-Available", "Cache-Error-No-Data-Available",
/// "Fatal-Protocol-Error", "Transport-Error", "Reseting", "Down".</param>
public sealed record BirdRpkiStatus(string State, string CacheStatus, int? ProtocolVersion, ushort? SessionId, uint? Serial)
{
    public bool IsEstablished => CacheStatus == "Established";
}

/// <summary>
/// BIRD 2.0.12 (Debian bird2 2.0.12-7, <c>/usr/sbin/bird</c>) as an RTR router with one
/// <c>protocol rpki</c> filling ROA tables <c>r4</c>/<c>r6</c>.
/// <para>Started as <c>bird -f -c DIR/bird.conf -s DIR/bird.ctl -P DIR/bird.pid</c>, queried with
/// <c>birdc -s DIR/bird.ctl show protocols all rpki1</c> and <c>birdc -s DIR/bird.ctl show route table r4</c>.</para>
/// Quirks found:
/// <list type="bullet">
/// <item>2.0.12 speaks RTR v0 and v1 only: it starts at v1 and downgrades to v0 if the cache answers v0 on the
/// first PDU. <c>min version</c>/<c>max version</c> do not exist (syntax error "unexpected MAX"); they came with 2.16.</item>
/// <item>Router Key PDUs are accepted and ignored (logged "Received Router Key packet (ignored)").</item>
/// <item><c>expire</c> below 600 s is a config error; <c>refresh keep N</c>/<c>retry keep N</c>/<c>expire keep N</c>
/// pin the timers against End of Data values.</item>
/// <item>Route lines look like <c>192.0.2.0/24-24 AS64496  [rpki1 19:06:21.116] * (100)</c>, under a
/// <c>Table r4:</c> header, after birdc's banner <c>BIRD 2.0.12 ready.</c>; one line per (prefix, max length, ASN).</item>
/// <item><c>show protocols all</c> prints <c>Status:</c>, <c>Protocol version:</c>, <c>Session ID:</c> and
/// <c>Serial number:</c> ("---" before the first sync).</item>
/// <item>With <c>log stderr all</c> and <c>debug { packets }</c> it logs e.g.
/// <c>2026-11-25 19:06:21.115 &lt;TRACE&gt; rpki1: Sending Reset Query packet</c>,
/// <c>rpki1: Sending Serial Query packet (session id: S, serial number: N)</c>,
/// <c>rpki1: Received End of Data packet (session id: S, serial number: N, refresh: 10s, retry: 5s, expire: 600s)</c>
/// (v0: without the timers), <c>rpki1: Received Cache Reset packet</c>, <c>rpki1: Received Serial Notify packet (…)</c>.
/// The IPv4/IPv6 Prefix lines do not show the announce/withdraw flag.</item>
/// <item>It reacts to Serial Notify at once with a Serial Query; the control socket path must fit in 107 bytes.</item>
/// </list>
/// </summary>
public sealed partial class BirdRouter : IAsyncDisposable
{
    public const string Program = "/usr/sbin/bird";
    public const string ClientProgram = "/usr/sbin/birdc";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private int _resetQueries;
    private int _serialQueries;
    private int _cacheResets;
    private int _serialNotifies;
    private int _endOfData;
    private int _errorReports;
    private PeerSyncState? _lastEndOfData;

    private BirdRouter(string directory, BirdOptions options)
    {
        Options = options;
        ConfigPath = Path.Combine(directory, "bird.conf");
        SocketPath = Path.Combine(directory, "bird.ctl");
        PidFile = Path.Combine(directory, "bird.pid");
    }

    public BirdOptions Options { get; }

    public string ConfigPath { get; }

    public string SocketPath { get; }

    public string PidFile { get; }

    public PeerProcess Process { get; private set; } = null!;

    // The counters below come from BIRD's packet log, so they stay 0 unless BirdOptions.LogPackets is on.

    /// <summary>Reset Queries BIRD sent (each is a full reload; the first connect is one).</summary>
    public int ResetQueries => Read(ref _resetQueries);

    /// <summary>Serial Queries BIRD sent (incremental updates).</summary>
    public int SerialQueries => Read(ref _serialQueries);

    /// <summary>Cache Reset PDUs BIRD received.</summary>
    public int CacheResets => Read(ref _cacheResets);

    public int SerialNotifies => Read(ref _serialNotifies);

    public int EndOfDataCount => Read(ref _endOfData);

    /// <summary>Error Report PDUs sent or received (either direction).</summary>
    public int ErrorReports => Read(ref _errorReports);

    /// <summary>Session and serial of the last End of Data BIRD logged (version from the PDU format: 1 if it carried timers).</summary>
    public PeerSyncState? LastEndOfData
    {
        get
        {
            lock (_gate)
            {
                return _lastEndOfData;
            }
        }
    }

    /// <summary>The bird.conf this class writes.</summary>
    public static string BuildConfig(IPAddress cacheAddress, int cachePort, BirdOptions options)
    {
        string keep = options.KeepTimers ? "keep " : "";
        var config = new StringBuilder();
        config.AppendLine("log stderr all;");
        config.AppendLine(CultureInfo.InvariantCulture, $"router id {options.RouterId};");
        config.AppendLine("roa4 table r4;");
        config.AppendLine("roa6 table r6;");
        config.AppendLine(CultureInfo.InvariantCulture, $"protocol rpki {options.ProtocolName} {{");
        config.AppendLine(options.LogPackets ? "  debug { states, events, packets };" : "  debug { states, events };");
        config.AppendLine("  roa4 { table r4; };");
        config.AppendLine("  roa6 { table r6; };");
        config.AppendLine(CultureInfo.InvariantCulture, $"  remote {cacheAddress} port {cachePort};");
        config.AppendLine("  transport tcp;");
        config.AppendLine(CultureInfo.InvariantCulture, $"  refresh {keep}{options.RefreshSeconds};");
        config.AppendLine(CultureInfo.InvariantCulture, $"  retry {keep}{options.RetrySeconds};");
        config.AppendLine(CultureInfo.InvariantCulture, $"  expire {keep}{options.ExpireSeconds};");
        config.AppendLine("}");
        return config.ToString();
    }

    /// <summary>Writes bird.conf into <paramref name="directory"/>, starts BIRD and waits for its "Started" log line.</summary>
    public static async Task<BirdRouter> StartAsync(
        string directory,
        IPAddress cacheAddress,
        int cachePort,
        BirdOptions? options = null,
        TimeSpan? timeout = null)
    {
        var router = new BirdRouter(directory, options ?? new BirdOptions());
        await File.WriteAllTextAsync(router.ConfigPath, BuildConfig(cacheAddress, cachePort, router.Options)).ConfigureAwait(false);
        router.Process = PeerProcess.Start(
            "bird",
            Program,
            ["-f", "-c", router.ConfigPath, "-s", router.SocketPath, "-P", router.PidFile],
            directory,
            router.OnLine);
        try
        {
            await router.Process.WaitForLineAsync(l => l.EndsWith("<INFO> Started", StringComparison.Ordinal),
                timeout ?? TimeSpan.FromSeconds(20)).ConfigureAwait(false);
            return router;
        }
        catch
        {
            await router.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <c>birdc -s SOCKET WORDS…</c> and returns its stdout; throws if birdc fails.</summary>
    public async Task<string> BirdcAsync(params string[] words)
    {
        var result = await PeerProcess.RunAsync(ClientProgram, ["-s", SocketPath, .. words], CommandTimeout).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"birdc {string.Join(' ', words)} failed: {result}");
        }

        return result.Stdout;
    }

    public async Task<BirdRpkiStatus> GetStatusAsync()
        => ParseStatus(await BirdcAsync("show", "protocols", "all", Options.ProtocolName).ConfigureAwait(false), Options.ProtocolName);

    /// <summary>Polls until the rpki protocol reports "Established" (at least one complete sync).</summary>
    public async Task<BirdRpkiStatus> WaitForEstablishedAsync(TimeSpan timeout)
    {
        BirdRpkiStatus? last = null;
        await Poll.UntilAsync(
            async () => (last = await GetStatusAsync().ConfigureAwait(false)).IsEstablished && last.Serial is not null,
            timeout,
            () => $"BIRD rpki not established, last status {last}. {Process.Tail()}").ConfigureAwait(false);
        return last!;
    }

    /// <summary>All VRPs in tables r4 and r6.</summary>
    public async Task<HashSet<PeerVrp>> GetVrpsAsync()
    {
        var set = ParseRoutes(await BirdcAsync("show", "route", "table", "r4").ConfigureAwait(false));
        set.UnionWith(ParseRoutes(await BirdcAsync("show", "route", "table", "r6").ConfigureAwait(false)));
        return set;
    }

    /// <summary>Polls until r4 ∪ r6 equals <paramref name="expected"/>; the timeout message shows the difference.</summary>
    public async Task WaitForVrpsAsync(IEnumerable<PeerVrp> expected, TimeSpan timeout)
    {
        var want = expected.ToHashSet();
        HashSet<PeerVrp> last = [];
        await Poll.UntilAsync(
            async () => (last = await GetVrpsAsync().ConfigureAwait(false)).SetEquals(want),
            timeout,
            () => $"BIRD VRPs differ: {PeerSets.Diff(want, last)}\n{Process.Tail()}",
            TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
    }

    /// <summary>Parses <c>birdc show route table rN</c> output into VRPs.</summary>
    public static HashSet<PeerVrp> ParseRoutes(string output)
    {
        var set = new HashSet<PeerVrp>();
        foreach (string line in output.Split('\n'))
        {
            var match = RouteRegex().Match(line);
            if (match.Success)
            {
                set.Add(PeerVrp.Parse(
                    match.Groups[1].Value,
                    int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
                    uint.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture)));
            }
        }

        return set;
    }

    /// <summary>Parses <c>birdc show protocols all NAME</c>.</summary>
    public static BirdRpkiStatus ParseStatus(string output, string protocolName)
    {
        string state = "";
        string status = "";
        int? version = null;
        ushort? session = null;
        uint? serial = null;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd();
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 4 && columns[0] == protocolName)
            {
                state = columns[3];
            }
            else if (Field(line, "Status:") is { } s)
            {
                status = s;
            }
            else if (Field(line, "Protocol version:") is { } v)
            {
                version = int.Parse(v, CultureInfo.InvariantCulture);
            }
            else if (Field(line, "Session ID:") is { } id && id != "---")
            {
                session = ushort.Parse(id, CultureInfo.InvariantCulture);
            }
            else if (Field(line, "Serial number:") is { } n && n != "---")
            {
                serial = uint.Parse(n, CultureInfo.InvariantCulture);
            }
        }

        return new BirdRpkiStatus(state, status, version, session, serial);

        static string? Field(string line, string label)
        {
            string trimmed = line.TrimStart();
            return trimmed.StartsWith(label, StringComparison.Ordinal) ? trimmed[label.Length..].Trim() : null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnLine(PeerLine line)
    {
        string text = line.Text;
        string prefix = Options.ProtocolName + ": ";
        int at = text.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0)
        {
            return;
        }

        string message = text[(at + prefix.Length)..];
        lock (_gate)
        {
            if (message.StartsWith("Sending Reset Query packet", StringComparison.Ordinal))
            {
                _resetQueries++;
            }
            else if (message.StartsWith("Sending Serial Query packet", StringComparison.Ordinal))
            {
                _serialQueries++;
            }
            else if (message.StartsWith("Received Cache Reset packet", StringComparison.Ordinal))
            {
                _cacheResets++;
            }
            else if (message.StartsWith("Received Serial Notify packet", StringComparison.Ordinal))
            {
                _serialNotifies++;
            }
            else if (message.StartsWith("Received Error packet", StringComparison.Ordinal) ||
                     message.StartsWith("Sending Error packet", StringComparison.Ordinal))
            {
                _errorReports++;
            }
            else if (EndOfDataRegex().Match(message) is { Success: true } eod)
            {
                _endOfData++;
                _lastEndOfData = new PeerSyncState(
                    eod.Groups[3].Success ? 1 : 0,
                    ushort.Parse(eod.Groups[1].Value, CultureInfo.InvariantCulture),
                    uint.Parse(eod.Groups[2].Value, CultureInfo.InvariantCulture));
            }
        }
    }

    private int Read(ref int field)
    {
        lock (_gate)
        {
            return field;
        }
    }

    [GeneratedRegex(@"^([0-9A-Fa-f:.]+/\d+)-(\d+)\s+AS(\d+)\s")]
    private static partial Regex RouteRegex();

    [GeneratedRegex(@"^Received End of Data packet \(session id: (\d+), serial number: (\d+)(, refresh)?")]
    private static partial Regex EndOfDataRegex();
}
