using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RtrCache.Benchmarks;

/// <summary>A cache server under test, started as its own process and stopped by PID.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(string name, Process process, IPEndPoint rtr)
    {
        Name = name;
        _process = process;
        Rtr = rtr;
    }

    public string Name { get; }
    public IPEndPoint Rtr { get; }
    public int Pid => _process.Id;

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static ServerProcess StartRtrCache(string json)
    {
        int rtr = FreePort(), http = FreePort();
        string dll = Path.Combine(AppContext.BaseDirectory, "rtrcache.dll");
        // Every start is a cold start (as before persistence existed), so runs stay comparable.
        string state = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(json))!, "rtrcache-state");
        if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        var psi = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "serve", "--json", json, "--rtr-listen", $"127.0.0.1:{rtr}", "--http-listen", $"127.0.0.1:{http}",
                "--notify-interval", "0", "--reload-interval", "1", "--cache-dir", state },
        };
        return Start("rtrcache", psi, rtr);
    }

    public static ServerProcess StartStayRtr(string json)
    {
        int rtr = FreePort(), metrics = FreePort();
        var psi = new ProcessStartInfo("stayrtr")
        {
            ArgumentList = { "-bind", $"127.0.0.1:{rtr}", "-cache", json, "-checktime=false", "-metrics.addr", $"127.0.0.1:{metrics}",
                "-refresh", "1", "-protocol", "1", "-loglevel", "error", "-log.verbose=false" },
        };
        return Start("stayrtr", psi, rtr);
    }

    private static ServerProcess Start(string name, ProcessStartInfo psi, int port)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && line.Contains("rror", StringComparison.Ordinal)) Console.Error.WriteLine($"[{name}] {line}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new ServerProcess(name, p, new IPEndPoint(IPAddress.Loopback, port));
    }

    /// <summary>Waits (bounded) until a v1 Reset Query is answered with data.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}");
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                using var c = await BenchClient.ConnectAsync(Rtr, cts.Token);
                if (await c.FullSyncAsync(1, cts.Token) is not null) return;
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or InvalidDataException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{Name} not ready after {timeout}");
    }

    /// <summary>Peak and current resident set size in bytes (from /proc).</summary>
    public (long Peak, long Current) Rss()
    {
        long peak = 0, current = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line);
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) current = Kb(line);
        }
        return (peak, current);
        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
