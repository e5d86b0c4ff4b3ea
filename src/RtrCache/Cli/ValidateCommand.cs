using System.CommandLine;
using System.Globalization;
using System.Text;
using RtrCache.Fetch;
using RtrCache.Host.Input;
using RtrCache.Host.Serving;
using RtrCache.Payload;
using RtrCache.Payload.Formats;
using RtrCache.Payload.Slurm;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;

namespace RtrCache.Host.Cli;

/// <summary>
/// <c>rtrcache validate</c>: one top-down RPKI validation run from the TALs in a directory, over a local
/// rsync-style repository tree as it is (<c>--repo</c>, like rpki-client <c>-n</c>) or over repositories fetched
/// during the run into <c>--cache-dir</c> (RRDP with rsync fallback, like rpki-client without <c>-n</c>); writes
/// the payload as rpki-client JSON (feeds <c>serve --json</c>) or CSV, a summary (with the fetch summary) to stderr.
/// </summary>
public static class ValidateCommand
{
    /// <summary>Exit code of a completed run (whatever was rejected or could not be fetched).</summary>
    public const int Ok = 0;

    /// <summary>Exit code for a usage error: bad option, unreadable TAL directory, bad SLURM file, unusable cache, unwritable output.</summary>
    public const int UsageError = 2;

    /// <summary>Everything one invocation was asked for (the parsed command line).</summary>
    internal sealed record Arguments
    {
        public required string TalDirectory { get; init; }

        /// <summary>Local tree to validate as it is; exactly one of this and <see cref="CacheDirectory"/>.</summary>
        public string? Repository { get; init; }

        /// <summary>Fetch into this cache directory, then validate; exactly one of this and <see cref="Repository"/>.</summary>
        public string? CacheDirectory { get; init; }

        public string? Now { get; init; }
        public IReadOnlyList<string> SlurmFiles { get; init; } = [];
        public string Format { get; init; } = "json";
        public string? OutputPath { get; init; }

        public IReadOnlyList<string> ExtraCaFiles { get; init; } = [];

        /// <summary>Null when not given: the fetch options' defaults (and, with <c>--repo</c>, nothing to complain about).</summary>
        public string? RsyncPath { get; init; }
        public bool DisableRsync { get; init; }
        public double? RrdpFallbackSeconds { get; init; }
        public double? FetchTimeoutSeconds { get; init; }
    }

