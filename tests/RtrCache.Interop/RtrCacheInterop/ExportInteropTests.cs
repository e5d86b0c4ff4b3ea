using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RtrCache.Interop.Peers;

namespace RtrCache.Interop.RtrCacheInterop;

/// <summary>
/// Our HTTP exports read by the programs they are meant for: OpenBGPD 7.7 parses the <c>roa-set</c> export
/// (<c>bgpd -nv</c> prints back what it parsed), BIRD 2.0.12 loads the ROA-table config and shows the routes in
/// its tables, and StayRTR 0.5.1 serves our <c>/json</c> export (fetched over HTTP) to rtrdump.
/// </summary>
/// <remarks>
/// OpenBGPD 7.7 has no <c>aspa-set</c> (it came with 7.8: "syntax error" on that line), so the OpenBGPD check
/// uses <c>?aspa=false</c>; the aspa-set syntax is covered by the unit and endpoint tests against bgpd.conf(5).
/// </remarks>
public sealed partial class ExportInteropTests : RtrCacheFixture
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The VRPs every test here serves: both families, max length = and &gt; prefix length, AS0, 32-bit ASNs.</summary>
    private static readonly PeerVrp[] Vrps = InteropPayload.Initial;

    private static async Task<string> GetAsync(RtrCacheServer server, string path)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/{path}"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), $"GET {path}: {body}");
        return body;
    }

    [Test]
    public async Task OpenBgpd_parses_the_roa_set_export_to_the_served_VRPs()
    {
        var server = await StartServerAsync(Vrps, aspas: InteropPayload.InitialAspas);
        string export = await GetAsync(server, "api/v1/export/openbgpd?aspa=false");
        string config = Dir.File("bgpd.conf");
        await File.WriteAllTextAsync(config, "AS 65000\nrouter-id 192.0.2.253\n" + export);

        var result = await PeerProcess.RunAsync(OpenBgpd.Program, ["-nv", "-f", config], Timeout, Dir.Path);
        Assert.That(result.ExitCode, Is.Zero, $"bgpd -nv rejected our export: {result}");

        // bgpd -v prints the configuration it parsed; read the roa-set block back.
        var parsed = new HashSet<PeerVrp>();
        bool inRoaSet = false;
        foreach (string line in result.Stdout.Split('\n'))
        {
            if (line.StartsWith("roa-set {", StringComparison.Ordinal)) inRoaSet = true;
            else if (inRoaSet && line.StartsWith('}')) inRoaSet = false;
            else if (inRoaSet && RoaSetLine().Match(line) is { Success: true } m)
            {
                string prefix = m.Groups[1].Value;
                int length = int.Parse(prefix[(prefix.IndexOf('/') + 1)..], CultureInfo.InvariantCulture);
                int maxLength = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : length;
                parsed.Add(PeerVrp.Parse(prefix, maxLength, uint.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)));
            }
        }
        Assert.That(PeerSets.Diff(Vrps, parsed), Is.Empty, $"bgpd's view of the roa-set differs:\n{result.Stdout}");
    }

    [Test]
    public async Task Bird_loads_the_roa_table_export_and_holds_the_served_VRPs()
    {
        var server = await StartServerAsync(Vrps, aspas: InteropPayload.InitialAspas);
        string export = await GetAsync(server, "api/v1/export/bird?table=rtrcache");
        string config = Dir.File("bird.conf");
        await File.WriteAllTextAsync(config, "log stderr all;\nrouter id 192.0.2.254;\n" + export);

        var check = await PeerProcess.RunAsync(BirdRouter.Program, ["-p", "-c", config], Timeout, Dir.Path);
        Assert.That(check.ExitCode, Is.Zero, $"bird -p rejected our export: {check}");

        string socket = Dir.File("bird.ctl");
        var bird = Own(PeerProcess.Start("bird", BirdRouter.Program, ["-f", "-c", config, "-s", socket, "-P", Dir.File("bird.pid")], Dir.Path), p => p);
        await bird.WaitForLineAsync(l => l.EndsWith("<INFO> Started", StringComparison.Ordinal), Timeout);

        HashSet<PeerVrp> seen = [];
        await Poll.UntilAsync(async () =>
        {
            var v4 = await PeerProcess.RunAsync(BirdRouter.ClientProgram, ["-s", socket, "show", "route", "table", "rtrcache4"], Timeout, Dir.Path);
            var v6 = await PeerProcess.RunAsync(BirdRouter.ClientProgram, ["-s", socket, "show", "route", "table", "rtrcache6"], Timeout, Dir.Path);
            seen = BirdRouter.ParseRoutes(v4.Stdout);
            seen.UnionWith(BirdRouter.ParseRoutes(v6.Stdout));
            return seen.SetEquals(Vrps);
        }, Timeout, () => $"BIRD's ROA tables differ: {PeerSets.Diff(Vrps, seen)}\n{bird.Tail()}");
    }

    [Test]
    public async Task StayRtr_serves_our_json_export_fetched_over_http()
    {
        var server = await StartServerAsync(Vrps, [InteropPayload.RouterKey], InteropPayload.InitialAspas);
        string url = $"http://127.0.0.1:{server.HttpPort}/json";
        int port = FreePort.Tcp();
        var stayrtr = Own(PeerProcess.Start("stayrtr", StayRtr.Program,
        [
            "-bind", $"127.0.0.1:{port}", "-cache", url, "-checktime=false", "-metrics.addr=", "-refresh", "1", "-protocol", "1", "-loglevel", "info",
        ], Dir.Path), p => p);
        await stayrtr.WaitForLineAsync(l => l.Contains("new serial", StringComparison.Ordinal), Timeout);

        RtrDumpResult? dump = null;
        await Poll.UntilAsync(async () =>
        {
            dump = await RtrDump.RunAsync(System.Net.IPAddress.Loopback, port, 1, Dir.Path, Timeout);
            return dump.ExitCode == 0 && dump.EndOfData is not null;
        }, Timeout, () => $"rtrdump against stayrtr failed: {dump?.Log}\n{stayrtr.Tail()}");
        Assert.That(PeerSets.Diff(Vrps, dump!.Vrps), Is.Empty, "VRPs StayRTR serves from our export");
        Assert.That(dump.RouterKeys, Is.EquivalentTo(new[] { InteropPayload.RouterKey }), "router key StayRTR serves from our export");
    }

    [GeneratedRegex(@"^\t(\S+) (?:maxlen (\d+) )?source-as (\d+)")]
    private static partial Regex RoaSetLine();
}
