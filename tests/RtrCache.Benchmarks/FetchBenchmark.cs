using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using RtrCache.Testbed;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Benchmarks;

/// <summary>
/// <c>fetch [--scale medium] [--runs N] [--https-port 18443] [--rsync-port 18873] [--snapshot-order sorted|parents-first|shuffled] [--in-place] [--generate-only | --serve]</c>: the fetcher's benchmark (issue 5).
/// Generates (once, cached) the benchmark repository with its rpkiNotify and TAL pointing at fixed loopback
/// ports, serves it there over RRDP (<see cref="RrdpTestServer"/>, HTTPS with a test CA) and rsync
/// (<see cref="RsyncDaemon"/>), then in the same run times, each as its own process under <c>/usr/bin/time -v</c>:
/// a cold <c>rtrcache validate --cache-dir EMPTY</c> (fetch + validate), a warm one on the same cache with
/// nothing changed, and plain <c>rsync -rt</c> of the same tree into an empty directory (the floor).
/// Prints wall time, CPU, peak RSS and bytes, and the ratios to the goals (cold ≤ 1.5 × rsync, warm &lt; 5 s).
/// </summary>
/// <remarks>
/// The ports are fixed because they are inside every generated certificate: a kernel-chosen port would give a
/// different tree per run, and the global shape takes 11 minutes to generate. If a port is taken the benchmark
/// stops and says so instead of generating (and caching) another tree.
/// </remarks>
public static class FetchBenchmark
{
    /// <summary>Default HTTPS port of the RRDP server named by the cached trees.</summary>
    public const int DefaultHttpsPort = 18443;

    /// <summary>Default rsync daemon port named by the cached trees (their repository host is 127.0.0.1:PORT).</summary>
    public const int DefaultRsyncPort = 18873;

    /// <summary>A child that takes longer than this is killed (by PID) and reported; the global cold run needs minutes, not hours.</summary>
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(60);

    private sealed record Measurement(string Name, double Wall, double Cpu, long RssMb, long Bytes, string Result, string Log, string Stdout);

