using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace RtrCache.Testbed.Publishing;

/// <summary>
/// A real <c>rsync --daemon</c> (Debian's <c>/usr/bin/rsync</c>) on 127.0.0.1 serving directories as read-only
/// modules, for tests of an rsync fetcher. Runs in the foreground (<c>--no-detach</c>) as a child of the test
/// process, so it is stopped by its PID (<see cref="Stop"/>, also on <see cref="Dispose"/>).
/// </summary>
/// <remarks>
/// <para>rsync cannot listen on port 0 and tell which port it got, so a free port is found by binding
/// 127.0.0.1:0 and closing it; if another process takes the port in between, the daemon exits with "address in
/// use" and <see cref="Start(IReadOnlyDictionary{string, string}, int, TimeSpan?)"/> tries another port.</para>
/// <para>As root, rsync would switch to <c>nobody</c> and could not read trees in a private temp directory, so the
/// configuration then names uid/gid 0; as another user it runs as that user. <c>use chroot = no</c> works for both
/// (a chroot needs root), <c>reverse lookup = no</c> keeps a DNS lookup out of every connection. A module's path
/// may be a symbolic link (it is resolved per connection): <see cref="LiveRepository"/> swaps one to publish a new
/// tree atomically.</para>
/// </remarks>
public sealed class RsyncDaemon : IDisposable
{
    /// <summary>The rsync binary: <c>$RSYNC</c> or <c>/usr/bin/rsync</c>.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("RSYNC") is { Length: > 0 } p ? p : "/usr/bin/rsync";

    /// <summary>True when the rsync binary exists.</summary>
    public static bool IsAvailable => File.Exists(ExecutablePath);

    private readonly Process _process;
    private readonly string _workDirectory;
    private readonly StringBuilder _output;
    private int _stopped;

    private RsyncDaemon(Process process, string workDirectory, int port, StringBuilder output, IReadOnlyDictionary<string, string> modules)
    {
        _process = process;
        _workDirectory = workDirectory;
        _output = output;
        Port = port;
        ProcessId = process.Id;
        Modules = modules;
    }

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>PID of the daemon process.</summary>
    public int ProcessId { get; }

    /// <summary>Module name → directory served.</summary>
    public IReadOnlyDictionary<string, string> Modules { get; }

    /// <summary><c>rsync://127.0.0.1:PORT/</c>.</summary>
    public string BaseUri => $"rsync://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary><c>rsync://127.0.0.1:PORT/MODULE/</c>.</summary>
    public string ModuleUri(string module) => BaseUri + module + "/";

    /// <summary>The configuration file written for the daemon.</summary>
    public string ConfigPath => Path.Combine(_workDirectory, "rsyncd.conf");

    /// <summary>The daemon's log file (connections, transfers, errors).</summary>
    public string LogPath => Path.Combine(_workDirectory, "rsyncd.log");

    /// <summary>True while the daemon process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>The daemon's log plus anything it wrote to stdout/stderr.</summary>
    public string Log()
    {
        string file = "";
        try { if (File.Exists(LogPath)) file = File.ReadAllText(LogPath); }
        catch (IOException) { }
        lock (_output) return file + _output;
    }

    /// <summary>Starts a daemon serving <paramref name="path"/> as module <paramref name="module"/>.</summary>
    public static RsyncDaemon Start(string module, string path, int port = 0, TimeSpan? startTimeout = null)
        => Start(new Dictionary<string, string> { [module] = path }, port, startTimeout);

