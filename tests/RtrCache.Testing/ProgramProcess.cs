using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace RtrCache.Testing;

/// <summary>
/// A program started for a test as its own process (usually <c>dotnet rtrcache.dll serve …</c>), the way an
/// operator, a container runtime or systemd starts it: real arguments, real environment, real exit code.
/// Output is collected line by line; every wait is bounded; stopping goes to this process only, by its PID
/// (SIGTERM, then a kill after a grace period).
/// <para>Variables starting with <c>RTRCACHE</c> are removed from the inherited environment, so a developer's
/// own settings never leak into a test; a test adds the ones it means.</para>
/// </summary>
public sealed class ProgramProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProgramProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, _outputClosed, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, _errorClosed, e.Data);
        if (!_process.Start()) throw new InvalidOperationException($"could not start {process.StartInfo.FileName}");
        Pid = _process.Id;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid { get; }

    /// <summary>The command line, for failure messages.</summary>
    public string CommandLine => $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}";

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get { lock (_gate) return _stdout.ToString(); }
    }

    public string Stderr
    {
        get { lock (_gate) return _stderr.ToString(); }
    }

    /// <summary>Both streams and the command line, for assertion messages.</summary>
    public string Describe() => $"{CommandLine}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";

    /// <summary>rtrcache.dll as copied into a test project's output by its project reference to src/RtrCache.</summary>
    public static string RtrCacheDll => Path.Combine(AppContext.BaseDirectory, "rtrcache.dll");

    /// <summary>Starts <c>dotnet DLL ARGS…</c> (the runtime host running the tests).</summary>
    public static ProgramProcess StartDotnet(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
        => Start(DotnetHost(), [dll, .. args], environment, workingDirectory);

    /// <summary>Starts any program with an exact argument list (no shell).</summary>
    /// <param name="unset">Prefixes of inherited variables to remove, e.g. the MSBuild variables a test host sets,
    /// which would steer a nested <c>dotnet publish</c>.</param>
    public static ProgramProcess Start(
        string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, IReadOnlyList<string>? unset = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("RTRCACHE", StringComparison.OrdinalIgnoreCase)
                                                            || (unset ?? []).Any(u => k.StartsWith(u, StringComparison.Ordinal))).ToList())
            psi.Environment.Remove(key);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;
        return new ProgramProcess(new Process { StartInfo = psi });
    }

    /// <summary>Runs to completion; on timeout kills it and throws with its output.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunDotnetAsync(
        string dll, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        await using var p = StartDotnet(dll, args, environment, workingDirectory);
        int exit = await p.WaitForExitAsync(timeout).ConfigureAwait(false);
        return (exit, p.Stdout, p.Stderr);
    }

    /// <summary>Waits for exit and for both streams to be read; kills the process and throws on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"still running after {timeout.TotalSeconds:0} s: {Describe()}");
        }
        return _process.ExitCode;
    }

    /// <summary><c>GET http://127.0.0.1:PORT/PATH</c>: status and body, or status 0 with the error if nothing answered.</summary>
    public static async Task<(int Status, string Body)> GetAsync(int port, string path)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}")).ConfigureAwait(false);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, e.Message);
        }
    }

    /// <summary>
    /// Polls <c>GET PATH</c> until <paramref name="accept"/> holds for the status; throws with the last answer and
    /// the process output if the process exits or the time runs out.
    /// </summary>
    public async Task<(int Status, string Body)> WaitForHttpAsync(int port, string path, Func<int, bool> accept, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        (int Status, string Body) last = (0, "");
        while (clock.Elapsed < timeout)
        {
            if (HasExited) throw new InvalidOperationException($"exited with {_process.ExitCode} while waiting for {path}: {Describe()}");
            last = await GetAsync(port, path).ConfigureAwait(false);
            if (accept(last.Status)) return last;
            await Task.Delay(100).ConfigureAwait(false);
        }
        throw new TimeoutException($"GET {path} on port {port}: last answer {last.Status} {last.Body} after {timeout.TotalSeconds:0} s: {Describe()}");
    }

    /// <summary>Sends a signal to this process only (by PID), e.g. 1 for SIGHUP.</summary>
    public bool Signal(int signal) => !HasExited && NativeKill(Pid, signal) == 0;

    /// <summary>SIGTERM, then kill after <paramref name="grace"/>; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? grace = null)
    {
        if (!HasExited)
        {
            Signal(SigTerm);
            using var cts = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
        }
        _process.Dispose();
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreeTcpPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>The <c>dotnet</c> host: the one running the tests if it is dotnet, else DOTNET_HOST_PATH, else PATH.</summary>
    public static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        string? fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment)) return fromEnvironment;
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("The dotnet host was not found (not the test process, DOTNET_HOST_PATH or PATH).");
    }

    /// <summary>The repository root: the nearest parent of the test output that holds RtrCache.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "RtrCache.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no RtrCache.sln above {AppContext.BaseDirectory}");
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Append(StringBuilder target, TaskCompletionSource closed, string? line)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }
        lock (_gate) target.Append(line).Append('\n');
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);
}
