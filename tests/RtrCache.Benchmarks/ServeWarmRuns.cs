using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace RtrCache.Benchmarks;

/// <summary>
/// Warm runs the way an operator gets them: a long-running <c>rtrcache serve</c> on the fetched cache, where a
/// run with nothing changed costs one conditional request per repository plus a validator that reuses the
/// results of unchanged publication points. A one-shot <c>rtrcache validate</c> process cannot show that: its
/// reuse cache dies with it. Each measured run is started with SIGUSR1 and timed from the server's own log
/// (the request line to the run's "Loaded" line); peak RSS is the process's VmHWM at the end.
/// </summary>
public static partial class ServeWarmRuns
{
    public sealed record Result(double FirstRunSeconds, IReadOnlyList<double> WarmSeconds, long PeakRssMb, string Summary);

    public static Result Measure(string dll, string talDirectory, string cacheDirectory, string extraCa, int warmRuns, TimeSpan timeout)
    {
        int rtr = ServerProcess.FreePort(), http = ServerProcess.FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                dll, "serve", "--tal-dir", talDirectory, "--cache-dir", cacheDirectory, "--extra-ca", extraCa,
                "--refresh-interval", "86400", "--rtr-listen", $"127.0.0.1:{rtr}", "--http-listen", $"127.0.0.1:{http}",
                "--accept-shrink",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var lines = new ConcurrentQueue<(DateTime At, string Text)>();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start rtrcache serve");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue((DateTime.UtcNow, e.Data)); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue((DateTime.UtcNow, e.Data)); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var started = DateTime.UtcNow;
            var first = WaitForLoaded(lines, 0, process, timeout);
            double firstSeconds = (first.At - started).TotalSeconds;
            var warm = new List<double>();
            string summary = first.Text;
            for (int i = 0; i < warmRuns; i++)
            {
                int seen = lines.Count;
                var signalled = DateTime.UtcNow;
                if (Kill(process.Id, 10 /* SIGUSR1 */) != 0) throw new InvalidOperationException("cannot signal rtrcache serve");
                var loaded = WaitForLoaded(lines, seen, process, timeout);
                warm.Add((loaded.At - signalled).TotalSeconds);
                summary = loaded.Text;
            }
            long rss = PeakRssMb(process.Id);
            return new Result(firstSeconds, warm, rss, summary);
        }
        finally
        {
            if (!process.HasExited)
            {
                _ = Kill(process.Id, 15 /* SIGTERM */);
                if (!process.WaitForExit(15_000)) process.Kill(entireProcessTree: true);
            }
        }
    }

    private static (DateTime At, string Text) WaitForLoaded(ConcurrentQueue<(DateTime At, string Text)> lines, int skip, Process process, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            foreach (var line in lines.Skip(skip))
            {
                if (line.Text.Contains("Loaded the RPKI", StringComparison.Ordinal)) return line;
                if (line.Text.Contains("Input unavailable", StringComparison.Ordinal)) throw new InvalidOperationException("run failed: " + line.Text);
            }
            if (process.HasExited) throw new InvalidOperationException("rtrcache serve exited: " + string.Join('\n', lines.TakeLast(20).Select(l => l.Text)));
            Thread.Sleep(50);
        }
        throw new TimeoutException($"no completed run within {timeout.TotalSeconds:F0} s");
    }

    private static long PeakRssMb(int pid)
    {
        try
        {
            var m = VmHwm().Match(File.ReadAllText($"/proc/{pid}/status"));
            return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / 1024 : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [GeneratedRegex(@"VmHWM:\s+(\d+) kB")]
    private static partial Regex VmHwm();

    /// <summary>Sends a signal with the system's kill(1): .NET has no API for SIGUSR1 to another process.</summary>
    private static int Kill(int pid, int signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal.ToString(CultureInfo.InvariantCulture), pid.ToString(CultureInfo.InvariantCulture) } })
                         ?? throw new InvalidOperationException("cannot run kill");
        kill.WaitForExit(10_000);
        return kill.HasExited ? kill.ExitCode : -1;
    }
}
