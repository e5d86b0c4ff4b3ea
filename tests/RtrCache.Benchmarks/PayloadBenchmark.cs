using System.Diagnostics;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Benchmarks;

/// <summary>
/// The foundation benchmark: build a global-shaped <see cref="PayloadSet"/>, diff it against a 0.2%-changed
/// successor, and encode full snapshots, reporting the median of several runs and resident bytes per VRP.
/// </summary>
public static class PayloadBenchmark
{
    public static int Run(int runs)
    {
        Console.WriteLine($"Generating global-shaped payload (560k IPv4 + 230k IPv6 VRPs, 600 ASPAs, 50 router keys)...");
        var shape = new GlobalShape();
        var current = shape.Generate();
        var next = shape.Mutate(current, 0.002);

        long before = Retained();
        var set = Build(current);
        long after = Retained();
        double bytesPerVrp = (after - before) / (double)set.VrpCount;
        var nextSet = Build(next);
        Console.WriteLine("Building a 24-serial history (each step 0.2% changed)...");
        var engine = new DiffEngine();
        var full = engine.Start(set, 1, DateTimeOffset.UnixEpoch);
        var step = current;
        for (int i = 0; i < DiffEngine.DefaultHistorySize; i++)
        {
            step = shape.Mutate(step, 0.002);
            full = engine.Advance(full, Build(step), DateTimeOffset.UnixEpoch);
        }
        var afterHistory = Build(shape.Mutate(step, 0.002));

        var rows = new List<(string Name, double[] Ms, string Goal, Func<double, bool> Ok)>
        {
            ("build PayloadSet (790k VRPs)", Measure(runs, () => Build(current)), "-", _ => true),
            ("diff (0.2% changed)", Measure(runs, () => PayloadDelta.Compute(set, nextSet)), "< 150 ms", m => m < 150),
            ("new serial with 24 net deltas", Measure(runs, () => engine.Advance(full, afterHistory, DateTimeOffset.UnixEpoch)), "-", _ => true),
            ("encode full snapshot v1", Measure(runs, () => PayloadEncoder.EncodeFull(set, RtrVersion.V1)), "< 100 ms", m => m < 100),
            ("encode full snapshot v2", Measure(runs, () => PayloadEncoder.EncodeFull(set, RtrVersion.V2)), "< 100 ms", m => m < 100),
        };
        var delta = PayloadDelta.Compute(set, nextSet);
        Console.WriteLine($"set: {set}; delta: {delta}; full v2 body {PayloadEncoder.EncodeFull(set, RtrVersion.V2).Length:N0} bytes");
        Console.WriteLine();
        Console.WriteLine($"| {"operation",-34} | {"median ms",10} | {"min ms",8} | {"max ms",8} | {"goal",9} | ok |");
        Console.WriteLine($"|{new string('-', 36)}|{new string('-', 12)}|{new string('-', 10)}|{new string('-', 10)}|{new string('-', 11)}|----|");
        bool allOk = true;
        foreach (var (name, ms, goal, ok) in rows)
        {
            Array.Sort(ms);
            double median = ms[ms.Length / 2];
            bool pass = ok(median);
            allOk &= pass;
            Console.WriteLine($"| {name,-34} | {median,10:F1} | {ms[0],8:F1} | {ms[^1],8:F1} | {goal,9} | {(pass ? "yes" : "NO"),-2} |");
        }
        bool memOk = bytesPerVrp < 64;
        allOk &= memOk;
        Console.WriteLine($"| {"resident bytes per VRP",-34} | {bytesPerVrp,10:F1} | {"",8} | {"",8} | {"< 64",9} | {(memOk ? "yes" : "NO"),-2} |");
        GC.KeepAlive(set);
        return allOk ? 0 : 1;
    }

    internal static PayloadSet Build((List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) data)
        => PayloadSet.Create(data.Vrps, data.Keys, data.Aspas);

    /// <summary>Milliseconds of <paramref name="runs"/> calls after one warm-up, each after a full GC.</summary>
    internal static double[] Measure(int runs, Func<object> action)
    {
        GC.KeepAlive(action());
        var ms = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var sw = Stopwatch.StartNew();
            var r = action();
            ms[i] = sw.Elapsed.TotalMilliseconds;
            GC.KeepAlive(r);
        }
        return ms;
    }

    private static long Retained()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }
}
