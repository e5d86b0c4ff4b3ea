using System.Diagnostics;
using RtrCache.Testbed;

namespace RtrCache.Testbed.Tests;

/// <summary>The tiny good repository shared by the tests of one run (generated once, or reused from the cache).</summary>
internal static class TinyRepository
{
    private static readonly Lazy<Repository> Lazy = new(() =>
    {
        var sw = Stopwatch.StartNew();
        var repo = Repository.Generate(TestbedOptions.ForScale(TestbedScale.Tiny));
        TestContext.Progress.WriteLine(
            $"tiny repository: {repo.ObjectCount} objects, {repo.KeyCount} keys, pool {repo.Pool.PrimeCount} primes " +
            $"({repo.Pool.PrimesGenerated} generated in {repo.Pool.GenerationTime.TotalSeconds:F1} s), " +
            $"{(repo.ReusedFromCache ? "reused from cache" : $"rendered in {repo.RenderTime.TotalSeconds:F2} s")}, total {sw.Elapsed.TotalSeconds:F1} s, at {repo.OutputDirectory}");
        return repo;
    });

    public static Repository Good => Lazy.Value;

    public static string NewWorkDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "rtrcache-testbed-runs", $"{name}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
