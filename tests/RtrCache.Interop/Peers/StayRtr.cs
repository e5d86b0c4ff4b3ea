using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace RtrCache.Interop.Peers;

/// <summary>Options for <see cref="StayRtr"/>; the defaults suit fast tests.</summary>
public sealed record StayRtrOptions
{
    /// <summary><c>-refresh</c>: how often (s) StayRTR re-reads the JSON file. SIGHUP forces a re-read at once.</summary>
    public int FileRefreshSeconds { get; init; } = 1;

    /// <summary><c>-protocol</c>: highest RTR version served (0, 1, or 2 = draft-ietf-sidrops-8210bis-10).</summary>
    public int ProtocolVersion { get; init; } = 2;

    /// <summary>Timers sent in End of Data (v1+): <c>-rtr.refresh</c>, <c>-rtr.retry</c>, <c>-rtr.expire</c>.</summary>
    public int RtrRefresh { get; init; } = 3600;

    public int RtrRetry { get; init; } = 600;

    public int RtrExpire { get; init; } = 7200;

    /// <summary><c>-notifications</c>: send Serial Notify to connected routers after an update.</summary>
    public bool Notifications { get; init; } = true;

    /// <summary><c>-loglevel debug</c> (logs every PDU exchange per client; noisy with big files).</summary>
    public bool DebugLog { get; init; }

    /// <summary>Listen address; 127.0.0.1 by default, ::1 works too.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;
}

/// <summary>
/// Debian's StayRTR 0.5.1 (<c>/usr/bin/stayrtr</c>, package stayrtr 0.5.1-2) serving a local
/// rpki-client-format JSON file (see <see cref="RpkiClientJson"/>) as a stand-in RTR cache.
/// <para>Command line: <c>stayrtr -bind 127.0.0.1:PORT -cache FILE -checktime=false -metrics.addr= -refresh 1
/// -protocol 2 -rtr.refresh R -rtr.retry T -rtr.expire E -notifications=true -loglevel info</c>.</para>
/// Quirks (from running it and from its v0.5.1 source):
/// <list type="bullet">
/// <item><c>-version</c> prints "StayRTR  " (the Debian build carries no version string); check <c>dpkg -s stayrtr</c> instead.</item>
/// <item><c>-cache</c> accepts a plain file path as well as a URL. With a URL it would fetch over HTTP, so tests
/// always pass a file path. <c>-metrics.addr=</c> (empty) disables the HTTP metrics/export listener (default :9847).</item>
/// <item><c>-checktime</c> (default true) refuses files whose <c>metadata.buildtime</c> is older than 24 h; we pass false.</item>
/// <item>Logs (logrus, to stderr): <c>msg="Updated added, new serial N"</c> after each (re)load that changed data,
/// then <c>msg="StayRTR Server started (sessionID:S, refresh:R, retry:T, expire:E)"</c> once, just before it binds.
/// If the file cannot be read at start it retries only every 30 s, so start it with the file in place.</item>
/// <item>Serial starts at 0 and increments per changed reload; Session ID is random per process. It keeps only 3
/// deltas (<c>KeepDifference: 3</c>), so routers further behind get Cache Reset. Serial Notify goes to all
/// clients after each change (unless <c>-notifications=false</c>).</item>
/// <item>SIGHUP makes it re-read the file immediately, but only once its refresh loop has installed the handler,
/// which happens around the time it logs "Server started" — a SIGHUP before that kills it (Go's default action).
/// So <see cref="UpdateAsync"/> relies on the 1 s <c>-refresh</c> ticker instead.</item>
/// <item><c>-protocol 2</c> is draft 8210bis-10 (old 16-byte ASPA PDU); it answers v0/v1 queries in kind.
/// Prefixes of length 0 and duplicate VRPs are dropped; entries with a past <c>expires</c> are dropped.</item>
/// </list>
/// </summary>
public sealed partial class StayRtr : IAsyncDisposable
{
    public const string Program = "/usr/bin/stayrtr";

