using System.Globalization;
using System.Text.RegularExpressions;
using RtrCache.Testing;

namespace RtrCache.Deploy.Tests;

/// <summary>
/// Starts the real <c>rtrcache</c> with the arguments a deployment file gives it, changed only where this
/// machine must differ from a container or server:
/// <list type="bullet">
/// <item>listen addresses become 127.0.0.1 on free ports (tests stay on loopback); <see cref="LocalPort"/>
/// maps the deployment's port (3323, 8323) to the local one, so probes and scrapes go where the file says;</item>
/// <item>absolute paths of the deployment (volume mounts, /app/tals, /var/lib/rtrcache) are replaced by
/// temporary directories through <see cref="PathMap"/>, also inside configuration files copied there;</item>
/// <item>the TAL directory becomes one TAL whose URIs point at a closed loopback port, so fetch mode starts
/// without touching the network;</item>
/// <item>if fetch mode (<c>--tal-dir</c> without <c>--repo</c>) is not available in this build yet (the process
/// dies at start-up with anything but the configuration-error exit code 2), it is started again with
/// <c>--json</c> on the sample data instead, and <see cref="Mode"/> says so.</item>
/// </list>
/// </summary>
internal sealed partial class DeployedServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<int, int> _ports;

    private DeployedServer(ProgramProcess process, Dictionary<int, int> ports, string mode, IReadOnlyList<string> args)
    {
        Process = process;
        _ports = ports;
        Mode = mode;
        Args = args;
    }

    public ProgramProcess Process { get; }

    /// <summary>"as deployed" or "sample data (fetch mode not available yet)".</summary>
    public string Mode { get; }

    /// <summary>The arguments the program really got.</summary>
    public IReadOnlyList<string> Args { get; }

    public static string SampleJson => Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "sample", "rpki.json");

    /// <summary>The local port for a port of the deployment (e.g. 8323); fails the test if nothing listens for it.</summary>
    public int LocalPort(int deployedPort)
    {
        Assert.That(_ports.ContainsKey(deployedPort), $"no listener for port {deployedPort}; the program was started with {string.Join(' ', Args)}");
        return _ports[deployedPort];
    }

    /// <summary>GET a path on the deployment's port, through the local one.</summary>
    public Task<(int Status, string Body)> GetAsync(int deployedPort, string path) => ProgramProcess.GetAsync(LocalPort(deployedPort), path);

    /// <summary>
    /// Starts <c>dotnet DLL ARGS</c>, waits until <c>/healthz</c> answers 200 on the deployment's HTTP port
    /// (the first <c>--http-listen</c>), and returns the running server.
    /// </summary>
    public static async Task<DeployedServer> StartAsync(string dll, IReadOnlyList<string> deployedArgs, PathMap paths, IReadOnlyDictionary<string, string>? environment = null)
    {
        var ports = new Dictionary<int, int>();
        var args = Adapt(deployedArgs, paths, ports);
        var env = (environment ?? new Dictionary<string, string>()).ToDictionary(kv => kv.Key, kv => paths.Apply(kv.Value));
        int http = ports[ListenPorts(deployedArgs, "--http-listen").First()];
        var server = ProgramProcess.StartDotnet(dll, args, env);
        string mode = "as deployed";
        if (!await WaitAliveAsync(server, http).ConfigureAwait(false))
        {
            int exit = await server.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            Assert.That(exit, Is.Not.EqualTo(2), $"the deployment's arguments are refused as a configuration error:\n{server.Describe()}");
            int talDir = args.IndexOf("--tal-dir");
            if (talDir < 0 || args.Contains("--repo") || args.Contains("--json"))
                Assert.Fail($"rtrcache exited with {exit} at start-up:\n{server.Describe()}");
            TestContext.Out.WriteLine($"fetch mode is not available in this build (exit {exit}); probing with the sample data instead. {Tail(server.Stderr)}");
            await server.DisposeAsync().ConfigureAwait(false);
            args[talDir] = "--json";
            args[talDir + 1] = SampleJson;
            server = ProgramProcess.StartDotnet(dll, args, env);
            mode = "sample data (fetch mode not available yet)";
            if (!await WaitAliveAsync(server, http).ConfigureAwait(false))
                Assert.Fail($"rtrcache did not start with the sample data either:\n{server.Describe()}");
        }
        TestContext.Out.WriteLine($"started ({mode}): dotnet {dll} {string.Join(' ', args)}");
        return new DeployedServer(server, ports, mode, args);
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    /// <summary>The ports of every <paramref name="option"/> value (ADDRESS:PORT).</summary>
    public static IEnumerable<int> ListenPorts(IReadOnlyList<string> args, string option)
        => OptionValues(args, option).Select(v => int.Parse(v[(v.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>Every value given to <paramref name="option"/> (as "--option VALUE" or "--option=VALUE").</summary>
    public static IEnumerable<string> OptionValues(IReadOnlyList<string> args, string option)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == option && i + 1 < args.Count) yield return args[++i];
            else if (args[i].StartsWith(option + "=", StringComparison.Ordinal)) yield return args[i][(option.Length + 1)..];
        }
    }

    /// <summary>
    /// A TAL directory with one TAL (RIPE NCC's key) whose URIs point at port 1 of 127.0.0.1, where nothing
    /// listens: fetch mode starts, fails at once, and the test never leaves the machine.
    /// </summary>
    public static string LoopbackTalDirectory(string parent)
    {
        string dir = Path.Combine(parent, "tals");
        Directory.CreateDirectory(dir);
        string ripe = File.ReadAllText(Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "tals", "ripe.tal"));
        string key = string.Join('\n', ripe.Split('\n').SkipWhile(l => l.Contains("://", StringComparison.Ordinal) || l.StartsWith('#')));
        File.WriteAllText(Path.Combine(dir, "loopback.tal"), $"https://127.0.0.1:1/rtrcache-deploy-test/ta.cer\nrsync://127.0.0.1:1/rtrcache-deploy-test/ta.cer\n{key}");
        return dir;
    }

    private static List<string> Adapt(IReadOnlyList<string> deployed, PathMap paths, Dictionary<int, int> ports)
    {
        var result = new List<string>();
        for (int i = 0; i < deployed.Count; i++)
        {
            string arg = deployed[i];
            if (ListenOption().IsMatch(arg) && i + 1 < deployed.Count)
            {
                string value = deployed[++i];
                int port = int.Parse(value[(value.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
                if (!ports.TryGetValue(port, out int local)) ports[port] = local = ProgramProcess.FreeTcpPort();
                result.Add(arg);
                result.Add($"127.0.0.1:{local.ToString(CultureInfo.InvariantCulture)}");
                continue;
            }
            result.Add(paths.Apply(arg));
        }
        return result;
    }

    private static async Task<bool> WaitAliveAsync(ProgramProcess server, int port)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited) return false;
            if ((await ProgramProcess.GetAsync(port, "/healthz").ConfigureAwait(false)).Status == 200) return true;
            await Task.Delay(100).ConfigureAwait(false);
        }
        Assert.Fail($"no answer on /healthz within {StartTimeout.TotalSeconds} s:\n{server.Describe()}");
        return false;
    }

    private static string Tail(string text) => text.Length <= 600 ? text : "…" + text[^600..];

    [GeneratedRegex("^--(rtr|http|rtr-tls)-listen$")]
    private static partial Regex ListenOption();
}