    /// <param name="generateOnly">Only generate (or find) the cached tree and stop: the global shape takes 11 minutes, which can be spent before the machine is quiet enough to measure.</param>
    /// <param name="serveOnly">Serve the repository and print the commands to fetch it, until Ctrl-C: for profiling a fetcher by hand (strace, traces) against the same setup.</param>
    /// <param name="runs">Rounds of cold, warm and rsync: this machine is shared, so one sample can be off by a factor of three.</param>
    /// <param name="order">The order of objects in the snapshot (servers differ; early validation depends on it).</param>
    /// <param name="inPlace">Measure in the work directory's file system instead of a fresh one per run (<see cref="FreshFileSystem"/>).</param>
    public static async Task<int> RunAsync(TestbedScale scale, int httpsPort, int rsyncPort, int runs, bool generateOnly = false, bool serveOnly = false, SnapshotOrder order = SnapshotOrder.Sorted, bool inPlace = false)
    {
        var total = Stopwatch.StartNew();
        void Step(string message) => Console.WriteLine($"[{total.Elapsed.TotalSeconds,7:F1} s] {message}");

        foreach (var (port, what) in new[] { (httpsPort, "HTTPS (RRDP) --https-port"), (rsyncPort, "rsync --rsync-port") })
            if (!generateOnly && PortProblem(port) is { } problem)
            {
                Console.Error.WriteLine($"fetch benchmark: 127.0.0.1:{port} for {what} is not free ({problem}). The cached repository names this port "
                                        + "in its certificates, so it cannot move: stop the process holding it (an earlier benchmark?), or pass another port (the tree is then generated anew).");
                return 2;
            }
        if (!File.Exists("/usr/bin/time")) { Console.Error.WriteLine("fetch benchmark: /usr/bin/time is needed (Debian package time)"); return 2; }
        if (!RsyncDaemon.IsAvailable) { Console.Error.WriteLine($"fetch benchmark: rsync is needed ({RsyncDaemon.ExecutablePath})"); return 2; }

        string https = $"https://127.0.0.1:{httpsPort.ToString(CultureInfo.InvariantCulture)}/";
        var options = TestbedOptions.ForBenchmark(scale) with
        {
            Host = $"127.0.0.1:{rsyncPort.ToString(CultureInfo.InvariantCulture)}",
            NotifyUri = https + "rrdp/" + RrdpPublisher.NotificationFileName,
            HttpsTaBaseUri = https,
        };
        Step($"{scale}: generating or reusing the repository for {options.NotifyUri} and rsync://{options.Host}/{options.Module}/");
        var repo = Repository.Generate(options);
        Step($"{scale}: {repo.ObjectCount} objects, {repo.AllCas.Count()} CAs at {repo.OutputDirectory} ({(repo.ReusedFromCache ? "cached" : "generated")})");
        if (generateOnly) return 0;
        var expected = repo.Expected();
        Step($"expected: {expected}");

        string work = Path.Combine(Path.GetTempPath(), $"rtrcache-fetch-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        RrdpTestServer? server = null;
        RsyncDaemon? rsyncd = null;
        FreshFileSystem? cacheFs = null;
        try
        {
            try
            {
                server = await RrdpTestServer.StartAsync(new RrdpTestServerOptions { Port = httpsPort }).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"fetch benchmark: cannot listen on 127.0.0.1:{httpsPort} ({e.Message}); stop the process holding it");
                return 2;
            }
            var publisher = new RrdpPublisher(Path.Combine(work, "rrdp"), server.RrdpBaseUri, new RrdpPublisherOptions { SnapshotOrder = order, DirectoryOrder = order == SnapshotOrder.ParentsFirst ? repo.PublicationPointsTopDown() : null });
            var published = Stopwatch.StartNew();
            publisher.Publish(repo.TreeRoot);
            Step($"RRDP: snapshot serial {publisher.Serial} written ({order} order), {publisher.Snapshot!.Length / 1e6:F1} MB, in {published.Elapsed.TotalSeconds:F1} s");
            server.Serve(publisher);
            foreach (var ta in repo.TrustAnchors)
                server.Put("/" + ta.CertUri["rsync://".Length..].Split('/', 2)[1], File.ReadAllBytes(Renderer.LocalPath(repo.TreeRoot, ta.CertUri)));
            try
            {
                rsyncd = RsyncDaemon.Start(options.Module, Path.Combine(repo.TreeRoot, options.Host, options.Module), rsyncPort);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"fetch benchmark: cannot start the rsync daemon on 127.0.0.1:{rsyncPort}: {e.Message}");
                return 2;
            }
            Step($"serving {server.NotificationUri} and {rsyncd.ModuleUri(options.Module)}");

            string dll = Path.Combine(AppContext.BaseDirectory, "rtrcache.dll");
            string cache = Path.Combine(work, "cache");
            string output = Path.Combine(work, "output.json");
            string[] Validate(string cacheDir) => ["-v", "dotnet", dll, "validate", "--tal-dir", repo.TalDirectory, "--cache-dir", cacheDir, "--extra-ca", server.CaCertificatePemPath, "--output", output];
            if (serveOnly)
            {
                string ca = Path.Combine(work, "test-ca.pem");
                File.Copy(server.CaCertificatePemPath, ca);
                Step($"serving until Ctrl-C or SIGTERM; fetch with: dotnet {dll} validate --tal-dir {repo.TalDirectory} --cache-dir {cache} --extra-ca {ca} --output {output}");
                // SIGINT and SIGTERM both end the wait, so the finally below stops the rsync daemon (by PID) and the server;
                // a background job started from a script has SIGINT ignored, so SIGTERM is the one that reaches it there.
                var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
                using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
                await stop.Task.ConfigureAwait(false);
                return 0;
            }

            Measurement Fetch(string name, string cacheDir)
            {
                server.ClearRequests();
                File.Delete(output);
                Step($"{name}: rtrcache validate --cache-dir {cacheDir} ...");
                var (wall, cpu, rss, log, stdout) = Timed("/usr/bin/time", Validate(cacheDir));
                long served = server.Requests.Sum(r => r.BodyBytes);
                string result = File.Exists(output) && RtrCache.Payload.Formats.RpkiClientJson.Parse(File.ReadAllBytes(output), DateTimeOffset.UtcNow).Set is { } produced
                    ? (produced.Equals(expected) ? "= expected" : "DIFFERS") : "no output";
                foreach (var line in log.Split('\n').Where(l => l.Contains("fetch:", StringComparison.Ordinal) || l.TrimStart().StartsWith("rrdp ", StringComparison.Ordinal)
                                                             || l.TrimStart().StartsWith("trustanchor ", StringComparison.Ordinal) || l.TrimStart().StartsWith("rsync ", StringComparison.Ordinal)
                                                             || l.Contains("output:", StringComparison.Ordinal) || l.Contains("trust anchors at", StringComparison.Ordinal)))
                    Step("  " + line.Trim());
                Step($"{name}: {wall:F1} s, {served} bytes served, {result}");
                return new Measurement(name, wall, cpu, rss, served, result, log, stdout);
            }

            // Rounds of cold (fresh cache), warm (same cache, nothing changed) and the rsync floor (fresh directory),
            // interleaved so that a burst of load from elsewhere on the machine hits all three alike; medians are reported.
            var colds = new List<Measurement>();
            var warms = new List<Measurement>();
            var floors = new List<Measurement>();
            var fetchOnly = new List<double>();
            string copy = Path.Combine(work, "rsync-copy");
            string load = LoadAverage();
            bool fresh = !inPlace && FreshFileSystem.Available;
            Step(fresh ? "each cold run and each rsync floor writes into a fresh ext4 file system of its own (--in-place to measure in " + work + ")"
                       : $"measuring in place in {work}" + (inPlace ? "" : " (a fresh file system per run needs root, mkfs.ext4 and loop devices)"));
            long imageBytes = Math.Max(1L << 30, repo.ObjectCount * 16_384L);
            for (int round = 1; round <= runs; round++)
            {
                if (fresh)
                {
                    cacheFs?.Dispose();
                    cacheFs = FreshFileSystem.Create(Path.Combine(work, "cache.img"), Path.Combine(work, "cache-fs"), imageBytes);
                    cache = Path.Combine(cacheFs.MountPoint, "cache");
                }
                else if (Directory.Exists(cache)) Directory.Delete(cache, true);
                var cold = Fetch($"cold {round}/{runs}", cache);
                colds.Add(cold);
                if (RepositorySeconds(cold.Log) is { } f) fetchOnly.Add(f);
                warms.Add(Fetch($"warm {round}/{runs}", cache));

                using var copyFs = fresh ? FreshFileSystem.Create(Path.Combine(work, "copy.img"), Path.Combine(work, "copy-fs"), imageBytes) : null;
                copy = copyFs is null ? Path.Combine(work, "rsync-copy") : Path.Combine(copyFs.MountPoint, "rsync-copy");
                if (Directory.Exists(copy)) Directory.Delete(copy, true);
                Directory.CreateDirectory(copy);
                Step($"rsync floor {round}/{runs}: rsync -rt --stats {rsyncd.ModuleUri(options.Module)} {copy}/ ...");
                var (rw, rc, rr, rlog, rout) = Timed("/usr/bin/time", ["-v", RsyncDaemon.ExecutablePath, "-rt", "--stats", rsyncd.ModuleUri(options.Module), copy + "/"]);
                long rsyncBytes = StatsNumber(rout, "Total bytes received:");
                long rsyncFiles = StatsNumber(rout, "Number of regular files transferred:");
                Step($"rsync floor {round}/{runs}: {rw:F1} s, {rsyncBytes} bytes, {rsyncFiles} files");
                floors.Add(new Measurement("rsync -rt (floor)", rw, rc, rr, rsyncBytes, $"{rsyncFiles} files", rlog, rout));
            }
            // The operator's warm run: a long-running serve on the same cache, where the validator keeps the results
            // of unchanged publication points between runs (a one-shot validate process cannot).
            Step("serve on the warm cache: first run, then 3 runs started by SIGUSR1 ...");
            var serve = ServeWarmRuns.Measure(dll, repo.TalDirectory, cache, server.CaCertificatePemPath, 3, ChildTimeout);
            Step($"serve: first run {serve.FirstRunSeconds:F1} s, warm runs {string.Join(", ", serve.WarmSeconds.Select(x => x.ToString("F1", CultureInfo.InvariantCulture)))} s; {serve.Summary}");
            load += " → " + LoadAverage();

            var medCold = Median(colds);
            var medWarm = Median(warms);
            var medFloor = Median(floors);
            Console.WriteLine();
            Console.WriteLine($"{scale}: {repo.ObjectCount} objects, RRDP snapshot {publisher.Snapshot!.Length / 1e6:F0} MB in {order} order; {(fresh ? "a fresh ext4 per cold run and per rsync floor" : "in place")}; 2 cores; loopback; no compression; "
                              + $"{runs} round(s), median shown; load average {load}");
            Console.WriteLine();
            Console.WriteLine("| run | wall (median) | all runs | CPU | peak RSS | bytes transferred | result | vs rsync floor |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var (name, list, m) in new[] { ("cold fetch+validate", colds, medCold), ("warm, nothing changed", warms, medWarm), ("rsync -rt (floor)", floors, medFloor) })
                Console.WriteLine($"| {name} | {m.Wall:F1} s | {string.Join(", ", list.Select(x => x.Wall.ToString("F1", CultureInfo.InvariantCulture)))} | {m.Cpu:F1} s | {m.RssMb} MB | {m.Bytes / 1e6:F1} MB | "
                                  + $"{string.Join(", ", list.Select(x => x.Result).Distinct())} | {m.Wall / medFloor.Wall:F2}× |");
            if (fetchOnly.Count > 0)
            {
                double f = fetchOnly.Order().ElementAt(fetchOnly.Count / 2);
                Console.WriteLine($"| cold, fetch only (RRDP repository's time in the fetch report) | {f:F1} s | {string.Join(", ", fetchOnly.Select(x => x.ToString("F1", CultureInfo.InvariantCulture)))} | | | | | {f / medFloor.Wall:F2}× |");
            }
            double serveWarm = serve.WarmSeconds.Order().ElementAt(serve.WarmSeconds.Count / 2);
            Console.WriteLine($"| serve, first run on the fetched cache (notification 304, validator cold) | {serve.FirstRunSeconds:F1} s | | | {serve.PeakRssMb} MB (whole serve process) | | | {serve.FirstRunSeconds / medFloor.Wall:F2}× |");
            Console.WriteLine($"| serve, warm run (SIGUSR1, nothing changed) | {serveWarm:F1} s | {string.Join(", ", serve.WarmSeconds.Select(x => x.ToString("F1", CultureInfo.InvariantCulture)))} | | | | | {serveWarm / medFloor.Wall:F2}× |");
            Console.WriteLine();
            // Each round's cold run and floor ran minutes apart on the same file system setup; the floor drifts by
            // 10-15 % between rounds (host I/O), so the per-round ratio shows what the medians can hide.
            var perRound = colds.Zip(floors, (c, r) => c.Wall / r.Wall).ToList();
            Console.WriteLine($"goals: cold ≤ 1.5 × rsync floor: {medCold.Wall / medFloor.Wall:F2}× ({(medCold.Wall <= 1.5 * medFloor.Wall ? "met" : "NOT met")}; "
                              + $"per round {string.Join(", ", perRound.Select(x => x.ToString("F2", CultureInfo.InvariantCulture) + "×"))}); "
                              + $"warm run in serve < 5 s: {serveWarm:F1} s ({(serveWarm < 5 ? "met" : "NOT met")}); one-shot validate on a warm cache: {medWarm.Wall:F1} s");
            return colds.Concat(warms).All(m => m.Result == "= expected") ? 0 : 1;
        }
        finally
        {
            cacheFs?.Dispose();
            rsyncd?.Dispose();
            if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
            Step($"removing {work}");
            try { Directory.Delete(work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The run whose wall time is the median (the upper one of an even count).</summary>
    private static Measurement Median(List<Measurement> runs) => runs.OrderBy(m => m.Wall).ElementAt(runs.Count / 2);

    /// <summary>The 1-minute load average, so a reader can tell a quiet machine's numbers from a busy one's.</summary>
    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }

    /// <summary>Null when 127.0.0.1:<paramref name="port"/> can be bound now; otherwise the socket error.</summary>
    private static string? PortProblem(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode.ToString();
        }
    }

    /// <summary>The longest RRDP repository duration in the fetch report lines ("rrdp URI ..., N bytes in S s"): the fetch alone, without validation.</summary>
    private static double? RepositorySeconds(string log)
    {
        double? best = null;
        foreach (Match m in Regex.Matches(log, @"^\s*rrdp .*? (\d+) bytes in ([\d.]+) s", RegexOptions.Multiline))
        {
            double s = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (best is null || s > best) best = s;
        }
        return best;
    }

    private static long StatsNumber(string stdout, string name)
    {
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        if (line is null) return 0;
        var digits = new string(line[name.Length..].Trim().TakeWhile(c => char.IsAsciiDigit(c) || c == ',').Where(char.IsAsciiDigit).ToArray());
        return digits.Length == 0 ? 0 : long.Parse(digits, CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a child under <c>/usr/bin/time -v</c>; wall time here, CPU and peak RSS from time's report. Killed by PID after <see cref="ChildTimeout"/>.</summary>
    private static (double Wall, double Cpu, long RssMb, string Log, string Stdout) Timed(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(ChildTimeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Console.Error.WriteLine($"fetch benchmark: {string.Join(' ', args)} did not finish in {ChildTimeout.TotalMinutes} minutes; killed");
        }
        p.WaitForExit();
        double wall = sw.Elapsed.TotalSeconds;
        string log = stderr.Result;
        double cpu = Field(log, "User time (seconds):") + Field(log, "System time (seconds):");
        long rss = (long)(Field(log, "Maximum resident set size (kbytes):") / 1024);
        return (wall, cpu, rss, log, stdout.Result);
    }

    private static double Field(string log, string name)
    {
        var line = log.Split('\n').FirstOrDefault(l => l.Trim().StartsWith(name, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Trim()[name.Length..].Trim(), CultureInfo.InvariantCulture);
    }
}
