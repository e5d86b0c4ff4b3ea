using System.Diagnostics;
using System.Globalization;
using RtrCache.Payload;
using RtrCache.Payload.Formats;

namespace RtrCache.Benchmarks;

/// <summary>
/// The RTR server benchmark: the same global-shaped JSON served by rtrcache and by Debian's stayrtr, each as
/// its own process, measured with the same cheap client in the same run: time to End of Data for 1, 10, 100
/// and 1,000 concurrent v1 full syncs, peak RSS, and Serial Notify → End of Data for a 0.2% change followed by
/// 100 connected routers.
/// </summary>
public static class RtrBenchmark
{
    private const byte Version = 1;

    public static async Task<int> RunAsync(int[] concurrency, TimeSpan scenarioTimeout, string[] servers, int propagationRouters = 100)
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtrcache-bench");
        Directory.CreateDirectory(dir);
        string json = Path.Combine(dir, "global.json");
        var shape = new GlobalShape();
        var data = shape.Generate();
        var next = shape.Mutate(data, 0.002);
        Console.WriteLine("Writing global-shaped JSON (790,000 VRPs, 600 ASPAs, 50 router keys)...");
        WriteJson(json, data);
        Console.WriteLine($"{json}: {new FileInfo(json).Length / 1e6:F1} MB");

