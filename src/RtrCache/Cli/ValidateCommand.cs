using System.CommandLine;
using System.Globalization;
using System.Text;
using RtrCache.Payload;
using RtrCache.Payload.Formats;
using RtrCache.Payload.Slurm;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Validation;

namespace RtrCache.Host.Cli;

/// <summary>
/// <c>rtrcache validate</c>: top-down RPKI validation of a local rsync-style repository tree from the TALs in a
/// directory; writes the payload as rpki-client JSON (feeds <c>serve --json</c>) or CSV, a summary to stderr.
/// </summary>
public static class ValidateCommand
{
    /// <summary>Exit code of a completed run (whatever was rejected).</summary>
    public const int Ok = 0;

    /// <summary>Exit code for a usage error: bad option, unreadable TAL directory, bad SLURM file, unwritable output.</summary>
    public const int UsageError = 2;

    public static Command Create()
    {
        var talDir = new Option<string>("--tal-dir") { Description = "Directory of trust anchor locators (*.tal)", Required = true };
        var repo = new Option<string>("--repo") { Description = "Repository tree: rsync://HOST/MODULE/path is read from DIR/HOST/MODULE/path (TA certificates also from DIR/ta/TALNAME/)", Required = true };
        var now = new Option<string?>("--now") { Description = "Validate at this time (ISO 8601, e.g. 2026-11-25T00:00:00Z, or Unix seconds); default: the current time" };
        var slurm = new Option<string[]>("--slurm") { Description = "SLURM file (RFC 8416, ASPA extension) applied to the output; may be repeated" };
        var format = new Option<string>("--format") { Description = "Output format: json (rpki-client) or csv (ASN,IP Prefix,Max Length,Trust Anchor)", DefaultValueFactory = _ => "json" };
        var output = new Option<string?>("--output") { Description = "Write the output to FILE (atomically) instead of standard output" };
        var command = new Command("validate", "Validate a local RPKI repository from TALs and print VRPs, ASPAs and router keys") { talDir, repo, now, slurm, format, output };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(talDir)!, parse.GetValue(repo)!, parse.GetValue(now), parse.GetValue(slurm) ?? [],
            parse.GetValue(format) ?? "json", parse.GetValue(output), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct)));
        return command;
    }

    internal static int Run(string talDir, string repo, string? nowText, IReadOnlyList<string> slurmPaths, string format, string? outputPath,
        TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (nowText is not null && !InspectCommand.TryParseTime(nowText, out now))
            return Usage(stderr, $"--now {nowText}: expected an ISO 8601 time such as 2026-11-25T00:00:00Z or Unix seconds");
        format = format.ToLowerInvariant();
        if (format is not ("json" or "csv")) return Usage(stderr, $"--format {format}: expected json or csv");
        if (!Directory.Exists(talDir)) return Usage(stderr, $"--tal-dir {talDir}: no such directory");
        if (!Directory.Exists(repo)) return Usage(stderr, $"--repo {repo}: no such directory");

        var tals = Tal.LoadDirectory(talDir, (path, reason) => stderr.WriteLine($"rtrcache validate: {path}: {reason} (skipped)"));
        if (tals.Count == 0) return Usage(stderr, $"--tal-dir {talDir}: no usable .tal file");

        SlurmPolicy? policy = null;
        if (slurmPaths.Count > 0)
        {
            var files = new List<SlurmFile>();
            foreach (var path in slurmPaths)
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
        try
        {
            result = Validator.Run(tals, repo, now, ValidatorOptions.Default, ct);
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
            if (outputPath is null) stdout.Write(Encoding.UTF8.GetString(bytesOut));
            else
            {
                var full = Path.GetFullPath(outputPath);
                var tmp = full + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
                File.WriteAllBytes(tmp, bytesOut);
                File.Move(tmp, full, overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Usage(stderr, $"--output {outputPath}: {e.Message}");
        }

        WriteSummary(stderr, result, payload, applied);
        return Ok;
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

    private static void WriteSummary(TextWriter e, ValidationResult r, PayloadSet final, SlurmApplyResult? applied)
    {
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
