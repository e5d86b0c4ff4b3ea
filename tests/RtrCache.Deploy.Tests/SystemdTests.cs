using System.Globalization;
using System.Text.RegularExpressions;
using RtrCache.Testing;

namespace RtrCache.Deploy.Tests;

/// <summary>
/// deploy/systemd: the unit carries the hardening the issue asks for (and not MemoryDenyWriteExecute, which
/// stops the .NET JIT), systemd itself accepts it where <c>systemd-analyze</c> exists, its example
/// configuration starts the real program with the unit's ExecStart arguments, and its ExecReload signal
/// leaves the program running.
/// </summary>
public sealed partial class SystemdTests
{
    private static string Unit => Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "systemd", "rtrcache.service");

    private static string Config => Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "systemd", "rtrcache.json");

    [Test]
    public void Unit_has_the_required_hardening()
    {
        var unit = UnitFile.Load(Unit);
        var expected = new Dictionary<string, string>
        {
            ["DynamicUser"] = "yes",
            ["StateDirectory"] = "rtrcache",
            ["ConfigurationDirectory"] = "rtrcache",
            ["ProtectSystem"] = "strict",
            ["ProtectHome"] = "yes",
            ["PrivateTmp"] = "yes",
            ["PrivateDevices"] = "yes",
            ["NoNewPrivileges"] = "yes",
            ["CapabilityBoundingSet"] = "CAP_NET_BIND_SERVICE",
            ["AmbientCapabilities"] = "CAP_NET_BIND_SERVICE",
            ["SystemCallFilter"] = "@system-service",
            ["Restart"] = "on-failure",
            ["ExecReload"] = "/bin/kill -HUP $MAINPID",
        };
        Assert.Multiple(() =>
        {
            foreach (var (key, value) in expected)
                Assert.That(unit.Get("Service", key), Is.EqualTo(value), key);
            Assert.That(unit.Get("Service", "RestrictAddressFamilies")?.Split(' '), Is.EquivalentTo(new[] { "AF_INET", "AF_INET6", "AF_UNIX" }));
            Assert.That(unit.Get("Service", "MemoryDenyWriteExecute"), Is.Null, "MemoryDenyWriteExecute breaks the .NET JIT");
            Assert.That(int.Parse(unit.Get("Service", "LimitNOFILE") ?? "0", CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(4096), "LimitNOFILE for 1,000+ router sessions");
            Assert.That(unit.Get("Service", "ExecStart"), Does.EndWith("serve --config /etc/rtrcache/rtrcache.json"));
            Assert.That(unit.Get("Install", "WantedBy"), Is.EqualTo("multi-user.target"));
        });

        // The configuration names the directories systemd provides: StateDirectory for the cache.
        string config = File.ReadAllText(Config);
        Assert.That(config, Does.Contain("\"cache-dir\": \"/var/lib/rtrcache\""), "--cache-dir is the StateDirectory");
    }

    [Test]
    public async Task Systemd_accepts_the_unit()
    {
        string? analyze = Which("systemd-analyze");
        if (analyze is null) Assert.Ignore("systemd-analyze is not installed; the unit was only checked as an ini file");
        // verify wants ExecStart's program to exist: point it at a real executable, nothing else changes.
        string dir = TempTree.Create("rtrcache-systemd");
        try
        {
            string copy = Path.Combine(dir, "rtrcache.service");
            string program = UnitFile.Load(Unit).Get("Service", "ExecStart")!.Split(' ')[0];
            await File.WriteAllTextAsync(copy, (await File.ReadAllTextAsync(Unit)).Replace(program, "/bin/true", StringComparison.Ordinal));

            await using (var verify = ProgramProcess.Start(analyze!, ["verify", copy]))
            {
                int exit = await verify.WaitForExitAsync(TimeSpan.FromSeconds(60));
                Assert.That(exit, Is.EqualTo(0), verify.Describe());
                Assert.That(verify.Stderr.Trim(), Is.Empty, $"systemd-analyze verify warnings: {verify.Stderr}");
            }
            await using var security = ProgramProcess.Start(analyze!, ["security", "--offline=true", copy]);
            await security.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var level = Exposure().Match(security.Stdout);
            if (!level.Success)
            {
                TestContext.Out.WriteLine($"systemd-analyze security --offline not available: {security.Stderr}");
                return;
            }
            double exposure = double.Parse(level.Groups[1].Value, CultureInfo.InvariantCulture);
            TestContext.Out.WriteLine($"systemd-analyze security exposure: {exposure} (0 = fully locked down, 10 = none)");
            Assert.That(exposure, Is.LessThanOrEqualTo(2.5), security.Stdout);
        }
        finally
        {
            TempTree.Delete(dir);
        }
    }

    /// <summary>
    /// ExecStart's arguments with the example configuration start the program. Changed for this machine: the
    /// listeners (flags, which beat the file) on loopback, the state directory a temporary one, and the TALs
    /// a loopback-only TAL (or the sample data while fetch mode is not built). Then ExecReload's SIGHUP must
    /// not stop it.
    /// </summary>
    [Test]
    public async Task ExecStart_runs_with_the_example_configuration_and_survives_reload()
    {
        var exec = UnitFile.Load(Unit).Get("Service", "ExecStart")!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string temp = TempTree.Create("rtrcache-systemd");
        try
        {
            string state = Path.Combine(temp, "state");
            Directory.CreateDirectory(state);
            var paths = new PathMap()
                .Add("/etc/rtrcache", Path.GetDirectoryName(Config)!)
                .Add("/var/lib/rtrcache", state);
            var args = exec[1..].ToList();
            args.AddRange(["--tal-dir", DeployedServer.LoopbackTalDirectory(temp), "--rtr-listen", "0.0.0.0:323", "--http-listen", "127.0.0.1:8323", "--cache-dir", "/var/lib/rtrcache"]);

            await using var server = await DeployedServer.StartAsync(ProgramProcess.RtrCacheDll, args, paths);
            int http = server.LocalPort(8323);
            Assert.That((await ProgramProcess.GetAsync(http, "/readyz")).Status, Is.AnyOf(200, 503));

            Assert.That(server.Process.Signal(1), "SIGHUP sent (ExecReload)");
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.That(server.Process.HasExited, Is.False, $"SIGHUP (systemctl reload) must not stop rtrcache:\n{server.Process.Describe()}");
            Assert.That((await ProgramProcess.GetAsync(http, "/healthz")).Status, Is.EqualTo(200));
        }
        finally
        {
            TempTree.Delete(temp);
        }
    }

    private static string? Which(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9.]+)")]
    private static partial Regex Exposure();
}

/// <summary>A systemd unit file: sections of key=value, comments dropped, the last assignment of a key wins.</summary>
internal sealed class UnitFile
{
    private readonly Dictionary<(string Section, string Key), string> _values = [];

    public static UnitFile Load(string path)
    {
        var unit = new UnitFile();
        string section = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';')) continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            Assert.That(eq, Is.GreaterThan(0), $"{path}: not key=value: {line}");
            unit._values[(section, line[..eq].Trim())] = line[(eq + 1)..].Trim();
        }
        return unit;
    }

    public string? Get(string section, string key) => _values.TryGetValue((section, key), out var v) ? v : null;
}
