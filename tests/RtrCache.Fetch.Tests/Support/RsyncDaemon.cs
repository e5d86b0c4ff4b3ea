using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RtrCache.Fetch.Tests.Support;

/// <summary>
/// A real <c>rsync --daemon</c> on 127.0.0.1 and a free port, serving one module <c>repo</c> from a temp tree;
/// stopped by its own PID on dispose.
/// </summary>
public sealed class RsyncDaemon : IDisposable
{
    private readonly Process _process;

    private RsyncDaemon(Process process, int port, string moduleRoot)
    {
        _process = process;
        Port = port;
        ModuleRoot = moduleRoot;
    }

    public int Port { get; }

    /// <summary>The directory served as module <c>repo</c>.</summary>
    public string ModuleRoot { get; }

    public string Authority => $"127.0.0.1:{Port}";

    public static bool Available => File.Exists("/usr/bin/rsync");

    public static RsyncDaemon Start(string workDirectory)
    {
        string moduleRoot = Path.Combine(workDirectory, "module");
        Directory.CreateDirectory(moduleRoot);
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            string conf = Path.Combine(workDirectory, "rsyncd.conf");
            string uid = StatusField("Uid"), gid = StatusField("Gid");
            File.WriteAllText(conf, $"""
                use chroot = no
                uid = {uid}
                gid = {gid}
                pid file = {Path.Combine(workDirectory, "rsyncd.pid")}
                lock file = {Path.Combine(workDirectory, "rsyncd.lock")}
                log file = {Path.Combine(workDirectory, "rsyncd.log")}
                [repo]
                    path = {moduleRoot}
                    read only = yes
                """);
            var psi = new ProcessStartInfo("/usr/bin/rsync") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "--daemon", "--no-detach", "--config=" + conf, "--port=" + port, "--address=127.0.0.1" }) psi.ArgumentList.Add(a);
            var process = Process.Start(psi)!;
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    return new RsyncDaemon(process, port, moduleRoot);
                }
                catch (SocketException)
                {
                    Thread.Sleep(50);
                }
            }
            try { process.Kill(); } catch (InvalidOperationException) { }
            process.Dispose();
            if (attempt >= 2) throw new InvalidOperationException("rsync daemon did not start: " + File.ReadAllText(Path.Combine(workDirectory, "rsyncd.log")));
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The real uid/gid of this process from /proc (the daemon must run as us to read our temp tree).</summary>
    private static string StatusField(string name)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
                return line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim();
        return "0";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