    private StayRtr(PeerProcess process, IPAddress address, int port, ushort sessionId, uint serial)
    {
        Process = process;
        Address = address;
        Port = port;
        SessionId = sessionId;
        Serial = serial;
    }

    public PeerProcess Process { get; }

    public IPAddress Address { get; }

    public int Port { get; }

    public ushort SessionId { get; }

    /// <summary>The serial of the data currently served (last "new serial" log line seen by this object).</summary>
    public uint Serial { get; private set; }

    /// <summary>Starts StayRTR on a free port and waits until it has loaded <paramref name="jsonFile"/> and accepts TCP.</summary>
    public static async Task<StayRtr> StartAsync(string jsonFile, StayRtrOptions? options = null, TimeSpan? timeout = null)
    {
        options ??= new StayRtrOptions();
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        int port = FreePort.Tcp(options.Address);
        string[] args =
        [
            "-bind", $"{Addresses.Format(options.Address)}:{port}",
            "-cache", jsonFile,
            "-checktime=false",
            "-metrics.addr=",
            "-refresh", options.FileRefreshSeconds.ToString(CultureInfo.InvariantCulture),
            "-protocol", options.ProtocolVersion.ToString(CultureInfo.InvariantCulture),
            "-rtr.refresh", options.RtrRefresh.ToString(CultureInfo.InvariantCulture),
            "-rtr.retry", options.RtrRetry.ToString(CultureInfo.InvariantCulture),
            "-rtr.expire", options.RtrExpire.ToString(CultureInfo.InvariantCulture),
            $"-notifications={(options.Notifications ? "true" : "false")}",
            "-loglevel", options.DebugLog ? "debug" : "info",
        ];

        var process = PeerProcess.Start("stayrtr", Program, args, Path.GetDirectoryName(jsonFile));
        try
        {
            var serialLine = await process.WaitForLineAsync(l => SerialRegex().IsMatch(l), limit).ConfigureAwait(false);
            var startedLine = await process.WaitForLineAsync(l => StartedRegex().IsMatch(l), limit).ConfigureAwait(false);
            uint serial = uint.Parse(SerialRegex().Match(serialLine.Text).Groups[1].Value, CultureInfo.InvariantCulture);
            ushort session = ushort.Parse(StartedRegex().Match(startedLine.Text).Groups[1].Value, CultureInfo.InvariantCulture);
            await WaitUntilListeningAsync(options.Address, port, process, limit).ConfigureAwait(false);
            return new StayRtr(process, options.Address, port, session, serial);
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="rewriteFile"/> (which should rewrite the JSON file) and waits for StayRTR's next
    /// "new serial" log line, i.e. its next periodic re-read (<see cref="StayRtrOptions.FileRefreshSeconds"/>);
    /// returns the new serial. The file content must actually change, or this times out.
    /// </summary>
    public async Task<uint> UpdateAsync(Action rewriteFile, TimeSpan? timeout = null)
    {
        long mark = Process.LineCount;
        rewriteFile();
        var line = await Process.WaitForLineAsync(l => SerialRegex().IsMatch(l), timeout ?? TimeSpan.FromSeconds(20), mark)
            .ConfigureAwait(false);
        Serial = uint.Parse(SerialRegex().Match(line.Text).Groups[1].Value, CultureInfo.InvariantCulture);
        return Serial;
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private static async Task WaitUntilListeningAsync(IPAddress address, int port, PeerProcess process, TimeSpan timeout)
    {
        await Poll.UntilAsync(
            async () =>
            {
                using var client = new TcpClient(address.AddressFamily);
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    await client.ConnectAsync(address, port, cts.Token).ConfigureAwait(false);
                    return true;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    return false;
                }
            },
            timeout,
            () => $"stayrtr not accepting on port {port}. {process.Tail()}",
            TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
    }

    [GeneratedRegex(@"Updated added, new serial (\d+)")]
    private static partial Regex SerialRegex();

    [GeneratedRegex(@"StayRTR Server started \(sessionID:(\d+),")]
    private static partial Regex StartedRegex();
}
