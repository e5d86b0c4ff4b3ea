using System.CommandLine;
using System.Globalization;
using System.Net;
using RtrCache.Host.Serving;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Host.Cli;

/// <summary><c>rtrcache serve</c>: serve an rpki-client JSON file (plus SLURM) to routers over RTR.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var json = new Option<string>("--json") { Description = "rpki-client JSON file or http(s) URL to serve" };
        var talDir = new Option<string>("--tal-dir") { Description = "Validate a local repository ourselves: directory of TALs (with --repo)" };
        var repo = new Option<string>("--repo") { Description = "Local rsync-style repository tree HOST/MODULE/... to validate (with --tal-dir)" };
        var refreshInterval = new Option<double>("--refresh-interval") { Description = "Seconds between validation runs (with --tal-dir)", DefaultValueFactory = _ => 600 };
        var slurm = new Option<string[]>("--slurm") { Description = "SLURM file (RFC 8416, ASPA extension); may be repeated", AllowMultipleArgumentsPerToken = false };
        var rtrListen = new Option<string[]>("--rtr-listen") { Description = "RTR listen address, e.g. 127.0.0.1:3323 or [::1]:3323; may be repeated" };
        var httpListen = new Option<string[]>("--http-listen") { Description = "HTTP listen address for health, readiness and metrics; may be repeated" };
        var refresh = new Option<uint>("--refresh") { Description = "End of Data refresh interval, seconds (1-86400)", DefaultValueFactory = _ => RtrTimers.Default.Refresh };
        var retry = new Option<uint>("--retry") { Description = "End of Data retry interval, seconds (1-7200)", DefaultValueFactory = _ => RtrTimers.Default.Retry };
        var expire = new Option<uint>("--expire") { Description = "End of Data expire interval, seconds (600-172800, above refresh and retry)", DefaultValueFactory = _ => RtrTimers.Default.Expire };
        var history = new Option<int>("--history") { Description = "Serials kept for incremental updates", DefaultValueFactory = _ => DiffEngine.DefaultHistorySize };
        var maxVersion = new Option<byte>("--max-version") { Description = "Highest RTR version offered (0, 1 or 2)", DefaultValueFactory = _ => RtrVersion.Max };
        var maxConnections = new Option<int>("--max-connections") { Description = "Most concurrent RTR sessions (0 = no limit)" };
        var maxPerAddress = new Option<int>("--max-connections-per-address") { Description = "Most concurrent RTR sessions from one address (0 = no limit)" };
        var allow = new Option<string[]>("--allow") { Description = "Client prefix allowed to connect (CIDR); may be repeated; default all" };
        var reload = new Option<double>("--reload-interval") { Description = "Seconds between checks of the input for changes", DefaultValueFactory = _ => 60 };
        var notify = new Option<double>("--notify-interval") { Description = "Least seconds between Serial Notify PDUs per session (spec: 60)", DefaultValueFactory = _ => 60 };
        var pduTimeout = new Option<double>("--pdu-timeout") { Description = "Seconds a router may leave a started PDU unfinished before it is dropped", DefaultValueFactory = _ => 30 };
        var stallTimeout = new Option<double>("--stall-timeout") { Description = "Seconds a router may leave our data unread before it is dropped", DefaultValueFactory = _ => 120 };

        var command = new Command("serve", "Serve validated payload to routers over RTR (v0, v1, v2)")
        {
            json, talDir, repo, refreshInterval, slurm, rtrListen, httpListen, refresh, retry, expire, history, maxVersion, maxConnections, maxPerAddress, allow, reload, notify, pduTimeout, stallTimeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            var errors = new List<string>();
            var timers = new RtrTimers(parse.GetValue(refresh), parse.GetValue(retry), parse.GetValue(expire));
            if (!timers.IsValid(out var timerError)) errors.Add(timerError!);
            byte mv = parse.GetValue(maxVersion);
            if (mv > RtrVersion.Max) errors.Add($"--max-version {mv}: must be 0, 1 or 2");
            int hist = parse.GetValue(history);
            if (hist is < 0 or > 10000) errors.Add($"--history {hist}: must be 0..10000");
            double reloadSeconds = parse.GetValue(reload), notifySeconds = parse.GetValue(notify);
            if (reloadSeconds is < 0.1 or > 86400) errors.Add($"--reload-interval {reloadSeconds}: must be 0.1..86400 seconds");
            if (notifySeconds is < 0 or > 3600) errors.Add($"--notify-interval {notifySeconds}: must be 0..3600 seconds");
            double pduSeconds = parse.GetValue(pduTimeout), stallSeconds = parse.GetValue(stallTimeout);
            if (pduSeconds is < 0.1 or > 3600) errors.Add($"--pdu-timeout {pduSeconds}: must be 0.1..3600 seconds");
            if (stallSeconds is < 0.1 or > 86400) errors.Add($"--stall-timeout {stallSeconds}: must be 0.1..86400 seconds");
            var rtrEndpoints = ParseEndpoints(parse.GetValue(rtrListen), "--rtr-listen", 3323, errors);
            var httpEndpoints = ParseEndpoints(parse.GetValue(httpListen), "--http-listen", 8323, errors);
            var allowList = new List<IpPrefix>();
            foreach (var a in parse.GetValue(allow) ?? [])
            {
                if (IpPrefix.TryParse(a, out var p, out var e)) allowList.Add(p);
                else errors.Add($"--allow {a}: {e}");
            }
            int maxConn = parse.GetValue(maxConnections), maxPer = parse.GetValue(maxPerAddress);
            if (maxConn < 0) errors.Add($"--max-connections {maxConn}: must be 0 or more");
            if (maxPer < 0) errors.Add($"--max-connections-per-address {maxPer}: must be 0 or more");
            string? source = parse.GetValue(json);
            string? tals = parse.GetValue(talDir), repository = parse.GetValue(repo);
            double refreshSeconds = parse.GetValue(refreshInterval);
            if (source is null && tals is null && repository is null)
                errors.Add("--json PATH_OR_URL or --tal-dir DIR --repo DIR is required");
            else if (source is not null && (tals is not null || repository is not null))
                errors.Add("--json cannot be combined with --tal-dir/--repo: choose one source");
            else if (source is null && (tals is null || repository is null))
                errors.Add(tals is null ? "--repo needs --tal-dir" : "--tal-dir needs --repo");
            else if (source is null)
            {
                if (!Directory.Exists(tals)) errors.Add($"--tal-dir {tals}: no such directory");
                if (!Directory.Exists(repository)) errors.Add($"--repo {repository}: no such directory");
                if (refreshSeconds is < 1 or > 86400) errors.Add($"--refresh-interval {refreshSeconds}: must be 1..86400 seconds");
            }
            var slurmFiles = parse.GetValue(slurm) ?? [];
            foreach (var f in slurmFiles)
                if (!File.Exists(f)) errors.Add($"--slurm {f}: file not found");
            if (errors.Count == 0 && slurmFiles.Length > 0 && Input.SlurmSource.Check(slurmFiles) is { } slurmError)
                errors.Add($"--slurm: {slurmError}");
            if (errors.Count > 0)
            {
                foreach (var e in errors) Console.Error.WriteLine($"rtrcache serve: {e}");
                return 2;
            }

            var settings = new ServeSettings
            {
                JsonSource = source,
                TalDirectory = tals,
                RepositoryDirectory = repository,
                SlurmFiles = slurmFiles,
                RtrListen = rtrEndpoints,
                HttpListen = httpEndpoints,
                Timers = timers,
                History = hist,
                MaxVersion = mv,
                MaxConnections = maxConn,
                MaxConnectionsPerAddress = maxPer,
                Allow = allowList,
                ReloadInterval = TimeSpan.FromSeconds(source is null ? refreshSeconds : reloadSeconds),
                NotifyInterval = TimeSpan.FromSeconds(notifySeconds),
                PduTimeout = TimeSpan.FromSeconds(pduSeconds),
                WriteStallTimeout = TimeSpan.FromSeconds(stallSeconds),
            };
            await using var app = ServeHost.Build(settings);
            try
            {
                await app.RunAsync(ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"rtrcache serve: cannot listen: {ex.Message}");
                return 1;
            }
            return 0;
        });
        return command;
    }

    private static List<IPEndPoint> ParseEndpoints(string[]? values, string option, int defaultPort, List<string> errors)
    {
        if (values is null || values.Length == 0) return [new IPEndPoint(IPAddress.Loopback, defaultPort)];
        var list = new List<IPEndPoint>();
        foreach (var v in values)
        {
            if (IPEndPoint.TryParse(v, out var ep) && (ep.Port != 0 || v.EndsWith(":0", StringComparison.Ordinal)) && (v.Contains(':', StringComparison.Ordinal)))
                list.Add(ep);
            else
                errors.Add($"{option} {v}: expected ADDRESS:PORT, e.g. 127.0.0.1:{defaultPort.ToString(CultureInfo.InvariantCulture)} or [::1]:{defaultPort.ToString(CultureInfo.InvariantCulture)}");
        }
        return list;
    }
}
