using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using RtrCache.Interop.Peers;

namespace RtrCache.Interop.RtrCacheInterop;

/// <summary>Options for <see cref="RtrCacheServer"/>; the defaults suit fast tests.</summary>
public sealed record RtrCacheServerOptions
{
    /// <summary>Address of the RTR listener (<c>--rtr-listen</c>); 127.0.0.1 by default, ::1 works too.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>RTR port; a free one when null. Set it to restart a server on the port of a stopped one.</summary>
    public int? Port { get; init; }

    /// <summary>End of Data timers (<c>--refresh</c>, <c>--retry</c>, <c>--expire</c>). Expire must stay ≥ 600
    /// (RTR range) and above the other two, or the server refuses to start.</summary>
    public int Refresh { get; init; } = 5;

    public int Retry { get; init; } = 2;

    public int Expire { get; init; } = 600;

    /// <summary><c>--reload-interval</c>: seconds between polls of the input (the file watcher is faster).</summary>
    public double ReloadInterval { get; init; } = 1;

    /// <summary><c>--notify-interval</c>: least seconds between two Serial Notify PDUs on one session.</summary>
    public double NotifyInterval { get; init; } = 1;

    /// <summary><c>--slurm</c> files.</summary>
    public IReadOnlyList<string> SlurmFiles { get; init; } = [];

    /// <summary>
    /// <c>--cache-dir</c>, where the server persists its state; null = a new directory beside the JSON file (so
    /// every start is a cold start). Give the directory of a stopped server to restart it from its state.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// <c>--accept-shrink</c>: on by default because interop tests swap small sets wholesale, which the shrink
    /// guard (default 10%) would hold back.
    /// </summary>
    public bool AcceptShrink { get; init; } = true;

    /// <summary>Appended to the command line as is, e.g. <c>["--max-version", "1"]</c> or a second <c>--rtr-listen</c>.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>The RTR session IDs our server logs at start-up, one per protocol version.</summary>
public readonly record struct RtrCacheSessionIds(ushort V0, ushort V1, ushort V2)
{
    public ushort For(int version) => version switch
    {
        0 => V0,
        1 => V1,
        2 => V2,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "RTR versions are 0, 1 and 2"),
    };
}

/// <summary>One "Published serial" line of our server's log.</summary>
/// <param name="Payload">e.g. "4 IPv4 VRPs, 4 IPv6 VRPs, 1 router keys, 3 ASPAs".</param>
/// <param name="Delta">"initial" or e.g. "+3/-2 VRPs, +0/-0 router keys, 1 ASPA changes".</param>
public sealed record RtrCachePublication(uint Serial, string Payload, string Delta);