    /// <summary>
    /// Starts a daemon serving each module (name → directory; the directory may appear later) read-only on
    /// 127.0.0.1, and returns once the port answers with the rsync greeting. <paramref name="port"/> 0 = a free
    /// port (retried on collision); a fixed port is for bringing a stopped daemon back.
    /// </summary>
    public static RsyncDaemon Start(IReadOnlyDictionary<string, string> modules, int port = 0, TimeSpan? startTimeout = null)
    {
        if (!IsAvailable) throw new InvalidOperationException($"rsync not found at {ExecutablePath}");
        if (modules.Count == 0) throw new ArgumentException("no modules", nameof(modules));
        foreach (var name in modules.Keys)
            if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
                throw new ArgumentException($"bad module name '{name}'", nameof(modules));
        var timeout = startTimeout ?? TimeSpan.FromSeconds(15);
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        for (int attempt = 0; attempt < 5 && deadline.Elapsed < timeout; attempt++)
        {
            int tryPort = port != 0 ? port : FreePort();
            var work = Path.Combine(Path.GetTempPath(), "rtrcache-rsyncd", $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
            Directory.CreateDirectory(work);
            var daemon = Launch(work, tryPort, modules);
            try
            {
                if (daemon.WaitUntilListening(timeout - deadline.Elapsed)) return daemon;
                var log = daemon.Log();
                daemon.Dispose();
                last = new InvalidOperationException($"rsync daemon on port {tryPort} did not start:\n{log}");
                if (port != 0 || !log.Contains("in use", StringComparison.OrdinalIgnoreCase)) break;
            }
            catch
            {
                daemon.Dispose();
                throw;
            }
        }
        throw last ?? new TimeoutException("rsync daemon did not start in time");
    }

    /// <summary>
    /// Points the symbolic link <paramref name="link"/> at <paramref name="target"/> atomically: a new link is made
    /// beside it and renamed over it with rename(2), so a module path read at any moment names the old or the new
    /// tree. (.NET's File.Move refuses a link to a directory, Directory.Move an existing destination.)
    /// </summary>
    public static void SwapModuleLink(string link, string target)
    {
        var tmp = link + ".new-" + Guid.NewGuid().ToString("N")[..8];
        File.CreateSymbolicLink(tmp, target);
        if (Rename(tmp, link) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            File.Delete(tmp);
            throw new IOException($"rename({tmp}, {link}) failed: errno {errno}");
        }
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    /// <summary>A port that was free a moment ago: bind 127.0.0.1:0, read it, close.</summary>
    public static int FreePort()
    {
        using var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)l.LocalEndPoint!).Port;
    }

    private static RsyncDaemon Launch(string work, int port, IReadOnlyDictionary<string, string> modules)
    {
        var conf = new StringBuilder();
        conf.Append("# written by RtrCache.Testbed RsyncDaemon\n");
        conf.Append("use chroot = no\n");
        conf.Append("reverse lookup = no\n");
        conf.Append("numeric ids = yes\n");
        conf.Append("max connections = 0\n");
        conf.Append("log file = ").Append(Path.Combine(work, "rsyncd.log")).Append('\n');
        conf.Append("pid file = ").Append(Path.Combine(work, "rsyncd.pid")).Append('\n');
        conf.Append("lock file = ").Append(Path.Combine(work, "rsyncd.lock")).Append('\n');
        if (Environment.IsPrivilegedProcess)
        {
            // a root daemon defaults to "nobody", which cannot read the tests' private directories
            conf.Append("uid = 0\ngid = 0\n");
        }
        foreach (var (name, path) in modules)
        {
            conf.Append('[').Append(name).Append("]\n");
            conf.Append("    path = ").Append(Path.GetFullPath(path)).Append('\n');
            conf.Append("    comment = RtrCache testbed\n");
            conf.Append("    read only = yes\n");
            conf.Append("    list = yes\n");
        }
        var confPath = Path.Combine(work, "rsyncd.conf");
        File.WriteAllText(confPath, conf.ToString());

        var psi = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--daemon", "--no-detach", "--config=" + confPath, "--port=" + port.ToString(CultureInfo.InvariantCulture), "--address=127.0.0.1" })
            psi.ArgumentList.Add(a);
        var output = new StringBuilder();
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Append(e.Data).Append('\n'); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RsyncDaemon(process, work, port, output, modules.ToDictionary(kv => kv.Key, kv => Path.GetFullPath(kv.Value)));
    }

    /// <summary>Connects until the daemon greets with <c>@RSYNCD:</c>; false when it exits or time runs out.</summary>
    private bool WaitUntilListening(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited) return false;
            try
            {
                using var client = new TcpClient(AddressFamily.InterNetwork);
                client.ReceiveTimeout = 2000;
                client.SendTimeout = 2000;
                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
                    client.ConnectAsync(IPAddress.Loopback, Port, cts.Token).AsTask().GetAwaiter().GetResult();
                var buffer = new byte[64];
                int n = client.GetStream().Read(buffer, 0, buffer.Length);
                if (n > 0 && Encoding.ASCII.GetString(buffer, 0, n).StartsWith("@RSYNCD:", StringComparison.Ordinal)) return true;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException) { }
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>
    /// Kills the daemon and the children serving connections (by PID) and waits for it, at most
    /// <paramref name="wait"/> (default 5 s). The port is free afterwards. Idempotent.
    /// </summary>
    public void Stop(TimeSpan? wait = null)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { } // exited meanwhile
        catch (System.ComponentModel.Win32Exception) { }
        _process.WaitForExit((int)(wait ?? TimeSpan.FromSeconds(5)).TotalMilliseconds);
    }

    /// <summary>Stops the daemon and deletes its configuration directory.</summary>
    public void Dispose()
    {
        Stop();
        _process.Dispose();
        try { if (Directory.Exists(_workDirectory)) Directory.Delete(_workDirectory, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