        var results = new List<ServerResult>();
        var starters = new Dictionary<string, Func<string, ServerProcess>>
        {
            ["rtrcache"] = ServerProcess.StartRtrCache,
            ["stayrtr"] = ServerProcess.StartStayRtr,
        };
        foreach (var name in servers)
        {
            var start = starters[name];
            var result = new ServerResult(name);
            using (var server = await StartAsync(start, json, data))
            {
                bool previousTimedOut = false;
                foreach (int n in concurrency)
                {
                    if (previousTimedOut)
                    {
                        Console.WriteLine($"[{name}] {n,5} concurrent full syncs: not run (a smaller scenario did not finish in {scenarioTimeout.TotalSeconds:F0} s)");
                        continue;
                    }
                    var r = await FullSyncsAsync(server, n, scenarioTimeout);
                    result.Syncs[n] = r;
                    previousTimedOut = r.Done < r.Clients;
                    Console.WriteLine($"[{name}] {n,5} concurrent full syncs: {r}");
                }
                result.PeakRss = server.Rss().Peak;
            }
            // A fresh process, so an overloaded earlier scenario cannot delay this one.
            using (var server = await StartAsync(start, json, data))
            {
                result.Propagation = await PropagationAsync(server, json, next, propagationRouters, scenarioTimeout, setupTimeout: TimeSpan.FromMinutes(10));
                Console.WriteLine($"[{name}] propagation: {result.Propagation}");
                result.PeakRss = Math.Max(result.PeakRss, server.Rss().Peak);
            }
            results.Add(result);
        }
        Print(results, concurrency);
        return 0;
    }

    private static async Task<ServerProcess> StartAsync(Func<string, ServerProcess> start, string json, (List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) data)
    {
        WriteJson(json, data);
        var server = start(json);
        Console.WriteLine($"[{server.Name}] starting (pid {server.Pid})...");
        var ready = Stopwatch.StartNew();
        await server.WaitReadyAsync(TimeSpan.FromMinutes(5));
        Console.WriteLine($"[{server.Name}] ready after {ready.Elapsed.TotalSeconds:F1} s");
        return server;
    }

    private static void WriteJson(string path, (List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) data)
    {
        var set = PayloadSet.Create(data.Vrps, data.Keys, data.Aspas);
        var meta = new RpkiClientJsonMetadata { BuildTime = DateTimeOffset.UtcNow, TrustAnchor = "bench" };
        string tmp = path + ".tmp";
        using (var f = File.Create(tmp)) RpkiClientJson.Write(f, set, meta);
        File.Move(tmp, path, overwrite: true);
    }

    private sealed class ServerResult(string name)
    {
        public string Name { get; } = name;
        public Dictionary<int, SyncStats> Syncs { get; } = [];
        public long PeakRss { get; set; }
        public SyncStats? Propagation { get; set; }
    }

    /// <summary>Per-client times (ms) of one scenario, and how many finished in time.</summary>
    public sealed record SyncStats(double[] Ms, int Clients, double WallMs, long PayloadPdus)
    {
        public int Done => Ms.Length;
        public double Min => Done == 0 ? double.NaN : Ms.Min();
        public double Median => Done == 0 ? double.NaN : Sorted()[Done / 2];
        public double Max => Done == 0 ? double.NaN : Ms.Max();
        private double[] Sorted() { var a = (double[])Ms.Clone(); Array.Sort(a); return a; }
        public override string ToString()
            => string.Create(CultureInfo.InvariantCulture, $"{Done}/{Clients} done, min {Min:F1} ms, median {Median:F1} ms, max {Max:F1} ms, all done in {WallMs:F0} ms, {PayloadPdus / Math.Max(1, Done)} payload PDUs each");
    }

    private static async Task<SyncStats> FullSyncsAsync(ServerProcess server, int n, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var clients = new List<BenchClient>(n);
        try
        {
            for (int i = 0; i < n; i++) clients.Add(await BenchClient.ConnectAsync(server.Rtr, cts.Token));
            var wall = Stopwatch.StartNew();
            var tasks = clients.Select(c => Task.Run(async () =>
            {
                try { return await c.FullSyncAsync(Version, cts.Token); }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.Sockets.SocketException) { return null; }
            })).ToArray();
            var times = await Task.WhenAll(tasks);
            double wallMs = wall.Elapsed.TotalMilliseconds;
            var done = times.Where(t => t is not null).Select(t => t!.Value.TotalMilliseconds).ToArray();
            return new SyncStats(done, n, wallMs, clients.Sum(c => c.PayloadPdus));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>
    /// <paramref name="n"/> routers hold the full set; the input changes by 0.2%; each router waits for Serial
    /// Notify, sends Serial Query and reads to End of Data. Reports Notify → End of Data per router.
    /// </summary>
    private static async Task<SyncStats> PropagationAsync(ServerProcess server, string json,
        (List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) next, int n, TimeSpan timeout, TimeSpan setupTimeout)
    {
        var clients = new List<BenchClient>(n);
        try
        {
            using (var setup = new CancellationTokenSource(setupTimeout))
            {
                // Sync the routers a few at a time: the set-up is not what is measured.
                for (int i = 0; i < n; i += 4)
                {
                    var batch = new List<BenchClient>();
                    for (int j = i; j < Math.Min(n, i + 4); j++) batch.Add(await BenchClient.ConnectAsync(server.Rtr, setup.Token));
                    clients.AddRange(batch);
                    var synced = await Task.WhenAll(batch.Select(c => c.FullSyncAsync(Version, setup.Token)));
                    if (synced.Any(t => t is null)) throw new InvalidDataException($"{server.Name} did not complete a full sync during set-up");
                }
            }
            using var cts = new CancellationTokenSource(timeout);
            int resets = 0;
            long pdusBefore = clients.Sum(c => c.PayloadPdus);
            var waiting = clients.Select(c => Task.Run(async () =>
            {
                try
                {
                    // Follow notifies like a router until the update carrying the change has arrived; an
                    // empty delta (a serial without a change for v1) just moves the router along. A Cache
                    // Reset costs the router a full Reset Query, which is then part of its propagation time.
                    uint held = c.Serial; // each router's own: a cache may have moved on while the others synced
                    while (true)
                    {
                        int t = await c.ReadUntilAsync(t => t == 0, cts.Token);
                        if (t != 0) return (TimeSpan?)null;
                        if (c.Serial == held) continue;
                        long t0 = Stopwatch.GetTimestamp();
                        long pdus = c.PayloadPdus;
                        await c.SendSerialQueryFromAsync(Version, held, cts.Token);
                        int last = await c.ReadUntilAsync(t => t is 7 or 8 or 10, cts.Token);
                        if (last == 8)
                        {
                            Interlocked.Increment(ref resets);
                            last = await c.FullSyncAsync(Version, cts.Token) is null ? 10 : 7;
                        }
                        if (last != 7) return (TimeSpan?)null;
                        held = c.Serial;
                        if (c.PayloadPdus > pdus) return Stopwatch.GetElapsedTime(t0);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.Sockets.SocketException or InvalidDataException)
                {
                    Console.Error.WriteLine($"[{server.Name}] router failed: {ex.Message}");
                    return null;
                }
            })).ToArray();
            var wall = Stopwatch.StartNew();
            WriteJson(json, next);
            var times = await Task.WhenAll(waiting);
            var done = times.Where(t => t is not null).Select(t => t!.Value.TotalMilliseconds).ToArray();
            if (resets > 0) Console.WriteLine($"[{server.Name}] {resets} routers got Cache Reset and had to reload in full");
            return new SyncStats(done, n, wall.Elapsed.TotalMilliseconds, clients.Sum(c => c.PayloadPdus) - pdusBefore);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private static void Print(List<ServerResult> results, int[] concurrency)
    {
        Console.WriteLine();
        string peerName = results.Count > 1 ? results[1].Name : "-";
        Console.WriteLine($"| scenario (RTR v1, 790k VRPs) | {results[0].Name} min / median / max ms | {peerName} min / median / max ms | ratio (median, {peerName} / {results[0].Name}) |");
        Console.WriteLine("|---|---|---|---|");
        var ours = results[0];
        var peer = results.Count > 1 ? results[1] : null;
        foreach (int n in concurrency)
        {
            var a = ours.Syncs.GetValueOrDefault(n);
            var b = peer?.Syncs.GetValueOrDefault(n);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n} concurrent full syncs | {(a is null ? "not run" : Cell(a))} | {(b is null ? "not run" : Cell(b))} | {Ratio(a, b)} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| Serial Notify → End of Data, 0.2% change, {ours.Propagation!.Clients} routers | {Cell(ours.Propagation!)} | {(peer?.Propagation is null ? "-" : Cell(peer.Propagation))} | {Ratio(ours.Propagation!, peer?.Propagation)} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| peak RSS | {ours.PeakRss / 1048576.0:F0} MiB | {(peer is null ? "-" : $"{peer.PeakRss / 1048576.0:F0} MiB")} | {(peer is null ? "-" : $"{(double)peer.PeakRss / ours.PeakRss:F1}x")} |"));

        static string Cell(SyncStats s) => s.Done == 0
            ? $"none of {s.Clients} done"
            : string.Create(CultureInfo.InvariantCulture, $"{s.Min:F1} / {s.Median:F1} / {s.Max:F1}{(s.Done < s.Clients ? $" ({s.Done}/{s.Clients} done)" : "")} (all in {s.WallMs:F0})");
        static string Ratio(SyncStats? a, SyncStats? b) => a is null || b is null || a.Done == 0 || b.Done == 0
            ? "-"
            : string.Create(CultureInfo.InvariantCulture, $"{b.Median / a.Median:F1}x");
    }
}
