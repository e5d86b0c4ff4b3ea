using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace RtrCache.Interop.Peers;

/// <summary>
/// rtrlib 0.8.0's <c>rtrclient</c> (Debian rtr-tools 0.8.0-1, <c>/usr/bin/rtrclient</c>, librtr0 0.8.0) as an RTR
/// router: a long-running client that prints every change to its prefix and router-key tables.
/// <para>Command line: <c>stdbuf -oL rtrclient -kps tcp 127.0.0.1 PORT</c>.</para>
/// Quirks found:
/// <list type="bullet">
/// <item>Speaks RTR v0 and v1 only (starts at v1; downgrades to v0 if the first PDU it receives is v0).</item>
/// <item><c>-k</c> (router keys), <c>-p</c> (prefixes) and <c>-s</c> (status) are global options before the socket;
/// <c>tcp -s …</c> is rejected ("invalid option -- 's'"), although <c>tcp -k -p HOST PORT</c> works.</item>
/// <item>stdout is block-buffered when it is a pipe, so nothing arrives until 4 KiB accumulate; we run it
/// under <c>stdbuf -oL</c> (same PID, stdbuf execs it).</item>
/// <item>Prefix lines: <c>+ 192.0.2.0                                   24 -  24        64496</c>
/// (sign, prefix address, prefix length, max length, ASN); a header line "Prefix  Prefix Length  ASN" comes first.
/// Lines are net changes to its table and must be applied in order: after a reset it builds a shadow table,
/// swaps it in and prints only the difference.</item>
/// <item>Router keys print as four or more lines: <c>+ HOST:  127.0.0.1:PORT</c>, <c>ASN:  64496</c>,
/// <c>  SKI:  82:5c:…</c> (20 bytes), <c>  SPKI: 30:59:…</c> (exactly 91 bytes, wrapped every 40 bytes onto
/// tab-indented lines). rtrlib only accepts Router Key PDUs whose SPKI is exactly 91 bytes (a P-256 key).</item>
/// <item>Status lines: <c>RTR-Socket changed connection status to: RTR_ESTABLISHED, Mgr Status: RTR_MGR_ESTABLISHED</c>.</item>
/// <item>The Debian librtr is built with debug output on stderr: <c>RTR Socket: Sending reset query</c>,
/// <c>RTR Socket: sending serial query, SN: N</c>, <c>RTR Socket: Cache Reset PDU received</c>,
/// <c>RTR Socket: Serial Notify received (N)</c>, <c>RTR Socket: Sync successful, received P Prefix PDUs,
/// K Router Key PDUs, session_id: S, SN: N</c>, <c>RTR Socket: Downgrading from 1 to version 0</c>; we count those.</item>
/// <item>It follows the cache's refresh interval from End of Data ("waiting N sec. till next sync") and answers
/// Serial Notify at once.</item>
/// </list>
/// </summary>
public sealed partial class RtrClient : IAsyncDisposable
{
    public const string Program = "/usr/bin/rtrclient";
    public const string Stdbuf = "/usr/bin/stdbuf";

    private readonly object _gate = new();
    private readonly HashSet<PeerVrp> _vrps = [];
    private readonly HashSet<PeerRouterKey> _keys = [];
    private KeyBuilder? _pendingKey;
    private int _resetQueries;
    private int _serialQueries;
    private int _cacheResets;
    private int _syncs;
    private int _errors;
    private int _protocolVersion = 1;
    private PeerSyncState? _lastSync;

    private RtrClient()
    {
    }

    public PeerProcess Process { get; private set; } = null!;

    /// <summary>Starts rtrclient against the cache at <paramref name="address"/>:<paramref name="port"/>.</summary>
    public static RtrClient Start(IPAddress address, int port, string? workingDirectory = null)
    {
        var client = new RtrClient();
        client.Process = PeerProcess.Start(
            "rtrclient",
            Stdbuf,
            ["-oL", Program, "-kps", "tcp", address.ToString(), port.ToString(CultureInfo.InvariantCulture)],
            workingDirectory,
            client.OnLine);
        return client;
    }

    /// <summary>Copy of the prefix table as printed so far.</summary>
    public HashSet<PeerVrp> Vrps
    {
        get
        {
            lock (_gate)
            {
                return [.. _vrps];
            }
        }
    }

    /// <summary>Copy of the router-key table as printed so far.</summary>
    public HashSet<PeerRouterKey> RouterKeys
    {
        get
        {
            lock (_gate)
            {
                return [.. _keys];
            }
        }
    }

    /// <summary>Reset Queries sent (the first connect is one).</summary>
    public int ResetQueries => Read(ref _resetQueries);

    /// <summary>Serial Queries sent (incremental updates).</summary>
    public int SerialQueries => Read(ref _serialQueries);

    public int CacheResets => Read(ref _cacheResets);

    /// <summary>Completed synchronisations ("Sync successful").</summary>
    public int Syncs => Read(ref _syncs);

    /// <summary>Error PDUs received or fatal/transport error states.</summary>
    public int Errors => Read(ref _errors);

    /// <summary>True if it reset after its first sync: a Cache Reset or a second Reset Query.</summary>
    public bool SawReset => CacheResets > 0 || ResetQueries > 1;

    /// <summary>Version, session and serial of the last successful sync.</summary>
    public PeerSyncState? LastSync
    {
        get
        {
            lock (_gate)
            {
                return _lastSync;
            }
        }
    }