/// <summary>
/// Our own cache, <c>rtrcache serve</c>, started as a real process for interop tests:
/// <c>dotnet BASEDIR/rtrcache.dll serve --json FILE --rtr-listen ADDR:PORT --http-listen 127.0.0.1:PORT
/// --refresh R --retry T --expire E --reload-interval 1 --notify-interval 1 --cache-dir DIR --max-staleness 60
/// [--accept-shrink] [--slurm FILE…] [extra…]</c>
/// on free loopback ports. rtrcache.dll is copied into the test output by the project reference.
/// <para>Start-up waits until <c>GET /readyz</c> answers 200 (data loaded; Kestrel binds the RTR and HTTP
/// endpoints together, so the RTR port accepts by then). Stopping goes through <see cref="PeerProcess"/>
/// (SIGTERM by PID, then SIGKILL after the grace period).</para>
/// Log lines (Microsoft simple console, one line each, UTC timestamp first) that this class reads:
/// <list type="bullet">
/// <item><c>… info: RtrCache.Host.Serving.PayloadPipeline[0] Serving FILE; RTR session IDs v0 A, v1 B, v2 C</c></item>
/// <item><c>… info: … Published serial N: P IPv4 VRPs, … ASPAs (initial)</c> or <c>(+a/-w VRPs, +a/-w router keys, n ASPA changes)</c></item>
/// <item><c>… info: … Restored serial N from DIR/rtr-state.bin: P IPv4 VRPs, …; deltas from K older serials; …</c> (start from saved state)</item>
/// <item><c>… fail: … Rejected input FILE: roas[2]: max length 20 outside 22..32 for 198.51.100.0/22; keeping serial 1</c></item>
/// <item><c>… fail: …</c> / <c>… crit: …</c> for errors (see <see cref="ErrorLines"/>).</item>
/// </list>
/// </summary>
public sealed partial class RtrCacheServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private RtrCacheServer(PeerProcess process, IPAddress address, int port, int httpPort, string jsonFile, RtrCacheServerOptions options)
    {
        Process = process;
        Address = address;
        Port = port;
        HttpPort = httpPort;
        JsonFile = jsonFile;
        Options = options;
    }

    public PeerProcess Process { get; }

    public IPAddress Address { get; }

    /// <summary>The RTR port on <see cref="Address"/>.</summary>
    public int Port { get; }

    /// <summary>The HTTP port on 127.0.0.1 (health, readiness, metrics).</summary>
    public int HttpPort { get; }

    /// <summary>The <c>--json</c> file; empty when started with other source arguments (<see cref="StartWithSourceAsync"/>).</summary>
    public string JsonFile { get; }

    public RtrCacheServerOptions Options { get; }

    public RtrCacheSessionIds SessionIds { get; private set; }

    /// <summary>The serial of the last "Published serial" line seen.</summary>
    public uint Serial => Publications.Count == 0 ? 0 : Publications[^1].Serial;

    /// <summary>Every publication logged so far, oldest first.</summary>
    public IReadOnlyList<RtrCachePublication> Publications
        => Process.GetLines().Select(l => ParsePublication(l.Text)).OfType<RtrCachePublication>().ToList();

    /// <summary>Lines logged at level "fail" or "crit", and unhandled exceptions.</summary>
    public IReadOnlyList<string> ErrorLines
        => Process.GetLines()
            .Where(l => l.Text.Contains(" fail: ", StringComparison.Ordinal) || l.Text.Contains(" crit: ", StringComparison.Ordinal)
                        || l.Text.StartsWith("Unhandled exception", StringComparison.Ordinal))
            .Select(l => l.Text)
            .ToList();

    /// <summary>Path of rtrcache.dll in the test output.</summary>
    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "rtrcache.dll");

    /// <summary>Starts the server on free ports serving <paramref name="jsonFile"/> and waits until /readyz answers 200.</summary>
    public static async Task<RtrCacheServer> StartAsync(string jsonFile, RtrCacheServerOptions? options = null, TimeSpan? timeout = null)
    {
        options ??= new RtrCacheServerOptions();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (!File.Exists(ServerDll))
        {
            throw new FileNotFoundException("rtrcache.dll is not in the test output; the project reference to src/RtrCache is missing.", ServerDll);
        }

        int port = options.Port ?? FreePort.Tcp(options.Address);
        int httpPort = FreePort.Tcp(IPAddress.Loopback);
        var args = new List<string>
        {
            ServerDll, "serve",
            "--json", jsonFile,
            "--rtr-listen", $"{Addresses.Format(options.Address)}:{port}",
            "--http-listen", $"127.0.0.1:{httpPort}",
            "--refresh", options.Refresh.ToString(CultureInfo.InvariantCulture),
            "--retry", options.Retry.ToString(CultureInfo.InvariantCulture),
            "--expire", options.Expire.ToString(CultureInfo.InvariantCulture),
            "--reload-interval", options.ReloadInterval.ToString(CultureInfo.InvariantCulture),
            "--notify-interval", options.NotifyInterval.ToString(CultureInfo.InvariantCulture),
            "--cache-dir", options.CacheDirectory ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonFile))!, $"rtrcache-state-{Guid.NewGuid():N}"),
            // Readiness must not flap with one-second rounds on a busy machine.
            "--max-staleness", "60",
        };
        if (options.AcceptShrink)
        {
            args.Add("--accept-shrink");
        }
        foreach (string slurm in options.SlurmFiles)
        {
            args.AddRange(["--slurm", slurm]);
        }

        args.AddRange(options.ExtraArguments);

        return await LaunchAsync(args, jsonFile, Path.GetDirectoryName(jsonFile)!, port, httpPort, options, limit).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the server with <paramref name="sourceArguments"/> instead of <c>--json FILE</c>, e.g. fetch mode
    /// (<c>--tal-dir DIR --extra-ca PEM --refresh-interval 3600 --max-staleness 7200</c>): the listeners, End of
    /// Data timers, <c>--notify-interval</c>, <c>--cache-dir</c> (<see cref="RtrCacheServerOptions.CacheDirectory"/>
    /// or a new one in <paramref name="workingDirectory"/>), <c>--accept-shrink</c>, SLURM files and extra
    /// arguments are added as for <see cref="StartAsync"/>; <c>--reload-interval</c> and <c>--max-staleness</c>
    /// are not (they must suit the source's own update interval). Waits like <see cref="StartAsync"/>: /readyz
    /// 200 and a "Published serial" or "Restored serial" line.
    /// </summary>
    public static async Task<RtrCacheServer> StartWithSourceAsync(
        IReadOnlyList<string> sourceArguments, string workingDirectory, RtrCacheServerOptions? options = null, TimeSpan? timeout = null)
    {
        options ??= new RtrCacheServerOptions();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        if (!File.Exists(ServerDll))
        {
            throw new FileNotFoundException("rtrcache.dll is not in the test output; the project reference to src/RtrCache is missing.", ServerDll);
        }

        int port = options.Port ?? FreePort.Tcp(options.Address);
        int httpPort = FreePort.Tcp(IPAddress.Loopback);
        var args = new List<string> { ServerDll, "serve" };
        args.AddRange(sourceArguments);
        args.AddRange(
        [
            "--rtr-listen", $"{Addresses.Format(options.Address)}:{port}",
            "--http-listen", $"127.0.0.1:{httpPort}",
            "--refresh", options.Refresh.ToString(CultureInfo.InvariantCulture),
            "--retry", options.Retry.ToString(CultureInfo.InvariantCulture),
            "--expire", options.Expire.ToString(CultureInfo.InvariantCulture),
            "--notify-interval", options.NotifyInterval.ToString(CultureInfo.InvariantCulture),
            "--cache-dir", options.CacheDirectory ?? Path.Combine(Path.GetFullPath(workingDirectory), $"rtrcache-state-{Guid.NewGuid():N}"),
        ]);
        if (options.AcceptShrink)
        {
            args.Add("--accept-shrink");
        }
        foreach (string slurm in options.SlurmFiles)
        {
            args.AddRange(["--slurm", slurm]);
        }

        args.AddRange(options.ExtraArguments);
        return await LaunchAsync(args, "", workingDirectory, port, httpPort, options, limit).ConfigureAwait(false);
    }

    /// <summary>Starts <c>dotnet</c> with <paramref name="args"/> and waits for the session IDs, /readyz 200 and the first publication (or restore).</summary>
    private static async Task<RtrCacheServer> LaunchAsync(
        List<string> args, string jsonFile, string workingDirectory, int port, int httpPort, RtrCacheServerOptions options, TimeSpan limit)
    {
        var process = PeerProcess.Start("rtrcache", DotnetHost(), args, workingDirectory);
        var server = new RtrCacheServer(process, options.Address, port, httpPort, jsonFile, options);
        try
        {
            var sessions = await process.WaitForLineAsync(l => SessionIdsRegex().IsMatch(l), limit).ConfigureAwait(false);
            var m = SessionIdsRegex().Match(sessions.Text);
            server.SessionIds = new RtrCacheSessionIds(
                ushort.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                ushort.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                ushort.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));

            (int Status, string Body) last = (0, "");
            await Poll.UntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"rtrcache exited during start-up. {process.Tail()}");
                    }

                    last = await server.GetReadyzAsync().ConfigureAwait(false);
                    return last.Status == 200;
                },
                limit,
                () => $"rtrcache not ready on http://127.0.0.1:{httpPort}/readyz, last answer {last}. {process.Tail()}",
                TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);

            // /readyz turns 200 when the snapshot is stored; the log line follows a moment later. A restart from
            // saved state logs "Restored serial" instead and publishes nothing new while the input is unchanged.
            await process.WaitForLineAsync(l => ParsePublication(l) is not null || ParseRestored(l) is not null, limit).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary><c>GET /readyz</c>: status code and body; status 0 if nothing answered.</summary>
    public async Task<(int Status, string Body)> GetReadyzAsync()
    {
        try
        {
            using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz")).ConfigureAwait(false);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, e.Message);
        }
    }

    /// <summary>
    /// Runs <paramref name="rewriteFile"/> (which should change the input or a SLURM file) and waits for the next
    /// "Published serial" line logged after it.
    /// </summary>
    public async Task<RtrCachePublication> UpdateAsync(Action rewriteFile, TimeSpan? timeout = null)
    {
        long mark = Process.LineCount;
        rewriteFile();
        var line = await Process.WaitForLineAsync(l => ParsePublication(l) is not null, timeout ?? TimeSpan.FromSeconds(20), mark)
            .ConfigureAwait(false);
        return ParsePublication(line.Text)!;
    }

    /// <summary>Waits for a log line at or after <paramref name="fromIndex"/> containing <paramref name="text"/>.</summary>
    public Task<PeerLine> WaitForLogAsync(string text, TimeSpan timeout, long fromIndex = 0)
        => Process.WaitForLineAsync(l => l.Contains(text, StringComparison.Ordinal), timeout, fromIndex);

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    /// <summary>The serial of a "Restored serial N from PATH: …" line (start from saved state); null for any other line.</summary>
    public static uint? ParseRestored(string line)
    {
        var m = RestoredRegex().Match(line);
        return m.Success ? uint.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Parses a "Published serial" log line; null for any other line.</summary>
    public static RtrCachePublication? ParsePublication(string line)
    {
        var m = PublishedRegex().Match(line);
        return m.Success
            ? new RtrCachePublication(uint.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value, m.Groups[3].Value)
            : null;
    }

    /// <summary>The <c>dotnet</c> host: the one running the tests if it is dotnet, else DOTNET_HOST_PATH, else PATH.</summary>
    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, "dotnet");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("The dotnet host was not found (not the test process, DOTNET_HOST_PATH or PATH).");
    }

    [GeneratedRegex(@"RTR session IDs v0 (\d+), v1 (\d+), v2 (\d+)")]
    private static partial Regex SessionIdsRegex();

    [GeneratedRegex(@"Published serial (\d+): (.*) \(([^()]*)\)$")]
    private static partial Regex PublishedRegex();

    [GeneratedRegex(@"Restored serial (\d+) from ")]
    private static partial Regex RestoredRegex();
}
