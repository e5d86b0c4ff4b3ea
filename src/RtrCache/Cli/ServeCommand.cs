using System.CommandLine;
using System.Globalization;
using System.Net;
using RtrCache.Host.Cli.Configuration;
using RtrCache.Host.Input;
using RtrCache.Host.Serving;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Host.Cli;

/// <summary><c>rtrcache serve</c>: serve an rpki-client JSON file (plus SLURM) to routers over RTR.</summary>
public static class ServeCommand
{
    /// <param name="provenance">Filled by <see cref="ServeConfiguration.Parse"/> with the values that came from the
    /// configuration file or the environment, so start-up errors name that file line or variable instead of a flag
    /// the operator never typed; null when only the command line is used (in-process tests).</param>
    public static Command Create(ConfigurationProvenance? provenance = null)
    {
        var json = new Option<string>("--json") { Description = "rpki-client JSON file or http(s) URL to serve" };
        var talDir = new Option<string>("--tal-dir") { Description = "Validate ourselves from the TALs in this directory: fetched over RRDP/rsync into --cache-dir, or read from --repo (default with no source option: the RIR TALs shipped with rtrcache)" };
        var repo = new Option<string>("--repo") { Description = "Local rsync-style repository tree HOST/MODULE/... to validate as it is, without fetching (with --tal-dir)" };
        var refreshInterval = new Option<double>("--refresh-interval") { Description = "Seconds between validation runs (with --tal-dir)", DefaultValueFactory = _ => 600 };
        var cacheDir = new Option<string>("--cache-dir") { Description = "Directory for fetched repositories and persisted state", DefaultValueFactory = _ => "/var/lib/rtrcache" };
        var extraCa = new Option<string[]>("--extra-ca") { Description = "PEM file of an extra trusted root CA for RRDP over HTTPS (private or test repositories); may be repeated" };
        var rsyncPath = new Option<string>("--rsync-path") { Description = "rsync program used for rsync:// repositories and as RRDP fallback", DefaultValueFactory = _ => "rsync" };
        var disableRsync = new Option<bool>("--disable-rsync") { Description = "Never fetch over rsync (RRDP only)" };
        var rrdpFallbackTime = new Option<double>("--rrdp-fallback-time") { Description = "After an RRDP failure, fall back to rsync only when the last RRDP success is older than this many seconds (0 = at once)", DefaultValueFactory = _ => 3600 };
        var fetchTimeout = new Option<double>("--fetch-timeout") { Description = "Most seconds one repository fetch may take", DefaultValueFactory = _ => 300 };
        var runTimeout = new Option<double>("--run-timeout") { Description = "Most seconds a whole fetch-and-validate run may take before it is abandoned (the previous serial stays)", DefaultValueFactory = _ => 1800 };
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
        var shrinkLimit = new Option<double>("--shrink-limit") { Description = "Hold back (keep serving the previous serial) a new payload that withdraws more than this percentage of the served VRPs or ASPAs; 100 = never", DefaultValueFactory = _ => 10 };
        var acceptShrink = new Option<bool>("--accept-shrink") { Description = "Publish every new payload however much it shrinks (the shrink guard only logs)" };
        var enableAdminApi = new Option<bool>("--enable-admin-api") { Description = "Enable HTTP endpoints that change state: POST /api/v1/accept-shrink" };
        var maxStaleness = new Option<double>("--max-staleness") { Description = "/readyz fails when the last successful update round is older than this many seconds (default: twice --reload-interval, or --refresh-interval when validating)" };
        var rtrTlsListen = new Option<string[]>("--rtr-tls-listen") { Description = "RTR over TLS listen address (RFC 8210 §9; port 324 by convention), e.g. 0.0.0.0:324; may be repeated; needs --tls-cert and --tls-key" };
        var tlsCert = new Option<string>("--tls-cert") { Description = "PEM certificate for --rtr-tls-listen (intermediate certificates may follow it)" };
        var tlsKey = new Option<string>("--tls-key") { Description = "PEM private key of --tls-cert (default: read from the --tls-cert file)" };
        var tlsClientCa = new Option<string>("--tls-client-ca") { Description = "PEM CA certificate(s): RTR-over-TLS routers must present a client certificate issued under one of them" };
        var logFormat = new Option<string>("--log-format") { Description = "Console log format: text (one line per entry) or json (one JSON object per line)", DefaultValueFactory = _ => "text" };

        var command = new Command("serve", "Serve validated payload to routers over RTR (v0, v1, v2)")
        {
            json, talDir, repo, refreshInterval, cacheDir, extraCa, rsyncPath, disableRsync, rrdpFallbackTime, fetchTimeout, runTimeout, slurm, rtrListen, httpListen, refresh, retry, expire, history, maxVersion, maxConnections, maxPerAddress, allow, reload, notify, pduTimeout, stallTimeout,
            shrinkLimit, acceptShrink, enableAdminApi, maxStaleness, rtrTlsListen, tlsCert, tlsKey, tlsClientCa, logFormat,
        };
        command.Options.Add(ServeConfiguration.CreateConfigOption());
        command.SetAction(async (parse, ct) =>
        {
            var errors = new List<string>();
            var timers = new RtrTimers(parse.GetValue(refresh), parse.GetValue(retry), parse.GetValue(expire));
            if (!timers.IsValid(out var timerError)) errors.Add($"--refresh/--retry/--expire: {timerError}");
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
            string cache = parse.GetValue(cacheDir)!;
            bool fetching = false;
            if (source is not null && (tals is not null || repository is not null))
                errors.Add("--json cannot be combined with --tal-dir/--repo: choose one source");
            else if (source is null && tals is null && repository is not null)
                errors.Add("--repo needs --tal-dir");
            else if (source is null)
            {
                // No source option: validate the real RPKI from the TALs shipped next to the program.
                tals ??= Path.Combine(AppContext.BaseDirectory, "tals");
                fetching = repository is null;
                if (!Directory.Exists(tals)) errors.Add($"--tal-dir {tals}: no such directory");
                if (repository is not null && !Directory.Exists(repository)) errors.Add($"--repo {repository}: no such directory");
                if (refreshSeconds is < 1 or > 86400) errors.Add($"--refresh-interval {refreshSeconds}: must be 1..86400 seconds");
            }
            var extraCas = parse.GetValue(extraCa) ?? [];
            foreach (var f in extraCas)
                if (!File.Exists(f)) errors.Add($"--extra-ca {f}: file not found");
            double fallbackSeconds = parse.GetValue(rrdpFallbackTime), fetchSeconds = parse.GetValue(fetchTimeout), runSeconds = parse.GetValue(runTimeout);
            if (fallbackSeconds is < 0 or > 7 * 86400) errors.Add($"--rrdp-fallback-time {fallbackSeconds}: must be 0..604800 seconds");
            if (fetchSeconds is < 1 or > 86400) errors.Add($"--fetch-timeout {fetchSeconds}: must be 1..86400 seconds");
            if (runSeconds is < 1 or > 86400) errors.Add($"--run-timeout {runSeconds}: must be 1..86400 seconds");
            var slurmFiles = parse.GetValue(slurm) ?? [];
            foreach (var f in slurmFiles)
                if (!File.Exists(f)) errors.Add($"--slurm {f}: file not found");
            if (errors.Count == 0 && slurmFiles.Length > 0 && Input.SlurmSource.Check(slurmFiles) is { } slurmError)
                errors.Add($"--slurm: {slurmError}");
            double shrink = parse.GetValue(shrinkLimit);
            if (shrink is < 0 or > 100 || double.IsNaN(shrink)) errors.Add($"--shrink-limit {shrink}: must be a percentage, 0..100");
            double updateSeconds = source is null ? refreshSeconds : reloadSeconds;
            double? stalenessSeconds = parse.GetResult(maxStaleness) is null ? null : parse.GetValue(maxStaleness);
            if (stalenessSeconds is { } stale && (stale < updateSeconds || stale > 7 * 86400))
                errors.Add($"--max-staleness {stale}: must be {updateSeconds}..604800 seconds (not below the update interval, or /readyz would fail between rounds)");
            string logFormatText = parse.GetValue(logFormat)!;
            if (!Enum.TryParse<LogFormat>(logFormatText, ignoreCase: true, out var logFormatValue) || !Enum.IsDefined(logFormatValue) || char.IsAsciiDigit(logFormatText[0]))
                errors.Add($"--log-format {logFormatText}: must be text or json");
            var tlsValues = parse.GetValue(rtrTlsListen) ?? [];
            var tlsEndpoints = tlsValues.Length == 0 ? [] : ParseEndpoints(tlsValues, "--rtr-tls-listen", 324, errors);
            var tlsSettings = new ServeSettings
            {
                RtrTlsListen = tlsEndpoints,
                TlsCertificateFile = parse.GetValue(tlsCert),
                TlsKeyFile = parse.GetValue(tlsKey),
                TlsClientCaFile = parse.GetValue(tlsClientCa),
            };
            RtrTls.Load(tlsSettings, DateTimeOffset.UtcNow, errors)?.Dispose();
            // The serving state is persisted in every mode, so the cache directory must be writable in every mode.
            if (errors.Count == 0 && CacheDirectoryProblem(cache) is { } cacheProblem)
                errors.Add($"--cache-dir {cache}{(parse.GetResult(cacheDir) is { Implicit: true } ? " (the default)" : "")}: {cacheProblem}");
            var fetchSettings = fetching ? new FetchSettings
            {
                ExtraCaFiles = extraCas,
                RsyncPath = parse.GetValue(rsyncPath)!,
                RsyncEnabled = !parse.GetValue(disableRsync),
                RrdpFallbackTime = TimeSpan.FromSeconds(fallbackSeconds),
                FetchTimeout = TimeSpan.FromSeconds(fetchSeconds),
                RunTimeout = TimeSpan.FromSeconds(runSeconds),
            } : null;
            if (fetchSettings is not null && errors.Count == 0)
            {
                // Opened once now (and closed again for the host to open), so an unusable --extra-ca or a cache held
                // by another rtrcache stops start-up with a message instead of failing when the host starts.
                using var fetcher = FetchOptionsFactory.TryOpen(cache, fetchSettings, null, out var fetchError);
                if (fetchError is not null) errors.Add(fetchError);
            }
            if (errors.Count > 0)
            {
                foreach (var e in errors) Console.Error.WriteLine($"rtrcache serve: {provenance?.Annotate(e) ?? e}");
                return 2;
            }

            var settings = new ServeSettings
            {
                JsonSource = source,
                TalDirectory = tals,
                RepositoryDirectory = repository,
                CacheDirectory = cache,
                Fetch = fetchSettings,
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
                ShrinkLimit = shrink,
                AcceptShrink = parse.GetValue(acceptShrink),
                EnableAdminApi = parse.GetValue(enableAdminApi),
                MaxStaleness = stalenessSeconds is { } maxStale ? TimeSpan.FromSeconds(maxStale) : null,
                RtrTlsListen = tlsSettings.RtrTlsListen,
                TlsCertificateFile = tlsSettings.TlsCertificateFile,
                TlsKeyFile = tlsSettings.TlsKeyFile,
                TlsClientCaFile = tlsSettings.TlsClientCaFile,
                LogFormat = logFormatValue,
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

    /// <summary>Null when the directory exists (or can be made) and is writable; otherwise what is wrong, with the fix.</summary>
    internal static string? CacheDirectoryProblem(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"not writable ({e.Message}); pass --cache-dir with a directory this user may write, e.g. --cache-dir \"${{TMPDIR:-/tmp}}/rtrcache\"";
        }
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
