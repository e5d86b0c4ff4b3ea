using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RtrCache.Interop.Peers;

/// <summary>Options for <see cref="OpenBgpd"/>.</summary>
public sealed record OpenBgpdOptions
{
    public uint LocalAs { get; init; } = 65000;

    public string RouterId { get; init; } = "192.0.2.253";

    /// <summary>The rtr block's <c>descr</c>; bgpd names the session by it in logs ("rtr cache: …").</summary>
    public string Description { get; init; } = "cache";
}

/// <summary>One RTR session as <c>bgpctl -j show rtr</c> reports it.</summary>
/// <param name="SessionId">Set once a Cache Response arrived (null before).</param>
/// <param name="Serial">The serial of the last End of Data (only meaningful with a session).</param>
/// <param name="Refresh">Timers adopted from End of Data (bgpd has no local timer settings in 7.7).</param>
public sealed record OpenBgpdRtrStatus(
    string? Description,
    ushort? SessionId,
    uint? Serial,
    int Refresh,
    int Retry,
    int Expire,
    string? LastSentError,
    string? LastReceivedError);

/// <summary>
/// OpenBGPD 7.7 (Debian openbgpd 7.7-2, <c>/usr/sbin/bgpd</c>, <c>/usr/sbin/bgpctl</c>) as an RTR router.
/// <para>Started as <c>bgpd -d -v -f DIR/bgpd.conf</c> with</para>
/// <code>
/// AS 65000
/// router-id 192.0.2.253
/// fib-update no
/// listen on 127.0.0.1 port FREEPORT
/// socket "DIR/bgpd.sock"
/// rtr 127.0.0.1 {
///   descr "cache"
///   port PORT
/// }
/// </code>
/// <para>and queried with <c>bgpctl -j -s DIR/bgpd.sock show rtr</c> and <c>bgpctl -j -s DIR/bgpd.sock show sets</c>.</para>
/// Quirks found (running it, and its 7.7 source, rtr_proto.c):
/// <list type="bullet">
/// <item>Must run as root; it forks three engines (<c>bgpd -R</c>, <c>-S</c>, <c>-T</c>) which drop privileges to
/// user <c>_openbgpd</c> and chroot into that user's home, <c>/run/openbgpd</c>. The package creates the user (via
/// systemd-sysusers) but not the directory (systemd's RuntimeDirectory does, outside systemd nobody does); without
/// it every engine dies with "fatal in RDE: chroot: No such file or directory". <see cref="EnsurePrerequisites"/>
/// creates it.</item>
/// <item>Without a <c>listen on</c> line it listens on *:179, so we always give a free loopback port.
/// It logs "listening on (unknown)" for that; harmless. "PF_KEY not available, disabling ipsec" is normal on Linux.</item>
/// <item>RTR version 1 only: every PDU it sends is v1, any PDU with another version is answered with Error
/// "Unexpected Protocol Version" — no downgrade to v0, no v2.</item>
/// <item>Router Key PDUs are ignored; VRPs only.</item>
/// <item>Serial Notify only schedules the refresh timer at a random 0–9 s; Cache Reset, connection loss and errors
/// also retry after a random 0–9 s. So updates reach it up to ~10 s late; allow for that in timeouts.</item>
/// <item>Timers come only from End of Data: refresh 1–86400, retry 1–7200, expire 600–172800 and expire must exceed
/// refresh and retry, otherwise "bad timeout values" and the session errors.</item>
/// <item>It cannot list the VRPs it holds. <c>show sets</c> gives, for "RPKI ROA", the number of distinct
/// IPv4/IPv6 <em>prefixes</em> (trie nodes) — VRPs that differ only in ASN or max length count once. <c>show rtr</c>
/// gives session ID (once a Cache Response arrived), serial (of the last End of Data) and timers, plus
/// last_sent_error / last_recv_error. Use <see cref="ExpectedRoaCounts"/> to compare.</item>
/// <item>Log lines (<c>-v</c>, stderr): <c>rtr cache: state change idle -> active, reason: cache response received</c>,
/// <c>… active -> idle, reason: end of data received</c>, <c>reason: serial notify received</c>,
/// <c>reason: cache reset received</c>, <c>reason: connection open</c>, <c>rtr cache: received error: …</c>;
/// which query it sent is not logged.</item>
/// </list>
/// </summary>
public sealed partial class OpenBgpd : IAsyncDisposable
{
    public const string Program = "/usr/sbin/bgpd";
    public const string ControlProgram = "/usr/sbin/bgpctl";
    public const string PrivilegeUser = "_openbgpd";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private int _endOfData;
    private int _cacheResets;
    private int _serialNotifies;
    private int _connectionsOpened;
    private int _errors;

