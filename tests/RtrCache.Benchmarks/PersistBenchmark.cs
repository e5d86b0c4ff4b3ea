using System.Buffers;
using System.Diagnostics;
using RtrCache.Host.Serving.Persistence;
using RtrCache.Payload;
using RtrCache.Payload.Formats;
using RtrCache.Rtr.Cache;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Benchmarks;

/// <summary>
/// The persisted serving state at global scale: a 790k-VRP set with a 24-serial history (each step 0.2%
/// changed, as in <see cref="PayloadBenchmark"/>), saved the way <c>rtrcache serve</c> saves it after every
/// update (temp file, fsync, rename, fsync directory) and loaded the way a restart loads it (read, SHA-256,
/// decode, history checked against the set). Prints file size and the median of several runs.
/// </summary>
public static class PersistBenchmark
{
    public static int Run(int runs)
    {
        Console.WriteLine("Generating global-shaped payload (560k IPv4 + 230k IPv6 VRPs, 600 ASPAs, 50 router keys) and a 24-serial history...");
        var shape = new GlobalShape();
        var data = shape.Generate();
        var engine = new DiffEngine();
        var snapshot = engine.Start(Build(data), 1, DateTimeOffset.UtcNow);
        for (int i = 0; i < DiffEngine.DefaultHistorySize; i++)
        {
            data = shape.Mutate(data, 0.002);
            snapshot = engine.Advance(snapshot, Build(data), DateTimeOffset.UtcNow);
        }
        var state = new PersistedState(snapshot, SessionIds.NewRandom(), DateTimeOffset.UtcNow);

        string dir = Path.Combine(Path.GetTempPath(), "rtrcache-bench-persist-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, StateFile.FileName);
        try
        {
            long size = StateFile.Write(path, state);
            var withoutHistory = new PersistedState(engine.Start(snapshot.Payload, snapshot.Serial, snapshot.CreatedAt), state.Sessions, state.LastRunAt);
            long setOnly = MeasureSize(withoutHistory);
            long netDeltaEntries = snapshot.History.Sum(h => (long)h.Delta.Count);
            long stepEntries = snapshot.Steps().Sum(h => (long)h.Delta.Count);
            Console.WriteLine($"set: {snapshot.Payload}; history: {snapshot.History.Count} serials, {stepEntries:N0} entries as steps (saved), {netDeltaEntries:N0} as net deltas (in memory)");
            Console.WriteLine($"state file: {size:N0} bytes ({size / 1e6:F1} MB), of which the set {setOnly:N0} bytes = {(double)setOnly / snapshot.Payload.VrpCount:F1} bytes per VRP");

            var rows = new List<(string Name, double[] Ms, string Goal, Func<double, bool> Ok)>
            {
                ("encode to memory", Measure(runs, () => { var b = new ArrayBufferWriter<byte>(); PayloadSnapshotBinary.Write(snapshot, b); return b; }), "-", _ => true),
                ("save (write, fsync, rename)", Measure(runs, () => StateFile.Write(path, state)), "< 1000 ms", m => m < 1000),
                ("load (read, SHA-256, decode, check)", Measure(runs, () => Load(path)), "< 1000 ms", m => m < 1000),
                ("load + encode v0-v2 (ready to serve)", Measure(runs, () =>
                {
                    var loaded = Load(path);
                    var rtr = new RtrSnapshot(loaded.Snapshot, loaded.Sessions, RtrTimers.Default);
                    rtr.Prepare(RtrVersion.Max);
                    return rtr;
                }), "< 2000 ms", m => m < 2000),
            };
            Console.WriteLine();
            Console.WriteLine($"| {"operation",-38} | {"median ms",10} | {"min ms",8} | {"max ms",8} | {"goal",10} | ok |");
            Console.WriteLine($"|{new string('-', 40)}|{new string('-', 12)}|{new string('-', 10)}|{new string('-', 10)}|{new string('-', 12)}|----|");
            bool allOk = true;
            foreach (var (name, ms, goal, ok) in rows)
            {
                Array.Sort(ms);
                double median = ms[ms.Length / 2];
                bool pass = ok(median);
                allOk &= pass;
                Console.WriteLine($"| {name,-38} | {median,10:F1} | {ms[0],8:F1} | {ms[^1],8:F1} | {goal,10} | {(pass ? "yes" : "NO"),-2} |");
            }
            Console.WriteLine($"| {"file size, MB",-38} | {size / 1e6,10:F1} | {"",8} | {"",8} | {"< 32",10} | {(size < 32e6 ? "yes" : "NO"),-2} |");
            return allOk && size < 32e6 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static PersistedState Load(string path)
        => StateFile.TryLoad(path, new DiffEngine(), out var loaded, out var error, out _) ? loaded : throw new InvalidDataException(error);

    private static long MeasureSize(PersistedState state)
    {
        using var counter = new MemoryStream();
        StateFile.WriteTo(counter, state);
        return counter.Length;
    }

    private static PayloadSet Build((List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) data) => PayloadBenchmark.Build(data);

    private static double[] Measure(int runs, Func<object> action) => PayloadBenchmark.Measure(runs, action);
}