    /// <summary>
    /// Polls (in memory) until at least one sync completed and the tables equal the expected sets
    /// (router keys are compared only if <paramref name="expectedKeys"/> is given).
    /// </summary>
    public async Task WaitForPayloadAsync(IEnumerable<PeerVrp> expected, TimeSpan timeout, IEnumerable<PeerRouterKey>? expectedKeys = null)
    {
        var want = expected.ToHashSet();
        var wantKeys = expectedKeys?.ToHashSet();
        await Poll.UntilAsync(
            () =>
            {
                lock (_gate)
                {
                    return Task.FromResult(_syncs > 0 && _vrps.SetEquals(want) && (wantKeys is null || _keys.SetEquals(wantKeys)));
                }
            },
            timeout,
            () => $"rtrclient payload differs (syncs {Syncs}): VRPs {PeerSets.Diff(want, Vrps)}" +
                  (wantKeys is null ? "" : $"\nkeys {PeerSets.Diff(wantKeys, RouterKeys)}") + $"\n{Process.Tail()}",
            TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
    }

    /// <summary>Waits until <see cref="Syncs"/> reaches <paramref name="count"/>.</summary>
    public Task WaitForSyncsAsync(int count, TimeSpan timeout)
        => Poll.UntilAsync(() => Task.FromResult(Syncs >= count), timeout,
            () => $"rtrclient made {Syncs} syncs, expected {count}. {Process.Tail()}", TimeSpan.FromMilliseconds(50));

    public ValueTask DisposeAsync() => Process?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void OnLine(PeerLine line)
    {
        lock (_gate)
        {
            if (line.Stream == PeerStream.Stdout)
            {
                OnStdout(line.Text);
            }
            else
            {
                OnStderr(line.Text);
            }
        }
    }

    private void OnStdout(string text)
    {
        if (_pendingKey is { } key)
        {
            if (key.Accept(text))
            {
                if (key.IsComplete)
                {
                    key.Apply(_keys);
                    _pendingKey = null;
                }

                return;
            }

            // A record cut short by an unexpected line: drop it rather than guess.
            _pendingKey = null;
        }

        if (PrefixRegex().Match(text) is { Success: true } p)
        {
            var vrp = PeerVrp.Parse(
                $"{p.Groups[2].Value}/{p.Groups[3].Value}",
                int.Parse(p.Groups[4].Value, CultureInfo.InvariantCulture),
                uint.Parse(p.Groups[5].Value, CultureInfo.InvariantCulture));
            if (p.Groups[1].Value == "+")
            {
                _vrps.Add(vrp);
            }
            else
            {
                _vrps.Remove(vrp);
            }
        }
        else if (text.StartsWith("+ HOST:", StringComparison.Ordinal) || text.StartsWith("- HOST:", StringComparison.Ordinal))
        {
            _pendingKey = new KeyBuilder(text[0] == '+');
        }
        else if (text.Contains("RTR_ERROR", StringComparison.Ordinal))
        {
            _errors++;
        }
    }

    private void OnStderr(string text)
    {
        if (text.Contains("RTR Socket: Sending reset query", StringComparison.Ordinal))
        {
            _resetQueries++;
        }
        else if (text.Contains("RTR Socket: sending serial query", StringComparison.Ordinal))
        {
            _serialQueries++;
        }
        else if (text.Contains("RTR Socket: Cache Reset PDU received", StringComparison.Ordinal))
        {
            _cacheResets++;
        }
        else if (text.Contains("RTR Socket: Error PDU received", StringComparison.Ordinal))
        {
            _errors++;
        }
        else if (DowngradeRegex().Match(text) is { Success: true } d)
        {
            _protocolVersion = int.Parse(d.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        else if (SyncRegex().Match(text) is { Success: true } s)
        {
            _syncs++;
            _lastSync = new PeerSyncState(
                _protocolVersion,
                ushort.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture),
                uint.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture));
        }
    }

    private int Read(ref int field)
    {
        lock (_gate)
        {
            return field;
        }
    }

    [GeneratedRegex(@"^([+-]) (\S+)\s+(\d+) -\s*(\d+)\s+(\d+)$")]
    private static partial Regex PrefixRegex();

    [GeneratedRegex(@"Sync successful, received \d+ Prefix PDUs, \d+ Router Key PDUs, session_id: (\d+), SN: (\d+)")]
    private static partial Regex SyncRegex();

    [GeneratedRegex(@"(?:Downgrading from \d+ to version|downgrading to) (\d+)")]
    private static partial Regex DowngradeRegex();

    /// <summary>Collects the lines of one printed router key.</summary>
    private sealed class KeyBuilder(bool added)
    {
        private const int SpkiSize = 91;
        private uint? _asn;
        private string? _ski;
        private string _spki = "";
        private bool _inSpki;

        public bool IsComplete => _asn is not null && _ski is not null && _spki.Length == SpkiSize * 2;

        public bool Accept(string line)
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith("ASN:", StringComparison.Ordinal) && _asn is null)
            {
                _asn = uint.Parse(trimmed[4..].Trim(), CultureInfo.InvariantCulture);
                return true;
            }

            if (trimmed.StartsWith("SKI:", StringComparison.Ordinal) && _ski is null)
            {
                _ski = trimmed[4..].Trim().Replace(":", "", StringComparison.Ordinal);
                return true;
            }

            if (trimmed.StartsWith("SPKI:", StringComparison.Ordinal) && !_inSpki)
            {
                _inSpki = true;
                _spki += trimmed[5..].Trim().Replace(":", "", StringComparison.Ordinal);
                return true;
            }

            if (_inSpki && line.StartsWith('\t'))
            {
                _spki += trimmed.Replace(":", "", StringComparison.Ordinal);
                return true;
            }

            return false;
        }

        public void Apply(HashSet<PeerRouterKey> keys)
        {
            var key = PeerRouterKey.FromHex(_asn!.Value, _ski!, _spki);
            if (added)
            {
                keys.Add(key);
            }
            else
            {
                keys.Remove(key);
            }
        }
    }
}