    private OpenBgpd(string directory, OpenBgpdOptions options)
    {
        Options = options;
        ConfigPath = Path.Combine(directory, "bgpd.conf");
        SocketPath = Path.Combine(directory, "bgpd.sock");
    }

    public OpenBgpdOptions Options { get; }

    public string ConfigPath { get; }

    public string SocketPath { get; }

    public PeerProcess Process { get; private set; } = null!;

    public int EndOfDataCount => Read(ref _endOfData);

    public int CacheResets => Read(ref _cacheResets);

    public int SerialNotifies => Read(ref _serialNotifies);

    public int ConnectionsOpened => Read(ref _connectionsOpened);

    /// <summary>Error Reports sent or received.</summary>
    public int Errors => Read(ref _errors);

    /// <summary>
    /// Checks that bgpd can start here: running as root, user <c>_openbgpd</c> exists; creates its chroot
    /// directory (its home, normally /run/openbgpd) if missing. Throws with the fix in the message otherwise.
    /// </summary>
    public static void EnsurePrerequisites()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("OpenBGPD must be started as root (it chroots and drops privileges).");
        }

        string? home = File.ReadLines("/etc/passwd")
            .Select(l => l.Split(':'))
            .Where(f => f.Length >= 6 && f[0] == PrivilegeUser)
            .Select(f => f[5])
            .FirstOrDefault();
        if (home is null)
        {
            throw new InvalidOperationException(
                $"User {PrivilegeUser} is missing; run 'systemd-sysusers /usr/lib/sysusers.d/openbgpd.conf' (package openbgpd).");
        }

        Directory.CreateDirectory(home);
    }

    /// <summary>The bgpd.conf this class writes.</summary>
    public static string BuildConfig(IPAddress cacheAddress, int cachePort, int listenPort, string socketPath, OpenBgpdOptions options)
    {
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"AS {options.LocalAs}");
        config.AppendLine(CultureInfo.InvariantCulture, $"router-id {options.RouterId}");
        config.AppendLine("fib-update no");
        config.AppendLine(CultureInfo.InvariantCulture, $"listen on 127.0.0.1 port {listenPort}");
        config.AppendLine(CultureInfo.InvariantCulture, $"socket \"{socketPath}\"");
        config.AppendLine(CultureInfo.InvariantCulture, $"rtr {cacheAddress} {{");
        config.AppendLine(CultureInfo.InvariantCulture, $"  descr \"{options.Description}\"");
        config.AppendLine(CultureInfo.InvariantCulture, $"  port {cachePort}");
        config.AppendLine("}");
        return config.ToString();
    }

    /// <summary>Writes bgpd.conf into <paramref name="directory"/>, starts bgpd and waits until bgpctl answers.</summary>
    public static async Task<OpenBgpd> StartAsync(
        string directory,
        IPAddress cacheAddress,
        int cachePort,
        OpenBgpdOptions? options = null,
        TimeSpan? timeout = null)
    {
        EnsurePrerequisites();
        var bgpd = new OpenBgpd(directory, options ?? new OpenBgpdOptions());
        string config = BuildConfig(cacheAddress, cachePort, FreePort.Tcp(), bgpd.SocketPath, bgpd.Options);
        await File.WriteAllTextAsync(bgpd.ConfigPath, config).ConfigureAwait(false);
        bgpd.Process = PeerProcess.Start("bgpd", Program, ["-d", "-v", "-f", bgpd.ConfigPath], directory, bgpd.OnLine);
        try
        {
            PeerCommandResult? last = null;
            await Poll.UntilAsync(
                async () =>
                {
                    if (bgpd.Process.HasExited)
                    {
                        throw new InvalidOperationException($"bgpd exited during start-up. {bgpd.Process.Tail()}");
                    }

                    if (!File.Exists(bgpd.SocketPath))
                    {
                        return false;
                    }

                    last = await PeerProcess.RunAsync(ControlProgram, ["-j", "-s", bgpd.SocketPath, "show", "rtr"], CommandTimeout)
                        .ConfigureAwait(false);
                    return last.ExitCode == 0;
                },
                timeout ?? TimeSpan.FromSeconds(20),
                () => $"bgpctl not answering; last: {last}\n{bgpd.Process.Tail()}",
                TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
            return bgpd;
        }
        catch
        {
            await bgpd.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <c>bgpctl -j -s SOCKET WORDS…</c> and returns the parsed JSON.</summary>
    public async Task<JsonDocument> BgpctlJsonAsync(params string[] words)
    {
        var result = await PeerProcess.RunAsync(ControlProgram, ["-j", "-s", SocketPath, .. words], CommandTimeout).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"bgpctl {string.Join(' ', words)} failed: {result}");
        }

        return JsonDocument.Parse(result.Stdout.Length == 0 ? "{}" : result.Stdout);
    }

    /// <summary>The configured RTR session (the first one in <c>show rtr</c>).</summary>
    public async Task<OpenBgpdRtrStatus?> GetRtrStatusAsync()
    {
        using var json = await BgpctlJsonAsync("show", "rtr").ConfigureAwait(false);
        if (!json.RootElement.TryGetProperty("rtrs", out var rtrs) || rtrs.GetArrayLength() == 0)
        {
            return null;
        }

        var rtr = rtrs[0];
        return new OpenBgpdRtrStatus(
            OptionalString(rtr, "descr"),
            rtr.TryGetProperty("session_id", out var session) ? session.GetUInt16() : null,
            rtr.TryGetProperty("serial", out var serial) ? serial.GetUInt32() : null,
            rtr.GetProperty("refresh").GetInt32(),
            rtr.GetProperty("retry").GetInt32(),
            rtr.GetProperty("expire").GetInt32(),
            OptionalString(rtr, "last_sent_error"),
            OptionalString(rtr, "last_recv_error"));

        static string? OptionalString(JsonElement e, string name)
            => e.TryGetProperty(name, out var v) ? v.GetString() : null;
    }

    /// <summary>Distinct IPv4 and IPv6 prefixes in the "RPKI ROA" set (<c>show sets</c>).</summary>
    public async Task<(int IPv4, int IPv6)> GetRoaCountsAsync()
    {
        using var json = await BgpctlJsonAsync("show", "sets").ConfigureAwait(false);
        if (json.RootElement.TryGetProperty("sets", out var sets))
        {
            foreach (var set in sets.EnumerateArray())
            {
                if (set.GetProperty("type").GetString() == "ROA" && set.GetProperty("name").GetString() == "RPKI ROA")
                {
                    return (set.GetProperty("num_IPv4").GetInt32(), set.GetProperty("num_IPv6").GetInt32());
                }
            }
        }

        return (0, 0);
    }

    /// <summary>What <see cref="GetRoaCountsAsync"/> should report for a VRP set: distinct prefixes per family.</summary>
    public static (int IPv4, int IPv6) ExpectedRoaCounts(IEnumerable<PeerVrp> vrps)
    {
        var prefixes = vrps.Select(v => v.Prefix).Distinct().ToList();
        int v4 = prefixes.Count(p => p.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return (v4, prefixes.Count - v4);
    }

    /// <summary>
    /// Polls until the session has <paramref name="sessionId"/> and <paramref name="serial"/> and the ROA counts
    /// match <paramref name="expected"/> (see <see cref="ExpectedRoaCounts"/>).
    /// </summary>
    public async Task WaitForPayloadAsync(IEnumerable<PeerVrp> expected, ushort sessionId, uint serial, TimeSpan timeout)
    {
        var want = ExpectedRoaCounts(expected);
        OpenBgpdRtrStatus? status = null;
        (int, int) counts = (-1, -1);
        await Poll.UntilAsync(
            async () =>
            {
                status = await GetRtrStatusAsync().ConfigureAwait(false);
                counts = await GetRoaCountsAsync().ConfigureAwait(false);
                return status?.SessionId == sessionId && status.Serial == serial && counts == want;
            },
            timeout,
            () => $"OpenBGPD not synced: want session {sessionId} serial {serial} counts {want}, have {status} counts {counts}.\n{Process.Tail()}",
            TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
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
        var match = StateChangeRegex().Match(line.Text);
        lock (_gate)
        {
            if (match.Success)
            {
                switch (match.Groups[1].Value)
                {
                    case "end of data received":
                        _endOfData++;
                        break;
                    case "cache reset received":
                        _cacheResets++;
                        break;
                    case "serial notify received":
                        _serialNotifies++;
                        break;
                    case "connection open":
                        _connectionsOpened++;
                        break;
                }
            }
            else if (line.Text.Contains(": received error:", StringComparison.Ordinal) ||
                     line.Text.Contains("sending error report", StringComparison.Ordinal))
            {
                _errors++;
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

    [GeneratedRegex(@"^rtr .*: state change \S+ -> \S+, reason: (.+)$")]
    private static partial Regex StateChangeRegex();
}
