using System.Diagnostics;
using System.Globalization;
using RtrCache.Rpki.Validation;
using RtrCache.Testbed;

namespace RtrCache.Benchmarks;

/// <summary>
/// <c>validate [--scale medium] [--rpki-client] [--warm]</c>: generates (once, cached) the benchmark repository, then
/// times <c>rtrcache validate</c> (own process, under /usr/bin/time -v) and optionally <c>rpki-client -n</c> on
/// the same files. Prints wall time, CPU time, peak RSS and objects per second. <c>--warm</c> adds in-process
/// runs with a <see cref="PublicationPointCache"/>: a cold one that fills it, then warm ones over the unchanged
/// tree, as a long-running server sees them after an RRDP 304.
/// </summary>
public static class ValidatorBenchmark
{
    public static int Run(TestbedScale scale, bool withRpkiClient, bool warm = false)
    {
        var sw = Stopwatch.StartNew();
        var repo = Repository.Generate(TestbedOptions.ForBenchmark(scale));
        Console.WriteLine($"{scale}: {repo.ObjectCount} objects, {repo.AllCas.Count()} CAs at {repo.OutputDirectory} ({(repo.ReusedFromCache ? "cached" : "generated")}, {sw.Elapsed.TotalSeconds:F1} s)");
        var expected = repo.Expected();
        Console.WriteLine($"expected: {expected}");

        string dll = Path.Combine(AppContext.BaseDirectory, "rtrcache.dll");
        string outFile = Path.Combine(Path.GetTempPath(), $"rtrcache-validate-bench-{Environment.ProcessId}.json");
        var (wall, cpu, rss, log) = Timed("/usr/bin/time", ["-v", "dotnet", dll, "validate", "--tal-dir", repo.TalDirectory, "--repo", repo.TreeRoot, "--output", outFile]);
        var produced = RtrCache.Payload.Formats.RpkiClientJson.Parse(File.ReadAllBytes(outFile), DateTimeOffset.UtcNow).Set;
        File.Delete(outFile);
        Console.WriteLine(log.Split('\n').FirstOrDefault(l => l.Contains("output:", StringComparison.Ordinal))?.Trim());
        Console.WriteLine($"| rtrcache validate | {wall:F1} s | {cpu:F1} s | {rss} MB | {repo.ObjectCount / wall:F0} | {(produced is not null && produced.Equals(expected) ? "= expected" : "DIFFERS")} |");

        if (warm) WarmRuns(repo, expected);

        if (withRpkiClient && RpkiClient.IsAvailable)
        {
            var work = Path.Combine(Path.GetTempPath(), $"rtrcache-bench-rpki-client-{Environment.ProcessId}");
            Directory.CreateDirectory(work);
            try
            {
                var r = RpkiClient.Run(repo, work, TimeSpan.FromMinutes(30));
                var same = r.Payload is not null && r.Payload.Vrps.SequenceEqual(expected.Vrps) && r.Payload.RouterKeys.SequenceEqual(expected.RouterKeys);
                Console.WriteLine($"| rpki-client -n (8.2) | {r.Elapsed.TotalSeconds:F1} s | see its log | | {repo.ObjectCount / r.Elapsed.TotalSeconds:F0} | {(same ? "VRPs+keys = expected" : "DIFFERS")} |");
            }
            finally
            {
                try { Directory.Delete(work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        return 0;
    }

    /// <summary>Cold versus warm in-process validation with the publication point cache, checked equal.</summary>
    private static void WarmRuns(Repository repo, RtrCache.Payload.PayloadSet expected)
    {
        var tals = RtrCache.Rpki.Objects.Tal.LoadDirectory(repo.TalDirectory, (path, reason) => Console.WriteLine($"skipped TAL {path}: {reason}"));
        var provider = new DirectoryRepository(repo.TreeRoot);
        var now = DateTimeOffset.UtcNow;
        var cache = new PublicationPointCache();
        var options = new ValidatorOptions { Cache = cache };

        var sw = Stopwatch.StartNew();
        var cold = Validator.Run(tals, provider, now, options);
        double coldWall = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"| in-process cold (fills the cache) | {coldWall:F1} s | misses {cache.Misses}, hits {cache.Hits}, {cache.Count} entries | {(cold.Payload.Equals(expected) ? "= expected" : "DIFFERS")} |");
        GC.Collect();
        Console.WriteLine($"managed heap after cold run: {GC.GetTotalMemory(forceFullCollection: true) / (1024 * 1024)} MB");
        for (int i = 1; i <= 3; i++)
        {
            sw.Restart();
            var warm = Validator.Run(tals, provider, now, options);
            double wall = sw.Elapsed.TotalSeconds;
            bool same = warm.Payload.Equals(cold.Payload) && warm.Rejected.SequenceEqual(cold.Rejected)
                && warm.FailedPublicationPoints.SequenceEqual(cold.FailedPublicationPoints) && warm.EarliestExpiry == cold.EarliestExpiry
                && warm.TrustAnchors.Select(t => t.ToString()).SequenceEqual(cold.TrustAnchors.Select(t => t.ToString()));
            Console.WriteLine($"| in-process warm #{i} | {wall:F2} s | hits {cache.Hits}, misses {cache.Misses} | {(same ? "= cold run" : "DIFFERS from the cold run")} |");
        }
        long with = GC.GetTotalMemory(forceFullCollection: true);
        int entries = cache.Count;
        cache.Clear();
        long without = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"managed heap: {with / (1024 * 1024)} MB with the cache, {without / (1024 * 1024)} MB without: the cache's {entries} entries hold {(with - without) / (1024 * 1024)} MB");
    }

    private static (double Wall, double Cpu, long RssMb, string Log) Timed(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        double wall = sw.Elapsed.TotalSeconds;
        string log = stderr.Result;
        double cpu = Field(log, "User time (seconds):") + Field(log, "System time (seconds):");
        long rss = (long)(Field(log, "Maximum resident set size (kbytes):") / 1024);
        return (wall, cpu, rss, log);
    }

    private static double Field(string log, string name)
    {
        var line = log.Split('\n').FirstOrDefault(l => l.Trim().StartsWith(name, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Trim()[name.Length..].Trim(), CultureInfo.InvariantCulture);
    }
}
