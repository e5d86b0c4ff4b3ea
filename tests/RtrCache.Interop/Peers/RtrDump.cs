using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RtrCache.Interop.Peers;

/// <summary>What one <c>rtrdump</c> run received.</summary>
/// <param name="EndOfData">Version, session and serial from the End of Data PDU; null if none arrived
/// (e.g. the cache answered with Cache Reset or an Error Report).</param>
/// <param name="ReceivedPdus">rtrdump's debug descriptions of the non-data PDUs, e.g.
/// "PDU Cache Response v1 (session: 44535)", "PDU Cache Reset v1".</param>
public sealed record RtrDumpResult(
    int ExitCode,
    IReadOnlySet<PeerVrp> Vrps,
    IReadOnlySet<PeerRouterKey> RouterKeys,
    PeerSyncState? EndOfData,
    IReadOnlyList<string> ReceivedPdus,
    string Log)
{
    /// <summary>Throws unless rtrdump exited 0 after an End of Data.</summary>
    public RtrDumpResult EnsureComplete()
    {
        if (ExitCode != 0 || EndOfData is null)
        {
            throw new InvalidOperationException($"rtrdump did not complete a sync (exit {ExitCode}). Log:\n{Log}");
        }

        return this;
    }
}

/// <summary>
/// StayRTR's <c>rtrdump</c> 0.5.1 (Debian stayrtr package, <c>/usr/bin/rtrdump</c>): connects once, sends a
/// Reset Query (or a Serial Query), collects PDUs until End of Data, writes them as JSON and exits.
/// <para>Command line: <c>rtrdump -connect 127.0.0.1:PORT -rtr.version 0|1|2 -file OUT.json -loglevel debug</c>
/// (add <c>-serial -session.id S -serial.value N</c> for a Serial Query).</para>
/// Quirks found:
/// <list type="bullet">
/// <item>The version flag is <c>-rtr.version</c> (default 2 = draft 8210bis-10 with the old 16-byte ASPA PDU);
/// <c>-version</c> only prints "RTRdump  ".</item>
/// <item>Output JSON: <c>{"metadata":{"vrps":5},"roas":[{"prefix":"192.0.2.0/24","maxLength":24,"asn":64496}],
/// "bgpsec_keys":[{"asn":64496,"pubkey":"BASE64","ski":"hex"}]}</c> (keys omitted when none).</item>
/// <item>It ignores the announce/withdraw flag and appends every Prefix PDU, so the set is only meaningful for a
/// Reset Query.</item>
/// <item>It exits 0 even when the cache answers Cache Reset or an Error Report (it just disconnects and writes
/// what it has), so success is judged from the debug log: <c>msg="Received: PDU End of Data v1 (session: S):
/// serial: N, refresh: R, retry: T, expire: E"</c> (v0 shows zero timers). Connection refused exits 1
/// (<c>level=fatal</c>). Logs go to stderr.</item>
/// </list>
/// </summary>
public static partial class RtrDump
{
    public const string Program = "/usr/bin/rtrdump";

    /// <summary>Runs rtrdump once against <paramref name="address"/>:<paramref name="port"/>.</summary>
    /// <param name="outputDirectory">Where OUT.json is written (a test's temp directory).</param>
    /// <param name="serialQuery">If set, send a Serial Query with this session and serial instead of a Reset Query.</param>
    public static async Task<RtrDumpResult> RunAsync(
        IPAddress address,
        int port,
        int version,
        string outputDirectory,
        TimeSpan? timeout = null,
        (ushort SessionId, uint Serial)? serialQuery = null)
    {
        string output = Path.Combine(outputDirectory, $"rtrdump-v{version}-{Guid.NewGuid():N}.json");
        var args = new List<string>
        {
            "-connect", $"{Addresses.Format(address)}:{port}",
            "-rtr.version", version.ToString(CultureInfo.InvariantCulture),
            "-file", output,
            "-loglevel", "debug",
        };
        if (serialQuery is { } q)
        {
            args.AddRange(["-serial", "-session.id", q.SessionId.ToString(CultureInfo.InvariantCulture),
                "-serial.value", q.Serial.ToString(CultureInfo.InvariantCulture)]);
        }

        var result = await PeerProcess.RunAsync(Program, args, timeout ?? TimeSpan.FromSeconds(30), outputDirectory)
            .ConfigureAwait(false);

        var received = new List<string>();
        PeerSyncState? endOfData = null;
        foreach (string line in result.Stderr.Split('\n'))
        {
            if (ReceivedRegex().Match(line) is { Success: true } r)
            {
                received.Add(r.Groups[1].Value);
                if (EndOfDataRegex().Match(r.Groups[1].Value) is { Success: true } e)
                {
                    endOfData = new PeerSyncState(
                        int.Parse(e.Groups[1].Value, CultureInfo.InvariantCulture),
                        ushort.Parse(e.Groups[2].Value, CultureInfo.InvariantCulture),
                        uint.Parse(e.Groups[3].Value, CultureInfo.InvariantCulture));
                }
            }
        }

        HashSet<PeerVrp> vrps = [];
        HashSet<PeerRouterKey> keys = [];
        if (File.Exists(output))
        {
            (vrps, keys) = ParseOutput(await File.ReadAllTextAsync(output).ConfigureAwait(false));
        }

        return new RtrDumpResult(result.ExitCode, vrps, keys, endOfData, received, result.Stderr);
    }

    /// <summary>Parses rtrdump's JSON output.</summary>
    public static (HashSet<PeerVrp> Vrps, HashSet<PeerRouterKey> Keys) ParseOutput(string json)
    {
        var vrps = new HashSet<PeerVrp>();
        var keys = new HashSet<PeerRouterKey>();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty("roas", out var roas) && roas.ValueKind == JsonValueKind.Array)
        {
            foreach (var roa in roas.EnumerateArray())
            {
                vrps.Add(PeerVrp.Parse(
                    roa.GetProperty("prefix").GetString()!,
                    roa.GetProperty("maxLength").GetInt32(),
                    roa.GetProperty("asn").GetUInt32()));
            }
        }

        if (root.TryGetProperty("bgpsec_keys", out var brks) && brks.ValueKind == JsonValueKind.Array)
        {
            foreach (var key in brks.EnumerateArray())
            {
                keys.Add(PeerRouterKey.FromBytes(
                    key.GetProperty("asn").GetUInt32(),
                    Convert.FromHexString(key.GetProperty("ski").GetString()!),
                    key.GetProperty("pubkey").GetBytesFromBase64()));
            }
        }

        return (vrps, keys);
    }

    [GeneratedRegex("msg=\"Received: (.*)\"")]
    private static partial Regex ReceivedRegex();

    [GeneratedRegex(@"^PDU End of Data v(\d) \(session: (\d+)\): serial: (\d+)")]
    private static partial Regex EndOfDataRegex();
}