/// <summary>Best-effort removal of a test's temporary tree (a published application is tens of megabytes).</summary>
internal static class TempTree
{
    public static string Create(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TestContext.Out.WriteLine($"left {dir}: {e.Message}");
        }
    }
}

/// <summary>
/// Absolute paths of a deployment → local directories, longest prefix first (so /etc/rtrcache-slurm is not
/// taken for /etc/rtrcache). Applied to arguments and to configuration files written into mapped directories.
/// </summary>
internal sealed class PathMap
{
    private readonly List<(string From, string To)> _map = [];

    public PathMap Add(string deployed, string local)
    {
        _map.Add((deployed.TrimEnd('/'), local.TrimEnd('/')));
        _map.Sort((a, b) => b.From.Length.CompareTo(a.From.Length));
        return this;
    }

    /// <summary>One pass over the text, so a replacement is never replaced again (a local path may contain /tmp).</summary>
    public string Apply(string text)
    {
        if (_map.Count == 0) return text;
        var pattern = new Regex("(?<![A-Za-z0-9._-])(" + string.Join('|', _map.Select(m => Regex.Escape(m.From))) + ")(?=$|[/\"'\\s,])");
        return pattern.Replace(text, m => _map.First(x => x.From == m.Groups[1].Value).To);
    }
}