    public static Command Create()
    {
        var talDir = new Option<string>("--tal-dir") { Description = "Directory of trust anchor locators (*.tal)", Required = true };
        var repo = new Option<string>("--repo") { Description = "Validate this local tree as it is, without fetching: rsync://HOST/MODULE/path is read from DIR/HOST/MODULE/path (TA certificates also from DIR/ta/TALNAME/). Exactly one of --repo and --cache-dir" };
        var cacheDir = new Option<string>("--cache-dir") { Description = "Fetch the repositories (RRDP, rsync fallback) into DIR/repository, then validate them (the layout rtrcache serve uses). Exactly one of --repo and --cache-dir" };
        var extraCa = new Option<string[]>("--extra-ca") { Description = "PEM file of an extra trusted root CA for RRDP over HTTPS (private or test repositories); may be repeated; with --cache-dir" };
        var rsyncPath = new Option<string>("--rsync-path") { Description = "rsync program used for rsync:// repositories and as RRDP fallback (default: rsync); with --cache-dir" };
        var disableRsync = new Option<bool>("--disable-rsync") { Description = "Never fetch over rsync (RRDP only); with --cache-dir" };
        var rrdpFallbackTime = new Option<double?>("--rrdp-fallback-time") { Description = "After an RRDP failure, fall back to rsync only when the last RRDP success is older than this many seconds (0 = at once; default 3600); with --cache-dir" };
        var fetchTimeout = new Option<double?>("--fetch-timeout") { Description = "Most seconds one repository fetch may take (default 300); with --cache-dir" };
        var now = new Option<string?>("--now") { Description = "Validate at this time (ISO 8601, e.g. 2026-11-25T00:00:00Z, or Unix seconds); default: the current time" };
        var slurm = new Option<string[]>("--slurm") { Description = "SLURM file (RFC 8416, ASPA extension) applied to the output; may be repeated" };
        var format = new Option<string>("--format") { Description = "Output format: json (rpki-client) or csv (ASN,IP Prefix,Max Length,Trust Anchor)", DefaultValueFactory = _ => "json" };
        var output = new Option<string?>("--output") { Description = "Write the output to FILE (atomically) instead of standard output" };
        var command = new Command("validate", "Validate the RPKI from TALs (a local tree, or fetched into a cache) and print VRPs, ASPAs and router keys")
        {
            talDir, repo, cacheDir, extraCa, rsyncPath, disableRsync, rrdpFallbackTime, fetchTimeout, now, slurm, format, output,
        };
        command.SetAction((parse, ct) => RunAsync(new Arguments
        {
            TalDirectory = parse.GetValue(talDir)!,
            Repository = parse.GetValue(repo),
            CacheDirectory = parse.GetValue(cacheDir),
            Now = parse.GetValue(now),
            SlurmFiles = parse.GetValue(slurm) ?? [],
            Format = parse.GetValue(format) ?? "json",
            OutputPath = parse.GetValue(output),
            ExtraCaFiles = parse.GetValue(extraCa) ?? [],
            RsyncPath = parse.GetValue(rsyncPath),
            DisableRsync = parse.GetValue(disableRsync),
            RrdpFallbackSeconds = parse.GetValue(rrdpFallbackTime),
            FetchTimeoutSeconds = parse.GetValue(fetchTimeout),
        }, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    internal static async Task<int> RunAsync(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (a.Now is not null && !InspectCommand.TryParseTime(a.Now, out now))
            return Usage(stderr, $"--now {a.Now}: expected an ISO 8601 time such as 2026-11-25T00:00:00Z or Unix seconds");
        string format = a.Format.ToLowerInvariant();
        if (format is not ("json" or "csv")) return Usage(stderr, $"--format {format}: expected json or csv");
        if (!Directory.Exists(a.TalDirectory)) return Usage(stderr, $"--tal-dir {a.TalDirectory}: no such directory");
        if (a.Repository is not null && a.CacheDirectory is not null)
            return Usage(stderr, "--repo and --cache-dir cannot be combined: --repo validates a local tree as it is, --cache-dir fetches into a cache first");
        if (a.Repository is null && a.CacheDirectory is null)
            return Usage(stderr, "--repo DIR or --cache-dir DIR is required: a local tree to validate as it is, or a cache to fetch into");
        FetchSettings? fetch = null;
        if (a.Repository is not null)
        {
            if (!Directory.Exists(a.Repository)) return Usage(stderr, $"--repo {a.Repository}: no such directory");
            // Fetch options do nothing without a fetch; saying so beats silently ignoring what the operator typed.
            string? stray = a.ExtraCaFiles.Count > 0 ? "--extra-ca" : a.RsyncPath is not null ? "--rsync-path" : a.DisableRsync ? "--disable-rsync"
                : a.RrdpFallbackSeconds is not null ? "--rrdp-fallback-time" : a.FetchTimeoutSeconds is not null ? "--fetch-timeout" : null;
            if (stray is not null) return Usage(stderr, $"{stray} needs --cache-dir (with --repo nothing is fetched)");
        }
        else
        {
            if (FetchSettingsFrom(a, stderr) is not { } settings) return UsageError;
            fetch = settings;
        }

        var tals = Tal.LoadDirectory(a.TalDirectory, (path, reason) => stderr.WriteLine($"rtrcache validate: {path}: {reason} (skipped)"));
        if (tals.Count == 0) return Usage(stderr, $"--tal-dir {a.TalDirectory}: no usable .tal file");

        SlurmPolicy? policy = null;
        if (a.SlurmFiles.Count > 0)
        {
            var files = new List<SlurmFile>();
            foreach (var path in a.SlurmFiles)
            {
                byte[] bytes;
                try { bytes = File.ReadAllBytes(path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Usage(stderr, $"--slurm {path}: {e.Message}"); }
                var parsed = SlurmFile.Parse(bytes, path);
                if (!parsed.Success) return Usage(stderr, $"--slurm {path}: {parsed.Error}");
                files.Add(parsed.File!);
            }
            if (!SlurmPolicy.TryCreate(files, out policy, out var error)) return Usage(stderr, "--slurm: " + error);
        }

        ValidationResult result;
        FetchReport? report = null;
        try
        {
            if (fetch is null)
            {
                result = Validator.Run(tals, a.Repository!, now, ValidatorOptions.Default, ct);
            }
            else
            {
                var fetcher = FetchOptionsFactory.TryOpen(a.CacheDirectory!, fetch, (level, message) =>
                {
                    // Warnings and errors are what an operator acts on; progress chatter stays out of a one-shot run.
                    if (level >= FetchLogLevel.Warning) lock (stderr) stderr.WriteLine($"rtrcache validate: fetch: {message}");
                }, out var openError);
                if (fetcher is null) return Usage(stderr, openError!);
                using (fetcher)
                {
                    var run = fetcher.BeginRun(ct);
                    // The walk is CPU-bound and blocks on fetches; keep it off the caller's thread.
                    result = await Task.Run(() => Validator.Run(tals, run, now, ValidatorOptions.Default, ct), ct).ConfigureAwait(false);
                    await run.CompletionAsync().ConfigureAwait(false);
                    report = run.Report;
                }
            }
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("rtrcache validate: cancelled");
            return UsageError;
        }

        var payload = result.Payload;
        SlurmApplyResult? applied = null;
        if (policy is not null)
        {
            applied = policy.Apply(payload);
            payload = applied.Set;
        }

        byte[] bytesOut = format == "json"
            ? RpkiClientJson.WriteToArray(payload, new RpkiClientJsonMetadata
            {
                BuildMachine = Environment.MachineName,
                BuildTime = DateTimeOffset.UtcNow,
                TrustAnchor = tals.Count == 1 ? tals[0].Name : "",
            }, indented: true)
            : Encoding.UTF8.GetBytes(Csv(payload, result));
        try
        {
            if (a.OutputPath is null) stdout.Write(Encoding.UTF8.GetString(bytesOut));
            else
            {
                var full = Path.GetFullPath(a.OutputPath);
                var tmp = full + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
                File.WriteAllBytes(tmp, bytesOut);
                File.Move(tmp, full, overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Usage(stderr, $"--output {a.OutputPath}: {e.Message}");
        }

        WriteSummary(stderr, result, payload, applied, report);
        return Ok;
    }

    /// <summary>
    /// Checks the fetch options with the ranges <c>serve</c> uses and makes the cache directory; null (after
    /// writing every problem, each naming its option) when something is wrong.
    /// </summary>
    private static FetchSettings? FetchSettingsFrom(Arguments a, TextWriter stderr)
    {
        var errors = new List<string>();
        foreach (var f in a.ExtraCaFiles)
            if (!File.Exists(f)) errors.Add($"--extra-ca {f}: file not found");
        if (a.RsyncPath is { } rsync && string.IsNullOrWhiteSpace(rsync)) errors.Add("--rsync-path: empty");
        double fallback = a.RrdpFallbackSeconds ?? 3600, timeout = a.FetchTimeoutSeconds ?? 300;
        if (fallback is < 0 or > 7 * 86400 || double.IsNaN(fallback)) errors.Add($"--rrdp-fallback-time {fallback.ToString(CultureInfo.InvariantCulture)}: must be 0..604800 seconds");
        if (timeout is < 1 or > 86400 || double.IsNaN(timeout)) errors.Add($"--fetch-timeout {timeout.ToString(CultureInfo.InvariantCulture)}: must be 1..86400 seconds");
        if (errors.Count == 0 && ServeCommand.CacheDirectoryProblem(a.CacheDirectory!) is { } problem)
            errors.Add($"--cache-dir {a.CacheDirectory}: {problem}");
        foreach (var e in errors) stderr.WriteLine("rtrcache validate: " + e);
        if (errors.Count > 0) return null;
        return new FetchSettings
        {
            ExtraCaFiles = a.ExtraCaFiles,
            RsyncPath = a.RsyncPath ?? new FetchSettings().RsyncPath,
            RsyncEnabled = !a.DisableRsync,
            RrdpFallbackTime = TimeSpan.FromSeconds(fallback),
            FetchTimeout = TimeSpan.FromSeconds(timeout),
        };
    }

    /// <summary>CSV like rpki-client/Routinator: <c>ASN,IP Prefix,Max Length,Trust Anchor</c>, one line per VRP.</summary>
    internal static string Csv(PayloadSet payload, ValidationResult result)
    {
        var taOf = new Dictionary<Vrp, string>();
        foreach (var ta in result.TrustAnchors)
            foreach (var v in ta.Payload.Vrps) taOf.TryAdd(v, ta.Name);
        var sb = new StringBuilder("ASN,IP Prefix,Max Length,Trust Anchor\n");
        foreach (var v in payload.Vrps)
            sb.Append(CultureInfo.InvariantCulture, $"AS{v.Asn},{v.Prefix},{v.MaxLength},{taOf.GetValueOrDefault(v, "slurm")}\n");
        return sb.ToString();
    }

    private static void WriteSummary(TextWriter e, ValidationResult r, PayloadSet final, SlurmApplyResult? applied, FetchReport? fetch)
    {
        if (fetch is not null)
        {
            // Every repository with its outcome, bytes and time: what rpki-client's "Repositories" statistics tell.
            e.WriteLine($"rtrcache validate: fetch: {fetch.Summary()} ({fetch.BytesTransferred} bytes)");
            foreach (var repository in fetch.Repositories) e.WriteLine("  " + repository);
        }
        e.WriteLine($"rtrcache validate: {r.TrustAnchors.Length} trust anchors at {RpkiObject.FormatTime(r.Now)}, {r.Elapsed.TotalSeconds:F2} s");
        foreach (var ta in r.TrustAnchors)
        {
            e.WriteLine("  " + ta);
            if (ta.Error is null && ta.ObjectsByType.Count > 0)
                e.WriteLine("    objects: " + string.Join(", ", ta.ObjectsByType.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
        }
        e.WriteLine($"  output: {final.V4Count} IPv4 + {final.V6Count} IPv6 VRPs, {final.AspaCount} ASPAs, {final.RouterKeyCount} router keys"
            + (applied is null ? "" : $" (SLURM: -{applied.VrpsFiltered}/+{applied.VrpsAdded} VRPs, -{applied.RouterKeysFiltered}/+{applied.RouterKeysAdded} keys, -{applied.AspasFiltered}/+{applied.AspasAdded} ASPAs)"));
        if (r.EarliestExpiry is { } x) e.WriteLine($"  earliest expiry: {RpkiObject.FormatTime(x)}");
        e.WriteLine($"  failed publication points: {r.FailedPublicationPoints.Length}");
        foreach (var f in r.FailedPublicationPoints) e.WriteLine("    " + f);
        e.WriteLine($"  rejected objects: {r.Rejected.Length}");
        foreach (var o in r.Rejected) e.WriteLine("    " + o);
    }

    private static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine("rtrcache validate: " + message);
        return UsageError;
    }
}
